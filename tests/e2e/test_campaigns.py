import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from campaigns.services import campaign_dispatch
from dealership.messaging.models import OutboxMessage
from tests.campaigns.factories import consent
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_builds_a_segment_previews_it_sends_a_test_and_launches(
    page, manager, location, staff_log_in
):
    customers = [
        LeadFactory(customer=CustomerFactory(location=location), status="won").customer
        for _ in range(4)
    ]
    for customer in customers[:3]:
        consent(customer)
    LeadFactory(customer=CustomerFactory(location=location), status="lost")

    staff_log_in(page, manager, next="/staff/campaigns/segments/new/")
    page.get_by_label("Name").fill("Happy buyers")
    page.get_by_label("Condition").select_option(label="Lead status")
    page.get_by_label("Status").select_option(label="Won")
    expect(page.get_by_test_id("segment-count")).to_have_text("4 customers")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text("Segment saved.")).to_be_visible()

    page.get_by_role("link", name="Preview the first 50").click()
    expect(page.get_by_test_id("preview-count")).to_contain_text("4 customers match now.")
    expect(page.get_by_role("link", name=str(customers[0]))).to_be_visible()

    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Upgrade offer")
    page.get_by_label("Channel").select_option(label="Email")
    page.get_by_label("Email subject").first.fill("News for {first_name}")
    page.get_by_label("Email text").first.fill("Hello {first_name}, see {booking_link}")
    page.get_by_role("button", name="Save campaign").click()
    expect(page.get_by_role("heading", name=re.compile("Upgrade offer"))).to_be_visible()
    expect(page.get_by_test_id("to-send")).to_have_text("3")
    expect(
        page.get_by_role("row", name=re.compile("Excluded: no marketing consent"))
    ).to_contain_text("1")
    expect(page.get_by_role("button", name="Launch")).to_be_disabled()

    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_text(f"A test is on its way to {manager.email}.")).to_be_visible()
    assert OutboxMessage.objects.get(to=manager.email).subject.startswith("[Test] News for ")

    page.get_by_role("button", name="Launch").click()
    expect(page.get_by_text("The campaign is launched.")).to_be_visible()
    campaign = Campaign.objects.get(name="Upgrade offer")
    campaign_dispatch(campaign_id=campaign.pk)  # the worker's part
    page.reload()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Sent")
    expect(page.get_by_test_id("progress-text")).to_contain_text(
        "3 of 3 messages handed to the outbox"
    )
    sent = OutboxMessage.objects.filter(
        dedupe_key__startswith=f"camp:{campaign.pk}:", purpose="marketing"
    )
    assert sorted(sent.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers[:3])
