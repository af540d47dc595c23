"""A consultant works the pipeline board: drags a card onto another stage (static/js/
pipeline.js), and moves one with the card's "Move to" form, by keyboard and without
JavaScript. Each move is the lead's state in the database."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadStatusChange
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def leads(location, consultant):
    return {
        name: LeadFactory(
            customer=CustomerFactory(location=location, first_name=first, last_name=last),
            assigned_to=consultant,
        )
        for name, (first, last) in {
            "lena": ("Lena", "Hoffmann"),
            "jonas": ("Jonas", "Becker"),
        }.items()
    }


def _column(page, label: str):
    # Each stage is a region named by its heading ("Contacted 1": the label and the count).
    return page.get_by_role("region", name=re.compile(rf"^{label}\b"))


def _moved(lead: Lead, to_status: str, by) -> None:
    lead.refresh_from_db()
    assert lead.status == to_status
    change = LeadStatusChange.objects.filter(lead=lead).latest("changed_at")
    assert (change.from_status, change.to_status, change.changed_by_id) == (
        Lead.Status.NEW,
        to_status,
        by.pk,
    )


def test_a_consultant_drags_a_card_to_another_stage(page, staff_log_in, consultant, leads):
    staff_log_in(page, consultant, next="/staff/leads/pipeline/")
    card = _column(page, "New").get_by_role("article", name="Lena Hoffmann")
    expect(card).to_be_visible()
    expect(_column(page, "Contacted").get_by_role("article")).to_have_count(0)

    card.drag_to(_column(page, "Contacted"))

    # The script posts the move and reloads the board: the card is in its new column.
    contacted = _column(page, "Contacted")
    expect(contacted.get_by_role("article", name="Lena Hoffmann")).to_be_visible()
    expect(contacted.get_by_role("heading")).to_have_text(re.compile(r"^Contacted\s+1$"))
    expect(_column(page, "New").get_by_role("article", name="Lena Hoffmann")).to_have_count(0)
    expect(page.locator("#pipeline-error")).to_be_hidden()
    _moved(leads["lena"], Lead.Status.CONTACTED, consultant)
    leads["jonas"].refresh_from_db()
    assert leads["jonas"].status == Lead.Status.NEW


def test_a_consultant_moves_a_card_with_the_keyboard(page, staff_log_in, consultant, leads):
    staff_log_in(page, consultant, next="/staff/leads/pipeline/")
    move_to = page.get_by_label("Move Jonas Becker to")
    move_to.focus()
    move_to.select_option(label="Qualified")
    page.keyboard.press("Tab")  # to the card's own "Move" button
    expect(
        page.get_by_role("article", name="Jonas Becker").get_by_role("button", name="Move")
    ).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Moved to Qualified.")).to_be_visible()
    expect(_column(page, "Qualified").get_by_role("article", name="Jonas Becker")).to_be_visible()
    _moved(leads["jonas"], Lead.Status.QUALIFIED, consultant)
    leads["lena"].refresh_from_db()
    assert leads["lena"].status == Lead.Status.NEW


def test_the_move_to_form_works_without_javascript(
    browser, live_server, staff_log_in, consultant, leads
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        staff_log_in(page, consultant, next="/staff/leads/pipeline/")
        card = page.get_by_role("article", name="Lena Hoffmann")
        card.get_by_label("Move Lena Hoffmann to").select_option(label="Appointment")
        card.get_by_role("button", name="Move").click()

        expect(page.get_by_text("Moved to Appointment.")).to_be_visible()
        expect(
            _column(page, "Appointment").get_by_role("article", name="Lena Hoffmann")
        ).to_be_visible()
        _moved(leads["lena"], Lead.Status.APPOINTMENT, consultant)
    finally:
        context.close()
