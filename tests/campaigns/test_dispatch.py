"""Sending a campaign: only consented, unsuppressed, uncapped customers; control group held
out; each message once however often the dispatch runs or wherever it crashes."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from campaigns import services
from campaigns.audience import audience_summary
from campaigns.models import Campaign, Recipient
from campaigns.services import (
    campaign_audience,
    campaign_dispatch,
    campaign_launch,
    campaign_test_send,
    campaign_transition,
    group_message_send,
)
from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from dealership.messaging.services import message_enqueue, messages_enqueue_many, suppression_add
from tests.accounts.factories import LocationFactory, UserFactory
from tests.campaigns.factories import campaign, cond, consent, segment
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db


def won_customers(location, n, **kwargs):
    return [
        LeadFactory(customer=CustomerFactory(location=location, **kwargs), status="won").customer
        for _ in range(n)
    ]


def outbox(campaign_):
    return OutboxMessage.objects.filter(dedupe_key__startswith=f"camp:{campaign_.pk}:")


def launched(seg, **kwargs):
    c = campaign(seg, **kwargs)
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[seg.location])
    return campaign_launch(campaign=c, user=manager)


@pytest.fixture
def here():
    return LocationFactory()


def test_only_consented_unsuppressed_uncapped_customers_are_sent_to(here, settings):
    settings.CAMPAIGNS_FREQUENCY_CAP = 2
    ok, no_consent, suppressed, capped = won_customers(here, 4)
    no_email = won_customers(here, 1, email="")[0]
    for customer in (ok, suppressed, capped):
        consent(customer)
    suppression_add(channel="email", address=suppressed.email, reason="unsubscribed")
    for n in range(2):
        message_enqueue(
            channel="email",
            purpose="marketing",
            to=capped.email,
            template_key="campaigns.campaign",
            context={"subject": "s", "body": "b"},
            dedupe_key=f"other:{n}",
            customer_id=capped.pk,
        )
    seg = segment(cond("lead_status", status="won"), location=here)
    c = campaign(seg)

    summary = audience_summary(
        campaign_audience(c), campaign=c, now=datetime.datetime.now(datetime.UTC)
    )
    assert summary == {
        "customers": 5,
        "send": 1,
        "control": 0,
        "excluded": 4,
        "no_address": 1,
        "no_consent": 1,
        "suppressed": 1,
        "capped": 1,
    }

    c = launched(seg)
    assert campaign_dispatch(campaign_id=c.pk) == 1

    assert list(outbox(c).values_list("to", "status", "purpose")) == [
        (ok.email, "queued", "marketing")
    ]
    assert dict(c.recipients.values_list("customer_id", "exclusion")) == {
        ok.pk: "",
        no_consent.pk: "no_consent",
        suppressed.pk: "suppressed",
        capped.pk: "capped",
        no_email.pk: "no_address",
    }
    c.refresh_from_db()
    assert c.status == Campaign.Status.SENT


def test_sms_channel_needs_sms_consent_and_waits_for_quiet_hours(here):
    customer = won_customers(here, 1)[0]
    consent(customer, channel="email")  # email consent does not cover SMS
    other = won_customers(here, 1)[0]
    consent(other, channel="sms")
    seg = segment(cond("lead_status", status="won"), location=here)
    # 23:30 in Berlin: quiet until 08:00 local (06:00 UTC in summer)
    with time_machine.travel(
        datetime.datetime(2026, 6, 15, 21, 30, tzinfo=datetime.UTC), tick=False
    ):
        c = launched(seg, channel="sms")
        campaign_dispatch(campaign_id=c.pk)

    (message,) = outbox(c)
    assert message.to == other.mobile_phone
    assert message.send_after == datetime.datetime(2026, 6, 16, 6, 0, tzinfo=datetime.UTC)
    assert message.body.startswith("Hi Lena: http")


def test_preferred_channel_picks_one_consented_channel(here):
    prefers_sms = won_customers(here, 1, preferred_channel="sms")[0]
    consent(prefers_sms, channel="email")
    consent(prefers_sms, channel="sms")
    only_email = won_customers(here, 1, preferred_channel="sms")[0]
    consent(only_email, channel="email")
    seg = segment(cond("lead_status", status="won"), location=here)

    c = launched(seg, channel="preferred")
    campaign_dispatch(campaign_id=c.pk)

    assert set(outbox(c).values_list("customer_id", "channel")) == {
        (prefers_sms.pk, "sms"),
        (only_email.pk, "email"),
    }


def test_both_channels_send_one_message_per_channel_with_its_dedupe_key(here):
    customer = won_customers(here, 1)[0]
    consent(customer, "email")
    consent(customer, "sms")
    c = launched(segment(cond("lead_status", status="won"), location=here), channel="both")

    campaign_dispatch(campaign_id=c.pk)

    assert sorted(outbox(c).values_list("dedupe_key", flat=True)) == [
        f"camp:{c.pk}:{customer.pk}:email",
        f"camp:{c.pk}:{customer.pk}:sms",
    ]


def test_control_group_is_held_out_and_stable(here):
    customers = won_customers(here, 40)
    for customer in customers:
        consent(customer)
    c = launched(segment(cond("lead_status", status="won"), location=here), control_percent=25)

    campaign_dispatch(campaign_id=c.pk)

    control = set(c.recipients.filter(is_control=True).values_list("customer_id", flat=True))
    sent = set(outbox(c).values_list("customer_id", flat=True))
    assert 0 < len(control) < 40
    assert control.isdisjoint(sent)
    assert len(control) + len(sent) == 40
    assert c.recipients.filter(status="control").count() == len(control)


def test_a_second_run_sends_nothing_twice(here):
    for customer in won_customers(here, 5):
        consent(customer)
    c = launched(segment(cond("lead_status", status="won"), location=here))

    assert campaign_dispatch(campaign_id=c.pk, batch_size=2) == 5
    Campaign.objects.filter(pk=c.pk).update(status="sending")  # a redelivered task
    assert campaign_dispatch(campaign_id=c.pk, batch_size=2) == 0

    assert outbox(c).count() == 5
    assert c.recipients.count() == 5


def test_a_crash_halfway_then_a_rerun_sends_each_message_once(here, monkeypatch):
    customers = won_customers(here, 5)
    for customer in customers:
        consent(customer)
    c = launched(segment(cond("lead_status", status="won"), location=here))
    calls = {"n": 0}

    def crashing_enqueue(items):
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch: its first message is written, then the crash
            messages_enqueue_many(items[:1])
            raise RuntimeError("worker killed")
        return messages_enqueue_many(items)

    monkeypatch.setattr(services, "messages_enqueue_many", crashing_enqueue)
    with pytest.raises(RuntimeError):
        campaign_dispatch(campaign_id=c.pk, batch_size=2)

    # The first batch committed; the crashed batch left nothing behind.
    assert outbox(c).count() == 2
    assert c.recipients.filter(status="queued").count() == 2
    assert c.recipients.filter(status="pending").count() == 3

    monkeypatch.setattr(services, "messages_enqueue_many", messages_enqueue_many)
    assert campaign_dispatch(campaign_id=c.pk, batch_size=2) == 3
    assert campaign_dispatch(campaign_id=c.pk, batch_size=2) == 0
    keys = list(outbox(c).values_list("dedupe_key", flat=True))
    assert sorted(keys) == sorted(f"camp:{c.pk}:{x.pk}:email" for x in customers)


def test_outbox_rows_written_before_a_crash_are_not_sent_again(here):
    """A crash after the outbox committed but before the recipients did (other databases,
    a manual fix): the dedupe key returns the existing row."""
    for customer in won_customers(here, 3):
        consent(customer)
    c = launched(segment(cond("lead_status", status="won"), location=here))
    campaign_dispatch(campaign_id=c.pk)
    first = set(outbox(c).values_list("pk", flat=True))
    c.recipients.update(status="pending", outbox_message=None)
    Campaign.objects.filter(pk=c.pk).update(status="sending")

    campaign_dispatch(campaign_id=c.pk)

    assert set(outbox(c).values_list("pk", flat=True)) == first
    assert set(c.recipients.values_list("outbox_message_id", flat=True)) == first


def test_pause_stops_after_the_batch_and_resume_continues(here):
    for customer in won_customers(here, 6):
        consent(customer)
    c = launched(segment(cond("lead_status", status="won"), location=here))
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here])

    campaign_dispatch(campaign_id=c.pk, batch_size=2, max_batches=6)  # 4 materialise + 2 sends
    assert outbox(c).count() == 4
    campaign_transition(campaign=c, user=manager, action="pause")
    assert campaign_dispatch(campaign_id=c.pk, batch_size=2) == 0
    assert outbox(c).count() == 4

    campaign_transition(campaign=c, user=manager, action="resume")
    assert campaign_dispatch(campaign_id=c.pk, batch_size=2) == 2
    c.refresh_from_db()
    assert c.status == "sent"


def test_cancel_while_sending_cancels_what_has_not_gone_out(here):
    for customer in won_customers(here, 4):
        consent(customer)
    c = launched(segment(cond("lead_status", status="won"), location=here))
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here])
    campaign_dispatch(campaign_id=c.pk, batch_size=2, max_batches=4)

    campaign_transition(campaign=c, user=manager, action="cancel")

    assert campaign_dispatch(campaign_id=c.pk) == 0
    assert c.recipients.filter(status="cancelled").count() == 2
    assert set(outbox(c).values_list("status", flat=True)) == {"cancelled"}
    with pytest.raises(ValidationError):
        campaign_transition(campaign=c, user=manager, action="resume")


def test_launch_refuses_an_empty_segment_an_untested_campaign_and_missing_texts(here):
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here])
    empty = campaign(segment(cond("lead_status", status="won"), location=here))
    with pytest.raises(ValidationError, match="The segment is empty"):
        campaign_launch(campaign=empty, user=manager)

    won_customers(here, 1)
    seg = segment(cond("lead_status", status="won"), location=here)
    with pytest.raises(ValidationError, match="Send yourself a test first"):
        campaign_launch(campaign=campaign(seg, tested=False), user=manager)
    with pytest.raises(ValidationError, match="The SMS needs a text"):
        campaign_launch(campaign=campaign(seg, channel="sms", sms_body=" "), user=manager)
    with pytest.raises(ValidationError, match=r"Unknown merge field \{last_name\}"):
        campaign_launch(campaign=campaign(seg, email_body="Dear {last_name}"), user=manager)

    assert not Campaign.objects.exclude(status="draft").exists()
    assert not OutboxMessage.objects.exists()


def test_test_send_goes_to_the_manager_with_the_first_customers_values(here):
    customer = won_customers(here, 1)[0]
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here], email="boss@example.de")
    c = campaign(segment(cond("lead_status", status="won"), location=here), tested=False)

    (message,) = campaign_test_send(campaign=c, user=manager)

    assert message.to == "boss@example.de"
    assert message.purpose == "transactional"
    assert message.subject == f"[Test] An offer for {customer.first_name}"
    c.refresh_from_db()
    assert c.test_sent_at is not None
    assert not c.recipients.exists()


def test_missing_merge_fields_fall_back_to_neutral_text(here):
    nameless = won_customers(here, 1, first_name="")[0]
    consent(nameless)
    c = launched(segment(cond("lead_status", status="won"), location=here))

    campaign_dispatch(campaign_id=c.pk)

    (message,) = outbox(c)
    assert message.subject == "An offer for valued customer"
    assert message.body.startswith("Hello valued customer, your your car deserves a successor: ")
    assert "Hello ," not in message.body


def test_group_message_keeps_the_rules_and_the_limit(here, settings):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[here])
    yes, no = won_customers(here, 2)
    consent(yes)
    elsewhere = won_customers(LocationFactory(), 1)[0]
    consent(elsewhere)

    with pytest.raises(ValidationError, match="not yours"):
        group_message_send(
            user=consultant,
            customer_ids=[yes.pk, elsewhere.pk],
            channel="email",
            subject="Hi",
            email_body="Hello {first_name}",
        )
    settings.CAMPAIGNS_GROUP_MESSAGE_MAX = 1
    with pytest.raises(ValidationError, match="at most 1 customers"):
        group_message_send(
            user=consultant,
            customer_ids=[yes.pk, no.pk],
            channel="email",
            subject="Hi",
            email_body="Hello {first_name}",
        )
    settings.CAMPAIGNS_GROUP_MESSAGE_MAX = 50

    c = group_message_send(
        user=consultant,
        customer_ids=[yes.pk, no.pk],
        channel="email",
        subject="Hi",
        email_body="Hello {first_name}",
    )
    campaign_dispatch(campaign_id=c.pk)

    assert list(outbox(c).values_list("to", flat=True)) == [yes.email]
    assert c.recipients.get(customer=no).exclusion == Recipient.Exclusion.NO_CONSENT


def test_an_all_locations_segment_reaches_only_the_launching_managers_locations(here):
    mine = won_customers(here, 1)[0]
    theirs = won_customers(LocationFactory(), 1)[0]
    consent(mine)
    consent(theirs)
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here])
    c = campaign(segment(cond("lead_status", status="won")))  # no location: "all my locations"
    Campaign.objects.filter(pk=c.pk).update(created_by=manager)
    c.refresh_from_db()

    campaign_launch(campaign=c, user=manager)
    campaign_dispatch(campaign_id=c.pk)

    assert list(outbox(c).values_list("customer_id", flat=True)) == [mine.pk]


def test_an_sms_campaigns_test_by_email_shows_the_sms_text(here):
    won_customers(here, 1)
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here])
    c = campaign(segment(cond("lead_status", status="won"), location=here), channel="sms")

    (message,) = campaign_test_send(campaign=c, user=manager)

    assert message.subject == "[Test] SMS text"
    assert message.body.startswith("Hi Lena: http")
