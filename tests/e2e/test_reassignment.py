"""Reassigning is a manager's right: a consultant finds no reassign control on their lead
and is refused if they try anyway; they ask for a transfer to a colleague instead, and a
manager of the location approves it from the transfer requests page."""

import re

import pytest
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from leads.models import LeadAssignment, TransferRequest
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_asks_for_a_transfer_and_a_manager_approves(
    page, browser, live_server, staff_log_in
):
    location = LocationFactory()
    anna = UserFactory(role=Role.CONSULTANT, locations=[location], username="anna")
    jonas = UserFactory(
        role=Role.CONSULTANT,
        locations=[location],
        username="jonas",
        first_name="Jonas",
        last_name="Becker",
    )
    UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()], first_name="Eva")
    maren = UserFactory(
        role=Role.SALES_MANAGER,
        locations=[location],
        username="maren",
        first_name="Maren",
        last_name="Wolf",
    )
    lead = LeadFactory(
        customer=CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann"),
        assigned_to=anna,
    )

    # The consultant sees no reassign control on their lead...
    staff_log_in(page, anna, next=lead.get_absolute_url())
    expect(page.get_by_role("heading", name="Hand the lead on")).to_be_visible()
    expect(page.get_by_role("button", name="Reassign")).to_have_count(0)
    # ...and a reassignment posted anyway is refused.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    refused = page.request.post(
        f"/staff/leads/{lead.pk}/assign/",
        form={"csrfmiddlewaretoken": token, "to_user": str(jonas.pk)},
    )
    assert refused.status == 403
    lead.refresh_from_db()
    assert lead.assigned_to == anna

    # They ask for a transfer to a colleague of the location instead.
    colleague = page.get_by_label(re.compile(r"^\s*Colleague\s*\*?\s*$"))
    expect(colleague.locator("option")).to_have_text(["---------", "Jonas Becker"])
    colleague.select_option(label="Jonas Becker")
    page.get_by_label(re.compile(r"^\s*Why should the lead go to them\?")).fill(
        "Jonas sold Lena her last car"
    )
    page.get_by_role("button", name="Request transfer").click()
    expect(page.get_by_text("Transfer requested: a manager will decide.")).to_be_visible()
    expect(page.get_by_text("Anna Schmidt asks to hand this lead to Jonas Becker")).to_be_visible()
    expect(page.get_by_role("button", name="Request transfer")).to_have_count(0)
    transfer = TransferRequest.objects.get()
    assert transfer.state == TransferRequest.State.PENDING

    # A manager of the location approves it from the transfer requests page.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    manager_page = context.new_page()
    manager_page.set_default_timeout(15_000)
    try:
        staff_log_in(manager_page, maren, next="/staff/leads/")
        manager_page.get_by_role("link", name="Transfer requests").click()
        expect(manager_page.get_by_role("heading", name="Transfer requests")).to_be_visible()
        row = manager_page.get_by_role("row", name=re.compile("Jonas sold Lena her last car"))
        expect(row).to_contain_text("Anna Schmidt")
        row.get_by_role("button", name=re.compile(r"^Approve transfer of")).click()
        expect(
            manager_page.get_by_text("Transfer approved: the lead is now Jonas Becker's.")
        ).to_be_visible()
        expect(manager_page.get_by_text("No transfer requests waiting.")).to_be_visible()
    finally:
        context.close()

    lead.refresh_from_db()
    transfer.refresh_from_db()
    assert lead.assigned_to == jonas
    assert transfer.state == TransferRequest.State.APPROVED
    assert transfer.decided_by == maren
    entry = LeadAssignment.objects.get()
    assert (entry.from_user, entry.to_user, entry.reason) == (
        anna,
        jonas,
        LeadAssignment.Reason.TRANSFER,
    )
