"""Inbound SMS join the customer's thread: matched by E.164 number; an unknown number
becomes a customer with an "SMS" lead assigned by the usual rules; safe to run twice."""

import hashlib
import hmac
import json

import pytest

from conversations.models import Message
from conversations.services import inbound_sms_attach_pending
from dealership.accounts.roles import Role
from dealership.messaging.models import InboundSms, Suppression
from dealership.messaging.services import sms_inbound_handle
from leads.models import AssignmentRule, Customer, Lead
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db

STRANGER = "+4915199887766"


def test_an_sms_from_a_known_number_joins_the_thread(location):
    customer = CustomerFactory(location=location, mobile_phone="+4915123456789")
    inbound = sms_inbound_handle(provider_id="p-1", sender="0151 23456789", body="Still there?")

    counts = inbound_sms_attach_pending()

    assert counts == {"attached": 1, "new_customers": 0, "skipped": 0}
    message = Message.objects.get()
    assert (message.customer, message.direction, message.channel) == (customer, "in", "sms")
    assert (message.body, message.inbound_sms, message.read_at) == ("Still there?", inbound, None)
    assert message.created_at == inbound.received_at
    assert Lead.objects.count() == 0  # a known customer gets no new lead


def test_a_match_on_the_other_phone_counts(location):
    customer = CustomerFactory(location=location, mobile_phone="", other_phone="+4915123456789")
    sms_inbound_handle(provider_id="p-1", sender="+4915123456789", body="Hi")

    inbound_sms_attach_pending()

    assert Message.objects.get().customer == customer


def test_an_unknown_number_becomes_a_customer_and_an_sms_lead_assigned_by_the_rules(location):
    UserFactory(role=Role.CONSULTANT, locations=[location])
    ruled = UserFactory(role=Role.CONSULTANT, locations=[location])
    AssignmentRule.objects.create(source=Lead.Source.SMS, assign_to=ruled)
    sms_inbound_handle(provider_id="p-1", sender=STRANGER, body="Do you have an ID.3?")

    counts = inbound_sms_attach_pending()

    assert counts == {"attached": 1, "new_customers": 1, "skipped": 0}
    customer = Customer.objects.get()
    assert (customer.mobile_phone, customer.source, customer.location) == (
        STRANGER,
        Customer.Source.SMS,
        location,
    )
    lead = Lead.objects.get()
    assert (lead.customer, lead.source, lead.type) == (customer, "sms", Lead.Type.GENERAL)
    assert lead.message == "Do you have an ID.3?"
    assert lead.assigned_to == ruled
    assert lead.response_due_at is not None  # the response clock runs
    assert Message.objects.get().customer == customer


def test_running_twice_attaches_once(location):
    sms_inbound_handle(provider_id="p-1", sender=STRANGER, body="Hello")
    sms_inbound_handle(provider_id="p-2", sender=STRANGER, body="Anyone?")

    first = inbound_sms_attach_pending()
    second = inbound_sms_attach_pending()

    assert first == {"attached": 2, "new_customers": 1, "skipped": 0}
    assert second == {"attached": 0, "new_customers": 0, "skipped": 0}
    assert Message.objects.count() == 2
    assert Customer.objects.count() == 1
    assert Lead.objects.count() == 1
    assert list(Message.objects.values_list("body", flat=True)) == ["Hello", "Anyone?"]


def test_a_redelivered_webhook_attaches_nothing_more(location):
    CustomerFactory(location=location, mobile_phone=STRANGER)
    sms_inbound_handle(provider_id="p-1", sender=STRANGER, body="Hello")
    inbound_sms_attach_pending()

    sms_inbound_handle(provider_id="p-1", sender=STRANGER, body="Hello")
    inbound_sms_attach_pending()

    assert InboundSms.objects.count() == 1
    assert Message.objects.count() == 1


def test_stop_from_a_stranger_makes_no_customer_or_lead_and_keeps_its_handling(location):
    sms_inbound_handle(provider_id="p-1", sender=STRANGER, body="STOP")

    counts = inbound_sms_attach_pending()

    assert counts["attached"] == 0
    assert not Customer.objects.exists()
    assert not Lead.objects.exists()
    assert Suppression.objects.filter(address=STRANGER, reason="sms_stop").exists()
    assert inbound_sms_attach_pending()["attached"] == 0  # and is not retried for ever


def test_stop_from_a_customer_shows_in_their_thread_without_a_lead(location):
    customer = CustomerFactory(location=location, mobile_phone=STRANGER)
    sms_inbound_handle(provider_id="p-1", sender=STRANGER, body="STOP")

    inbound_sms_attach_pending()

    assert Message.objects.get().customer == customer
    assert not Lead.objects.exists()
    assert Suppression.objects.filter(address=STRANGER).exists()


def test_the_webhook_wakes_the_attach_job_on_commit(
    client, settings, location, django_capture_on_commit_callbacks
):
    settings.MESSAGING_SMS_WEBHOOK_SECRET = "secret"
    customer = CustomerFactory(location=location, mobile_phone=STRANGER)
    body = json.dumps({"id": "gw-1", "from": STRANGER, "body": "On my way"}).encode()
    signature = hmac.new(b"secret", body, hashlib.sha256).hexdigest()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/messages/sms/inbound/",
            data=body,
            content_type="application/json",
            headers={"X-Showroom-Signature": f"sha256={signature}"},
        )

    assert response.status_code == 200
    message = Message.objects.get()  # attached by the (eager) task, not by a periodic run
    assert (message.customer, message.body) == (customer, "On my way")


def test_the_job_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["conversations-attach-inbound-sms"]

    assert entry["task"] == "conversations.attach_inbound_sms"
    assert entry["schedule"] == 60.0
