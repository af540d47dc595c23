"""A consultant pauses, resumes and stops a lead's follow-up cadence from its page, giving a
reason each time, and reads the history."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import CadenceEvent, CadenceStep, Lead
from tests.leads.factories import CadenceStepFactory, CustomerFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_pauses_resumes_and_stops_the_cadence(
    page, staff_log_in, consultant, location
):
    CadenceStepFactory(
        position=1, delay_minutes=60, action=CadenceStep.Action.SMS, template_key="leads.follow_up"
    )
    lead = LeadFactory(
        customer=CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann"),
        assigned_to=consultant,
        cadence_position=1,
        cadence_next_at=timezone.now() + datetime.timedelta(hours=1),
    )
    staff_log_in(page, consultant, next=lead.get_absolute_url())
    panel = page.get_by_role("region", name="Follow-up cadence")
    expect(panel).to_contain_text("Vehicle enquiry follow-up")
    expect(panel.locator("#cadence-state")).to_have_text("Running")
    expect(panel.locator("#cadence-next-step")).to_have_text("Send SMS · leads.follow_up")
    expect(panel.locator("#cadence-due")).to_contain_text(re.compile(r" CES?T$"))  # the zone named

    # A reason is required: the browser will not send the form empty.
    panel.get_by_role("button", name="Pause").click()
    expect(panel.get_by_label(re.compile(r"^\s*Why pause the cadence\?"))).to_be_focused()
    assert CadenceEvent.objects.count() == 0

    panel.get_by_label(re.compile(r"^\s*Why pause the cadence\?")).fill("Customer on holiday")
    panel.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Cadence paused.")).to_be_visible()
    expect(panel.locator("#cadence-state")).to_contain_text("Paused")
    expect(panel.locator("#cadence-history")).to_contain_text("Customer on holiday")

    panel.get_by_label(re.compile(r"^\s*Why resume the cadence\?")).fill("Back from holiday")
    panel.get_by_role("button", name="Resume").click()
    expect(page.get_by_text("Cadence resumed.")).to_be_visible()
    expect(panel.locator("#cadence-state")).to_have_text("Running")

    panel.get_by_label(re.compile(r"^\s*Why stop the cadence\?")).fill("Bought elsewhere")
    panel.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Cadence stopped.")).to_be_visible()
    expect(panel.locator("#cadence-state")).to_have_text("Stopped (stopped by staff)")
    expect(panel.get_by_role("button")).to_have_count(0)
    expect(panel.locator("#cadence-history li")).to_have_count(3)

    lead.refresh_from_db()
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "stopped_by_staff")
    assert list(CadenceEvent.objects.order_by("at").values_list("action", "reason")) == [
        ("paused", "Customer on holiday"),
        ("resumed", "Back from holiday"),
        ("stopped", "Bought elsewhere"),
    ]
    assert Lead.objects.get(pk=lead.pk).cadence_paused_at is None
