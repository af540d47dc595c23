"""Webhooks: signed, idempotent; decline and delayed confirmation; the offline provider."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders.models import Order, Payment, PaymentEvent
from orders.payments import SIGNATURE_HEADER, TestPaymentBackend
from orders.services import order_reserve, payment_confirm_offline, payment_webhook_handle
from orders.tokens import order_token
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

S = Order.Status


def _post(client, body: bytes, signature: str):
    return client.post(
        reverse("orders:webhook", args=["test"]),
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature},
    )


@pytest.fixture
def reserved(vehicle):
    order = make_order(vehicle)
    _order, payment = order_reserve(order=order)
    return order, payment


@pytest.mark.django_db
def test_a_webhook_delivered_twice_applies_one_payment(reserved):
    order, payment = reserved
    client = Client(enforce_csrf_checks=True)  # the webhook needs no CSRF token
    body, signature = TestPaymentBackend.webhook(
        reference=payment.provider_reference,
        outcome="succeeded",
        amount=payment.amount,
        event_id="evt_1",
    )

    first = _post(client, body, signature)
    second = _post(client, body, signature)

    assert (first.status_code, first.json()) == (200, {"outcome": "applied"})
    assert (second.status_code, second.json()) == (200, {"outcome": "duplicate"})
    order.refresh_from_db()
    assert order.status == S.DEPOSIT_PAID
    assert order.transitions.filter(to_status=S.DEPOSIT_PAID).count() == 1
    assert PaymentEvent.objects.count() == 1
    assert list(order.payments.values_list("status", flat=True)) == ["succeeded"]


@pytest.mark.django_db
def test_a_second_event_for_a_received_payment_changes_nothing(reserved):
    order, payment = reserved
    for event_id in ("evt_a", "evt_b"):
        body, signature = TestPaymentBackend.webhook(
            reference=payment.provider_reference,
            outcome="succeeded",
            amount=payment.amount,
            event_id=event_id,
        )
        _post(Client(), body, signature)

    assert order.transitions.filter(to_status=S.DEPOSIT_PAID).count() == 1
    assert list(PaymentEvent.objects.order_by("event_id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("signature", "status"), [("", 403), ("0" * 64, 403)])
def test_an_unsigned_or_forged_webhook_is_refused_and_changes_nothing(reserved, signature, status):
    order, payment = reserved
    body, _good = TestPaymentBackend.webhook(
        reference=payment.provider_reference, outcome="succeeded", amount=payment.amount
    )

    response = _post(Client(), body, signature)

    assert (response.status_code, response.json()) == (status, {"error": "bad signature"})
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert PaymentEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'{"id": "e", "type": "payment.succeeded", "payment": "x"}',
        b'{"id": "e", "type": "t", "payment": "p", "amount": "abc"}',
    ],
)
def test_a_malformed_signed_webhook_is_a_400(reserved, body):
    from orders.payments import sign

    response = _post(Client(), body, sign(body))

    assert (response.status_code, response.json()) == (400, {"error": "malformed event"})
    assert PaymentEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_webhook_with_the_wrong_amount_is_ignored(reserved):
    order, payment = reserved
    body, signature = TestPaymentBackend.webhook(
        reference=payment.provider_reference, outcome="succeeded", amount=Decimal("1.00")
    )

    assert _post(Client(), body, signature).json() == {"outcome": "ignored"}
    order.refresh_from_db()
    assert order.status == S.SUBMITTED


@pytest.mark.django_db
def test_a_declined_card_keeps_the_reservation_and_can_be_retried(client, reserved):
    order, payment = reserved

    client.post(
        reverse("orders:test-checkout", args=[payment.provider_reference]), {"outcome": "failed"}
    )
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.status) == (Payment.Status.FAILED, S.SUBMITTED)

    retry = client.post(reverse("orders:reserve", args=[order_token(order)]))

    new = order.payments.exclude(pk=payment.pk).get()
    assert retry.status_code == 302
    assert retry["Location"] == reverse("orders:test-checkout", args=[new.provider_reference])
    assert (new.status, new.idempotency_key) == ("pending", f"order:{order.pk}:deposit:2")


@pytest.mark.django_db
def test_a_delayed_confirmation_applies_when_the_webhook_arrives(client, reserved):
    order, payment = reserved

    response = client.post(
        reverse("orders:test-checkout", args=[payment.provider_reference]),
        {"outcome": "delayed"},
        follow=True,
    )
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert "Your bank is confirming the payment" in response.content.decode()

    body, signature = TestPaymentBackend.webhook(
        reference=payment.provider_reference, outcome="succeeded", amount=payment.amount
    )
    _post(Client(), body, signature)

    order.refresh_from_db()
    assert order.status == S.DEPOSIT_PAID


@pytest.mark.django_db
def test_the_offline_provider_shows_bank_details_and_staff_confirm_once(
    client, vehicle, consultant, settings
):
    settings.PAYMENT_BACKEND = "orders.payments.OfflinePaymentBackend"
    settings.PAYMENT_BANK_ACCOUNT = "DE02 1203 0000 0000 2020 51"
    order = make_order(vehicle)

    response = client.post(reverse("orders:reserve", args=[order_token(order)]), follow=True)

    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert (
        f"Transfer 500.00 EUR to DE02 1203 0000 0000 2020 51 with the reference {order.reference}."
        in response.content.decode()
    )
    assert payment_confirm_offline(order=order, by=consultant) == "applied"
    assert payment_confirm_offline(order=order, by=consultant) == "duplicate"
    order.refresh_from_db()
    assert order.status == S.DEPOSIT_PAID
    assert order.payments.get().confirmed_by == consultant
    # An offline provider has no webhook.
    assert client.post(reverse("orders:webhook", args=["offline"])).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_event_apply_once(location):
    order = make_order(VehicleFactory(location=location))
    _order, payment = order_reserve(order=order)
    body, _signature = TestPaymentBackend.webhook(
        reference=payment.provider_reference,
        outcome="succeeded",
        amount=payment.amount,
        event_id="evt_same",
    )
    data = json.loads(body)
    barrier = threading.Barrier(8)
    outcomes = []

    def deliver():
        try:
            barrier.wait(timeout=20)
            outcomes.append(
                payment_webhook_handle(
                    provider="test",
                    event_id="evt_same",
                    kind=data["type"],
                    reference=payment.provider_reference,
                    amount=payment.amount,
                    payload=data,
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 7
    assert order.transitions.filter(to_status=S.DEPOSIT_PAID).count() == 1
