import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealership.messaging.models import Channel, OutboxMessage
from dealership.messaging.selectors import consent_state
from dealership.messaging.services import consent_record
from dealership.messaging.tokens import unsubscribe_token
from tests.messaging.factories import OutboxMessageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_finds_a_scheduled_sms_and_cancels_it(page, manager, location, staff_log_in):
    message = OutboxMessageFactory(
        location=location,
        channel=Channel.SMS,
        to="+4915123456789",
        status=OutboxMessage.Status.SCHEDULED,
        send_after=timezone.now() + datetime.timedelta(days=1),
    )
    OutboxMessageFactory(location=location, to="someone@example.com")

    staff_log_in(page, manager, next="/staff/outbox/")
    expect(page).to_have_url(re.compile(r"/staff/outbox/$"))
    page.get_by_label("Recipient").fill("23456789")
    page.get_by_label("Status").select_option("scheduled")
    page.get_by_role("button", name="Filter").click()

    rows = page.get_by_role("row")
    expect(rows).to_have_count(2)  # header and the one match
    page.get_by_label("Reason").fill("Customer rebooked by phone")
    page.get_by_role("button", name="Cancel message").click()

    expect(page.get_by_text("The message to +4915123456789 is cancelled.")).to_be_visible()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.CANCELLED
    assert message.cancelled_reason == "Customer rebooked by phone"


def test_a_customer_stops_all_email_on_the_preference_page(page):
    consent_record(
        channel=Channel.EMAIL,
        address="kim@example.com",
        granted=True,
        source="web form",
        wording="Offers",
    )
    token = unsubscribe_token(channel=Channel.EMAIL, address="kim@example.com")

    page.goto(f"/messages/preferences/{token}/")
    expect(page.get_by_label("Send me offers and news by email")).to_be_checked()
    # Each switch saves itself when it changes (with JavaScript; its own button without).
    page.get_by_label("Send me offers and news by email").uncheck()
    expect(page.get_by_role("status")).to_have_text(
        "Saved: “Send me offers and news by email” is off."
    )
    page.get_by_label("Service emails: confirmations, reminders and updates on my orders").uncheck()
    expect(page.get_by_role("status")).to_have_text(
        "Saved: “Service emails: confirmations, reminders and updates on my orders” is off."
    )
    expect(page.get_by_label("Send me offers and news by email")).not_to_be_checked()
    state = consent_state(channel=Channel.EMAIL, address="kim@example.com")
    assert (state.granted, state.suppressed) == (False, True)
