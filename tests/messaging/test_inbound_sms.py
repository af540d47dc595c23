import datetime
import hashlib
import hmac
import json

import pytest
import time_machine
from django.core import mail

from dealership.messaging.models import Channel, InboundSms, OutboxMessage, Purpose, Suppression
from dealership.messaging.selectors import consent_state
from dealership.messaging.services import (
    consent_record,
    message_enqueue,
    messages_flush,
    sms_keyword,
)
from tests.accounts.factories import LocationFactory

Status = OutboxMessage.Status
NOON = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=datetime.UTC)
SECRET = "webhook-secret"
NUMBER = "+4915123456789"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.MESSAGING_SMS_WEBHOOK_SECRET = SECRET


def post_signed(client, url, payload, *, secret=SECRET):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={"X-Showroom-Signature": f"sha256={signature}"},
    )


def inbound(client, body, *, provider_id="in-1", sender="0151 23456789"):
    return post_signed(
        client, "/messages/sms/inbound/", {"id": provider_id, "from": sender, "body": body}
    )


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "  Stop! ",
        "STOPALL",
        "unsubscribe",
        "Cancel.",
        "end",
        "QUIT",
        "revoke",
        "OPT OUT",
        "opt-out",
        " Opt  out. ",
    ],
)
def test_stop_keywords_in_their_variants(body):
    assert sms_keyword(body) == "STOP"


