"""Reserving a car: one buyer wins, the rest are told at once; unpaid reservations expire."""

import datetime
import threading

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from inventory.models import Vehicle
from orders.models import Order, Payment
from orders.services import VehicleUnavailable, order_reserve, orders_expire_reservations
from orders.tokens import order_token
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order, pay_deposit

S = Order.Status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_buyers_make_one_reservation_and_one_deposit(location):
    vehicle = VehicleFactory(location=location)
    orders = [make_order(vehicle) for _ in range(50)]
    barrier = threading.Barrier(50)
    won, lost, errors = [], [], []

    def buy(order):
        try:
            barrier.wait(timeout=30)
            _order, payment = order_reserve(order=order)
            won.append((order.pk, payment.pk))
        except VehicleUnavailable:
            lost.append(order.pk)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert (len(won), len(lost)) == (1, 49)
    vehicle.refresh_from_db()
    assert vehicle.status == Vehicle.Status.RESERVED
    assert Order.objects.filter(vehicle=vehicle, status=S.SUBMITTED).get().pk == won[0][0]
    assert Order.objects.filter(vehicle=vehicle, status=S.DRAFT).count() == 49
    assert list(Payment.objects.values_list("pk", "kind")) == [(won[0][1], "deposit")]


@pytest.mark.django_db
def test_reserving_twice_opens_one_deposit_payment(vehicle):
    order = make_order(vehicle)

    _o, first = order_reserve(order=order)
    _o, second = order_reserve(order=order)

    assert first.pk == second.pk
    assert Payment.objects.filter(order=order).count() == 1
    assert first.idempotency_key == f"order:{order.pk}:deposit"


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_order_for_one_car(vehicle):
    first, second = make_order(vehicle), make_order(vehicle)
    Order.objects.filter(pk=first.pk).update(status=S.SUBMITTED)

    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=second.pk).update(status=S.DEPOSIT_PAID)

    # Cancelled and delivered orders don't hold the car.
    Order.objects.filter(pk=first.pk).update(status=S.CANCELLED)
    Order.objects.filter(pk=second.pk).update(status=S.SUBMITTED)


@pytest.mark.django_db
def test_the_second_buyer_sees_just_reserved_and_similar_cars(client, vehicle):
    similar = VehicleFactory(location=vehicle.location, model="Golf Variant")
    first, second = make_order(vehicle), make_order(vehicle)
    order_reserve(order=first)

    response = client.post(reverse("orders:reserve", args=[order_token(second)]))

    assert response.status_code == 409
    body = response.content.decode()
    assert "Sorry, this car was just reserved by another buyer." in body
    assert similar.get_absolute_url() in body
    second.refresh_from_db()
    assert second.status == S.DRAFT
    assert not second.payments.exists()


@pytest.mark.django_db
def test_an_unpaid_reservation_expires_and_frees_the_car(vehicle, settings):
    settings.ORDERS_RESERVATION_MINUTES = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = make_order(vehicle)
        order_reserve(order=order)
    with time_machine.travel(start + datetime.timedelta(minutes=59), tick=False):
        assert orders_expire_reservations() == 0
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        assert orders_expire_reservations() == 1
        assert orders_expire_reservations() == 0  # a second run finds nothing

    order.refresh_from_db()
    vehicle.refresh_from_db()
    assert (order.status, order.cancel_reason) == (
        S.CANCELLED,
        "The deposit did not arrive in time.",
    )
    assert vehicle.status == Vehicle.Status.AVAILABLE
    assert order.payments.get().status == Payment.Status.EXPIRED
    assert order.refund_status == ""
    # Somebody else can reserve it now.
    order_reserve(order=make_order(vehicle))


@pytest.mark.django_db
def test_a_late_payment_for_an_expired_reservation_is_refunded_not_applied(vehicle):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = make_order(vehicle)
        _o, payment = order_reserve(order=order)
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        orders_expire_reservations()
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)  # in flight
        outcome = pay_deposit(order)

    order.refresh_from_db()
    vehicle.refresh_from_db()
    assert outcome == "refunded"
    assert order.status == S.CANCELLED
    assert vehicle.status == Vehicle.Status.AVAILABLE
    assert (order.refund_status, order.refund_amount) == ("refunded", payment.amount)
    refund = order.payments.get(kind=Payment.Kind.REFUND)
    assert (refund.amount, refund.status) == (payment.amount, Payment.Status.SUCCEEDED)
    assert not order.transitions.filter(to_status=S.DEPOSIT_PAID).exists()


@pytest.mark.django_db
def test_a_late_payment_whose_pending_row_was_expired_is_refunded_too(vehicle):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = make_order(vehicle)
        _o, payment = order_reserve(order=order)
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        orders_expire_reservations()
        payment.refresh_from_db()
        assert payment.status == Payment.Status.EXPIRED
        from orders.payments import TestPaymentBackend
        from orders.services import payment_webhook_handle

        body, _sig = TestPaymentBackend.webhook(
            reference=payment.provider_reference, outcome="succeeded", amount=payment.amount
        )
        import json

        data = json.loads(body)
        outcome = payment_webhook_handle(
            provider="test",
            event_id=data["id"],
            kind=data["type"],
            reference=payment.provider_reference,
            amount=payment.amount,
            payload=data,
        )

    order.refresh_from_db()
    assert outcome == "refunded"
    assert order.refund_status == "refunded"
    assert order.payments.filter(kind=Payment.Kind.REFUND).count() == 1
