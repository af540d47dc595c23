"""A customer answers a survey on a phone; the manager finds the follow-up task."""

import pytest
from playwright.sync_api import expect

from leads.models import Task
from surveys.models import Answer, Touchpoint
from tests.leads.factories import CustomerFactory
from tests.surveys.factories import invitation_with_token, standard_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NPS_TEXT = "How likely are you to recommend us to a friend or colleague?"
WHY_TEXT = "What is the main reason for your score?"


def test_detractor_answers_on_a_phone_and_the_manager_sees_the_task(
    phone_page, page, manager, location, staff_log_in
):
    survey = standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann")
    _invitation, token = invitation_with_token(survey=survey, customer=customer)

    # The customer taps 3 and starts a comment; each answer is saved as it is given.
    phone_page.goto(f"/s/{token}/")
    score = phone_page.get_by_role("group", name=NPS_TEXT)
    score.get_by_text("3", exact=True).click()
    expect(score.get_by_role("status")).to_have_text("Saved")
    comment = phone_page.get_by_role("textbox", name=WHY_TEXT)
    comment.fill("Nobody called me back after the handover.")
    expect(phone_page.get_by_role("group", name=WHY_TEXT).get_by_role("status")).to_have_text(
        "Saved"
    )
    assert set(Answer.objects.values_list("score", "text")) == {
        (3, ""),
        (None, "Nobody called me back after the handover."),
    }

    # The tab closes; the link opened again still has both answers, then they are sent.
    phone_page.goto("/")
    phone_page.goto(f"/s/{token}/")
    expect(phone_page.get_by_role("radio", name="3", exact=True)).to_be_checked()
    expect(phone_page.get_by_role("textbox", name=WHY_TEXT)).to_have_value(
        "Nobody called me back after the handover."
    )
    phone_page.get_by_role("button", name="Send my answers").click()
    expect(phone_page.get_by_role("heading", name="Thank you for your answers!")).to_be_visible()
    phone_page.goto(f"/s/{token}/")
    expect(phone_page.get_by_role("heading", name="Thank you for your answers!")).to_be_visible()
    expect(phone_page.get_by_role("button", name="Send my answers")).to_have_count(0)

    # The manager logs in and finds the follow-up among their tasks.
    staff_log_in(page, manager, next="/staff/leads/tasks/")
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(page.get_by_role("cell", name="Detractor 3/10", exact=False)).to_contain_text(
        "call Lena Hoffmann – “Nobody called me back after the handover.”"
    )
    assert Task.objects.get().owner == manager

    # The results page shows the score and the open follow-up.
    page.goto("/staff/surveys/")
    expect(page.get_by_test_id("nps")).to_have_text("-100.0")
    expect(page.get_by_role("heading", name="Open follow-ups")).to_be_visible()