@pytest.mark.parametrize(
    ("body", "keyword"),
    [("Start", "START"), ("help?", "HELP"), ("please stop calling me", ""), ("", "")],
)
def test_other_keywords_and_ordinary_messages(body, keyword):
    assert sms_keyword(body) == keyword


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_stop_suppresses_the_number_at_once_with_one_confirmation(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = inbound(client, " Stop! ")
        again = inbound(client, " Stop! ")  # the gateway redelivers the webhook
        second_stop = inbound(client, "STOP", provider_id="in-2")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "keyword": "STOP"}
    assert again.status_code == 200
    assert second_stop.status_code == 200
    assert InboundSms.objects.count() == 2
    assert Suppression.objects.get().address == NUMBER
    state = consent_state(channel=Channel.SMS, address=NUMBER)
    assert state.suppressed is True
    assert state.granted is False
    assert [m["body"] for m in sms_outbox] == [
        "You will get no more SMS from Showroom Motors. Reply START to opt back in.\n"
    ]


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_after_stop_no_marketing_sms_but_transactional_email_still_goes(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    location = LocationFactory()
    for channel, address in ((Channel.SMS, NUMBER), (Channel.EMAIL, "kim@example.com")):
        consent_record(
            channel=channel, address=address, granted=True, source="web form", wording="Offers"
        )
    with django_capture_on_commit_callbacks(execute=True):
        inbound(client, "stop")
    sms_outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        marketing_sms = message_enqueue(
            channel=Channel.SMS,
            purpose=Purpose.MARKETING,
            to=NUMBER,
            template_key="tests.hello",
            context={"name": "Kim"},
            dedupe_key="campaign:1:sms",
            location=location,
        )
        booking_sms = message_enqueue(
            channel=Channel.SMS,
            purpose=Purpose.TRANSACTIONAL,
            to=NUMBER,
            template_key="tests.hello",
            context={"name": "Kim"},
            dedupe_key="testdrive:1:confirmed:sms",
            location=location,
        )
        booking_email = message_enqueue(
            channel=Channel.EMAIL,
            purpose=Purpose.TRANSACTIONAL,
            to="kim@example.com",
            template_key="tests.hello",
            context={"name": "Kim"},
            dedupe_key="testdrive:1:confirmed:email",
            location=location,
        )
        marketing_email = message_enqueue(
            channel=Channel.EMAIL,
            purpose=Purpose.MARKETING,
            to="kim@example.com",
            template_key="tests.hello",
            context={"name": "Kim"},
            dedupe_key="campaign:1:email",
            location=location,
        )
    messages_flush()

    assert sms_outbox == []
    assert OutboxMessage.objects.get(pk=marketing_sms.pk).status == Status.SUPPRESSED
    assert OutboxMessage.objects.get(pk=booking_sms.pk).status == Status.SUPPRESSED
    assert OutboxMessage.objects.get(pk=booking_email.pk).status == Status.SENT
    assert OutboxMessage.objects.get(pk=marketing_email.pk).status == Status.SENT
    assert sorted(m.extra_headers["X-Idempotency-Key"] for m in mail.outbox) == [
        "campaign:1:email",
        "testdrive:1:confirmed:email",
    ]


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_start_opts_back_in_and_help_answers_with_the_dealership_contact(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    location = LocationFactory(name="Showroom Motors Leipzig", phone="+49 341 555 0100")
    message_enqueue(
        channel=Channel.SMS,
        purpose=Purpose.TRANSACTIONAL,
        to=NUMBER,
        template_key="tests.hello",
        context={"name": "Kim"},
        dedupe_key="testdrive:1:sms",
        location=location,
    )
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        inbound(client, "STOP", provider_id="in-1")
        inbound(client, "start", provider_id="in-2")
        help_response = inbound(client, "Help", provider_id="in-3")

    assert help_response.json() == {"ok": True, "keyword": "HELP"}
    assert Suppression.objects.count() == 0
    assert [m["body"] for m in sms_outbox] == [
        "You will get no more SMS from Showroom Motors Leipzig. Reply START to opt back in.\n",
        "You will get SMS from Showroom Motors Leipzig again. Reply STOP to opt out.\n",
        "Showroom Motors Leipzig: call 0341 5550100 · branch-0@showroom.example. "
        "Reply STOP to opt out.\n".replace("branch-0", location.slug),
    ]


@pytest.mark.django_db
def test_stop_on_one_number_leaves_the_customers_email_alone(client):
    consent_record(
        channel=Channel.EMAIL,
        address="kim@example.com",
        granted=True,
        source="web form",
        wording="Offers",
        customer_id=42,
    )

    inbound(client, "STOP")

    assert consent_state(channel=Channel.EMAIL, address="kim@example.com").may_send_marketing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "secret", ["wrong-secret", ""], ids=["wrong signature", "no signature secret"]
)
def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(client, secret):
    if secret:
        response = post_signed(
            client,
            "/messages/sms/inbound/",
            {"id": "x", "from": NUMBER, "body": "STOP"},
            secret=secret,
        )
    else:
        response = client.post(
            "/messages/sms/inbound/",
            data=json.dumps({"id": "x", "from": NUMBER, "body": "STOP"}),
            content_type="application/json",
        )

    assert response.status_code == 403
    assert InboundSms.objects.count() == 0
    assert Suppression.objects.count() == 0


@pytest.mark.django_db
def test_a_webhook_with_missing_fields_gets_a_400(client):
    response = post_signed(client, "/messages/sms/inbound/", {"body": "STOP"})

    assert response.status_code == 400
    assert response.json() == {"error": "“id” and “from” are required."}
    assert InboundSms.objects.count() == 0


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_delivery_receipts_update_the_status(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivered = message_enqueue(
            channel=Channel.SMS,
            purpose=Purpose.TRANSACTIONAL,
            to=NUMBER,
            template_key="tests.hello",
            context={"name": "Kim"},
            dedupe_key="order:1:sms",
        )
        failed = message_enqueue(
            channel=Channel.SMS,
            purpose=Purpose.TRANSACTIONAL,
            to="+4915123456780",
            template_key="tests.hello",
            context={"name": "Kim"},
            dedupe_key="order:2:sms",
        )
    delivered.refresh_from_db()
    failed.refresh_from_db()

    ok = post_signed(
        client,
        "/messages/sms/receipts/",
        {"message_id": delivered.provider_message_id, "status": "delivered"},
    )
    ko = post_signed(
        client,
        "/messages/sms/receipts/",
        {"message_id": failed.provider_message_id, "status": "failed", "error": "absent"},
    )
    bad = post_signed(client, "/messages/sms/receipts/", {"message_id": "x", "status": "lost"})

    assert ok.json() == {"ok": True, "updated": 1}
    assert ko.json() == {"ok": True, "updated": 1}
    assert bad.status_code == 400
    delivered.refresh_from_db()
    failed.refresh_from_db()
    assert (delivered.status, delivered.delivered_at) == (Status.DELIVERED, NOON)
    assert (failed.status, failed.last_error) == (Status.FAILED, "absent")


@pytest.mark.django_db
def test_webhooks_accept_only_post(client):
    assert client.get("/messages/sms/inbound/").status_code == 405
    assert client.get("/messages/sms/receipts/").status_code == 405
