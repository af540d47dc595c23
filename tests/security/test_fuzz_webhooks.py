"""The signed webhooks under hostile input (tests/security/fuzz.py): the SMS gateway's inbound
messages and delivery receipts, the payment provider's events. Bad or missing signatures,
replays, unknown ids, hostile bodies: never a 5xx, and a refused call changes nothing."""

import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from hypothesis import strategies as st

from dealership.messaging.models import Consent, InboundSms, OutboxMessage, Suppression
from orders.models import Order, Payment, PaymentEvent
from orders.payments import sign
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order
from tests.security.fuzz import NASTY, fuzz_body, hostile_text

pytestmark = pytest.mark.django_db

EXAMPLES = 150
SMS_SECRET = "sms-webhook-secret"
NUMBER = "+4915123456789"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.MESSAGING_SMS_WEBHOOK_SECRET = SMS_SECRET
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    settings.PAYMENT_WEBHOOK_SECRET = "payment-webhook-secret"
    settings.ORDERS_DEPOSIT = Decimal("500.00")


def json_values(*valid) -> st.SearchStrategy:
    """What a JSON field may hold: the expected values, hostile strings, or the wrong type."""
    return st.one_of(
        st.sampled_from(valid),
        st.sampled_from(valid),
        hostile_text(),
        st.none(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.lists(st.text(max_size=5), max_size=2),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    )


@st.composite
def signed_json(draw, fields: dict, *, signer, header: str, prefix: str = ""):
    """(body, headers): a JSON object of hostile values (or not JSON at all), signed right,
    wrong, not at all, or with another secret."""
    kind = draw(st.sampled_from(["object"] * 6 + ["partial"] * 2 + ["array", "raw", "nul"]))
    if kind == "object":
        body = json.dumps(draw(st.fixed_dictionaries(fields))).encode()
    elif kind == "partial":
        body = json.dumps(draw(st.fixed_dictionaries({}, optional=fields))).encode()
    elif kind == "array":
        body = json.dumps(draw(st.lists(st.integers(), max_size=3))).encode()
    elif kind == "nul":
        body = b'{"id": "a\\u0000b", "from": "\\u0000", "message_id": "\\u0000"}'
    else:
        body = draw(st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"{", b"null"])))
    signature = draw(st.sampled_from(["right"] * 7 + ["wrong", "missing", "truncated", "nasty"]))
    good = prefix + signer(body)
    value = {
        "right": good,
        "wrong": prefix + signer(body + b" "),
        "missing": None,
        "truncated": good[:-4],
        "nasty": draw(st.sampled_from(NASTY[1:4])),
    }[signature]
    return body, ({header: value} if value is not None else {})


def _sms_sign(body: bytes) -> str:
    return hmac.new(SMS_SECRET.encode(), body, hashlib.sha256).hexdigest()


def _sms_state():
    return (
        sorted(Suppression.objects.values_list("channel", "address")),
        sorted(OutboxMessage.objects.values_list("pk", "status")),
    )


def test_inbound_sms_webhook_survives_hostile_input(client):
    def one_message(response, added):
        assert response.json()["ok"] is True
        assert added[InboundSms] in (0, 1)  # 0: a redelivery of the same provider id

    bodies = signed_json(
        {
            "id": json_values("SM1", "SM2", "x" * 300),
            "from": json_values(NUMBER, "0151 23456789", "+1", "x" * 40),
            "body": json_values("STOP", "START", "HELP", "stop please", "x" * 3000),
        },
        signer=_sms_sign,
        header="X-Showroom-Signature",
        prefix="sha256=",
    )

    result = fuzz_body(
        client,
        "/messages/sms/inbound/",
        bodies,
        models=[InboundSms, Suppression, Consent, OutboxMessage],
        snapshot=_sms_state,
        added=one_message,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 400, 403}
    assert result.accepted >= 1
    assert {403, 400} <= set(result.statuses)


def test_sms_delivery_receipts_survive_hostile_input(client, location):
    from tests.messaging.factories import OutboxMessageFactory

    message = OutboxMessageFactory(
        channel="sms", to=NUMBER, status=OutboxMessage.Status.SENT, provider_message_id="msg-1"
    )

    def statuses():
        return sorted(OutboxMessage.objects.values_list("pk", "status", "last_error"))

    bodies = signed_json(
        {
            "message_id": json_values("msg-1", "msg-unknown", "x" * 300),
            "status": json_values("delivered", "failed", "sent"),
            "error": json_values("Handset unreachable", "x" * 5000),
        },
        signer=_sms_sign,
        header="X-Showroom-Signature",
        prefix="sha256=",
    )

    result = fuzz_body(
        client,
        "/messages/sms/receipts/",
        bodies,
        models=[OutboxMessage],
        snapshot=statuses,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 400, 403}
    assert result.accepted >= 1
    message.refresh_from_db()
    assert message.status in (OutboxMessage.Status.DELIVERED, OutboxMessage.Status.FAILED)
    assert len(message.last_error) <= 2000


