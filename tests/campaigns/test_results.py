"""Results: delivery from the outbox, unsubscribes, clicks, replies, and the leads, test drives
and orders of the 30 days after launch for recipients and control group (the lift)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Recipient
from campaigns.results import campaign_results
from campaigns.services import campaign_dispatch, recipient_click
from conversations.models import Message
from dealership.messaging.models import OutboxMessage
from dealership.messaging.services import suppression_add
from dealership.privacy.registry import MAPPINGS
from dealership.privacy.services import customer_erase
from orders.models import Order
from tests.accounts.factories import LocationFactory
from tests.campaigns.factories import campaign, cond, consent, segment
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.orders.factories import make_order
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db

LAUNCH = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def sent_campaign():
    here = LocationFactory()
    customers = [
        LeadFactory(
            customer=CustomerFactory(location=here),
            status="won",
            created_at=LAUNCH - datetime.timedelta(days=90),
        ).customer
        for _ in range(20)
    ]
    for customer in customers:
        consent(customer)
    seg = segment(cond("lead_status", status="won"), location=here)
    with time_machine.travel(LAUNCH, tick=False):
        c = campaign(seg, status="scheduled", control_percent=30)
        c.launched_at = c.send_at = timezone.now()
        c.save()
        campaign_dispatch(campaign_id=c.pk)
    return c


def test_delivery_unsubscribe_click_and_reply_counts(sent_campaign):
    c = sent_campaign
    treated = list(
        c.recipients.filter(status="queued").select_related("outbox_message", "customer")
    )
    first, second, third, fourth = treated[:4]
    OutboxMessage.objects.filter(pk=first.outbox_message_id).update(status="delivered")
    OutboxMessage.objects.filter(pk=second.outbox_message_id).update(status="sent")
    OutboxMessage.objects.filter(pk=third.outbox_message_id).update(status="failed")
    with time_machine.travel(LAUNCH + datetime.timedelta(days=1), tick=False):
        suppression_add(channel="email", address=second.outbox_message.to, reason="unsubscribed")
        recipient_click(recipient_id=first.pk)
        recipient_click(recipient_id=first.pk)
        Message.objects.create(
            customer=fourth.customer,
            location=fourth.customer.location,
            direction="in",
            channel="email",
            body="Tell me more",
        )
    # A reply from before the campaign is not a reply to it.
    Message.objects.create(
        customer=third.customer,
        location=third.customer.location,
        direction="in",
        channel="email",
        body="Old",
        created_at=LAUNCH - datetime.timedelta(days=3),
    )

    counts = campaign_results(campaign=c)["counts"]

    assert counts["handed"] == len(treated)
    assert (counts["sent"], counts["delivered"], counts["failed"]) == (2, 1, 1)
    assert counts["waiting"] == len(treated) - 3
    assert (counts["unsubscribed"], counts["clicked"], counts["replied"]) == (1, 1, 1)
    assert counts["click_rate"] == 50


def test_attribution_within_30_days_and_the_lift_over_control(sent_campaign):
    c = sent_campaign
    treated = [r.customer for r in c.recipients.filter(status="queued").select_related("customer")]
    control = [r.customer for r in c.recipients.filter(status="control").select_related("customer")]
    assert control  # 30 % of 20, deterministic per campaign and customer
    day = LAUNCH + datetime.timedelta(days=5)
    LeadFactory(customer=treated[0], created_at=day)
    LeadFactory(customer=treated[1], created_at=LAUNCH + datetime.timedelta(days=31))  # too late
    with time_machine.travel(day, tick=False):
        BookingFactory(customer=treated[2], start_at=day + datetime.timedelta(days=2))
        order = make_order(VehicleFactory())
    Order.objects.filter(pk=order.pk).update(
        customer=treated[0], status="submitted", created_at=day
    )
    LeadFactory(customer=control[0], created_at=day)

    result = campaign_results(campaign=c)

    t, k = result["treated"], result["control"]
    assert (t["customers"], t["leads"], t["test_drives"], t["orders"], t["converted"]) == (
        len(treated),
        1,
        1,
        1,
        2,
    )
    assert (k["customers"], k["leads"], k["converted"]) == (len(control), 1, 1)
    expected_t = round(200 / len(treated), 1)
    expected_k = round(100 / len(control), 1)
    assert float(t["rate"]) == pytest.approx(expected_t, abs=0.05)
    assert float(result["lift"]) == pytest.approx(expected_t - expected_k, abs=0.11)
    bars = result["chart"]["bars"]
    assert len(bars) == 30
    assert bars[0]["sent"] == len(treated)


def test_erasing_a_customer_removes_them_from_recipients_and_results(sent_campaign, manager):
    c = sent_campaign
    recipient = c.recipients.filter(status="queued").select_related("customer").first()
    before = campaign_results(campaign=c)["counts"]["handed"]

    customer_erase(customer=recipient.customer, by=manager, reason="Asked to be forgotten")

    assert not Recipient.objects.filter(customer=recipient.customer).exists()
    assert campaign_results(campaign=c)["counts"]["handed"] == before - 1
    assert MAPPINGS["campaigns.Recipient"].treatment == "delete"