def test_payment_webhook_survives_hostile_input_replays_and_unknown_ids(client, location):
    order = make_order(VehicleFactory(location=location))
    from orders.services import order_reserve

    order, payment = order_reserve(order=order)
    reference = payment.provider_reference

    def order_state():
        return (
            sorted(Payment.objects.values_list("pk", "status", "failure_reason")),
            sorted(Order.objects.values_list("pk", "status")),
        )

    def one_event(response, added):
        assert response.json()["outcome"] in (
            "applied",
            "refunded",
            "declined",
            "duplicate",
            "ignored",
        )
        # A replayed event id is not stored again; a new event on a settled payment is.
        assert added[PaymentEvent] in (
            (0, 1) if response.json()["outcome"] == "duplicate" else (1,)
        )

    bodies = signed_json(
        {
            # A small pool of event ids: replays happen.
            "id": json_values("evt_1", "evt_2", "evt_3", "x" * 101),
            "type": json_values("payment.succeeded", "payment.failed", "payment.refunded"),
            "payment": json_values(reference, "pay_unknown", "x" * 300),
            "amount": json_values("500.00", "499.99", "NaN", "sNaN", "Infinity", "-0", "1e999"),
            "reason": json_values("Card declined", "x" * 500),
        },
        signer=sign,
        header="X-Showroom-Signature",
    )

    result = fuzz_body(
        client,
        "/orders/payments/webhook/test/",
        bodies,
        models=[PaymentEvent, Payment, Order],
        snapshot=order_state,
        added=one_event,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 400, 403}
    assert result.accepted >= 1
    # Replays were answered "duplicate": one stored event per event id.
    ids = list(PaymentEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))


def test_a_webhook_for_another_provider_is_404(client):
    body = json.dumps({"id": "evt_1", "type": "payment.succeeded", "payment": "p", "amount": "1"})

    response = client.post(
        "/orders/payments/webhook/stripe/",
        body,
        content_type="application/json",
        headers={"X-Showroom-Signature": sign(body.encode())},
    )

    assert response.status_code == 404
    assert PaymentEvent.objects.count() == 0


def _post_sms(client, url, payload):
    body = json.dumps(payload).encode()
    return client.post(
        url,
        body,
        content_type="application/json",
        headers={"X-Showroom-Signature": "sha256=" + _sms_sign(body)},
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "SM\x001", "from": NUMBER, "body": "STOP"},
        {"id": "S" * 256, "from": NUMBER, "body": "STOP"},
    ],
    ids=["nul-in-id", "id-too-long"],
)
def test_an_inbound_sms_the_database_cannot_hold_is_a_clean_400(client, payload):
    response = _post_sms(client, "/messages/sms/inbound/", payload)

    assert response.status_code == 400
    assert InboundSms.objects.count() == 0
    assert Suppression.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"message_id": "msg\x00", "status": "failed", "error": "x"},
        {"message_id": "m" * 300, "status": "delivered"},
    ],
    ids=["nul-in-id", "id-too-long"],
)
def test_a_receipt_the_database_cannot_hold_is_a_clean_400(client, location, payload):
    from tests.messaging.factories import OutboxMessageFactory

    message = OutboxMessageFactory(
        channel="sms", to=NUMBER, status=OutboxMessage.Status.SENT, provider_message_id="msg-1"
    )

    response = _post_sms(client, "/messages/sms/receipts/", payload)

    assert response.status_code == 400
    message.refresh_from_db()
    assert (message.status, message.last_error) == (OutboxMessage.Status.SENT, "")


def test_nul_characters_in_an_sms_and_a_receipt_text_are_dropped(client, location):
    from tests.messaging.factories import OutboxMessageFactory

    message = OutboxMessageFactory(
        channel="sms", to=NUMBER, status=OutboxMessage.Status.SENT, provider_message_id="msg-1"
    )

    inbound = _post_sms(
        client, "/messages/sms/inbound/", {"id": "SM1", "from": NUMBER, "body": "ST\x00OP"}
    )
    receipt = _post_sms(
        client,
        "/messages/sms/receipts/",
        {"message_id": "msg-1", "status": "failed", "error": "Unreach\x00able"},
    )

    assert (inbound.status_code, inbound.json()) == (200, {"ok": True, "keyword": "STOP"})
    assert InboundSms.objects.get().body == "STOP"
    assert Suppression.objects.filter(channel="sms", address=NUMBER).count() == 1
    assert (receipt.status_code, receipt.json()) == (200, {"ok": True, "updated": 1})
    message.refresh_from_db()
    assert (message.status, message.last_error) == (OutboxMessage.Status.FAILED, "Unreachable")


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_1", "type": "payment." + "x" * 40, "payment": "p", "amount": "500.00"},
        {"id": "evt_1", "type": "payment.failed", "payment": "p\x00", "amount": "500.00"},
        {"id": "evt_1", "type": "payment.failed", "payment": "p" * 81, "amount": "500.00"},
        {"id": "evt_1", "type": "payment.failed", "payment": "p", "amount": "sNaN"},
        {"id": "evt_1", "type": "payment.failed", "payment": "p", "amount": "1", "x": ["\x00"]},
    ],
    ids=["type-too-long", "nul-in-reference", "reference-too-long", "signalling-nan", "nul-deep"],
)
def test_a_payment_event_the_database_cannot_hold_is_a_clean_400(client, event):
    body = json.dumps(event).encode()

    response = client.post(
        "/orders/payments/webhook/test/",
        body,
        content_type="application/json",
        headers={"X-Showroom-Signature": sign(body)},
    )

    assert response.status_code == 400
    assert response.json() == {"error": "malformed event"}
    assert PaymentEvent.objects.count() == 0
