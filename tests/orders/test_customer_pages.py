"""The customer's side: signed links only, their own order only, nothing smuggled in."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, Payment
from orders.services import order_reserve
from orders.tokens import SALT, order_token
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import advance, make_order

pytestmark = pytest.mark.django_db
S = Order.Status

DETAILS = {
    "first_name": "Mia",
    "last_name": "Wolf",
    "email": "mia@example.de",
    "phone": "0151 23456789",
    "street": "Ring 1",
    "postal_code": "04109",
    "city": "Leipzig",
}


def test_the_tracking_page_shows_status_breakdown_and_contact(client, vehicle, consultant):
    order = make_order(vehicle)
    order_reserve(order=order)

    response = client.get(reverse("orders:track", args=[order_token(order)]))

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Your order {order.reference}" in body
    assert "Reserved, deposit due" in body
    # the branch's number as its customers dial it, the link international
    assert '<a href="tel:+493415550100">0341 5550100</a>' in body
    assert "Cancel before you sign the contract and the deposit comes back in full." in body


def test_a_customer_cannot_open_another_customers_order(client, vehicle):
    mine, theirs = make_order(vehicle), make_order(VehicleFactory(location=vehicle.location))
    forged = signing.dumps({"o": theirs.pk, "k": mine.access_key}, salt=SALT)
    tampered = order_token(mine)[:-2] + "xx"

    for token in (forged, tampered, "nonsense"):
        for name in ("orders:track", "orders:contract", "orders:contract-pdf"):
            assert client.get(reverse(name, args=[token])).status_code == 404
        assert (
            client.post(reverse("orders:cancel", args=[token]), {"reason": "x"}).status_code == 404
        )
    theirs.refresh_from_db()
    assert theirs.status == S.DRAFT


def test_an_expired_link_is_a_404(client, vehicle, settings):
    settings.ORDERS_LINK_MAX_AGE_DAYS = 30
    with time_machine.travel(timezone.now() - datetime.timedelta(days=31), tick=False):
        order = make_order(vehicle)
        token = order_token(order)

    assert client.get(reverse("orders:track", args=[token])).status_code == 404
    assert client.get(reverse("orders:track", args=[order_token(order)])).status_code == 200


def test_extra_post_fields_change_nothing(client, vehicle):
    cheap = {
        "status": "delivered",
        "price": "1",
        "deposit": "0",
        "total": "1",
        "vehicle": "999",
        "apr": "0",
        "discount": "20000",
        "tradein_offer": "90000",
    }

    client.post(
        reverse("orders:start", args=[vehicle.pk]),
        {**DETAILS, **cheap, "payment_type": "cash", "fulfilment": "pickup"},
    )
    order = Order.objects.get()
    token = order_token(order)
    client.post(reverse("orders:reserve", args=[token]), cheap)
    client.post(reverse("orders:delivery", args=[token]), {**cheap, "fulfilment": "pickup"})

    order.refresh_from_db()
    deal = order.versions.order_by("-number").first().deal
    assert order.status == S.SUBMITTED
    assert (order.discount, order.tradein_offer, order.apr) == (Decimal("0.00"), None, Decimal(0))
    assert deal.price == vehicle.price
    assert order.payments.get().amount == Decimal("500.00")
    assert order.vehicle == vehicle


def test_the_deal_builder_rejects_bad_input_with_messages_and_saves_nothing(client, vehicle):
    response = client.post(
        reverse("orders:start", args=[vehicle.pk]),
        {
            **DETAILS,
            "email": "not-an-email",
            "payment_type": "lease",
            "term_months": "",
            "fulfilment": "delivery",
            "has_tradein": "on",
            "tradein_vin": "123",
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    for message in (
        "Enter a valid email address.",
        "Choose a term.",
        "Give the distance for home delivery.",
        "Give at least the make and model of your car.",
    ):
        assert message in body
    assert not Order.objects.exists()


def test_the_deal_builder_is_rate_limited(client, vehicle, settings):
    settings.ORDERS_FORM_RATE_LIMIT = 2
    # Frozen inside one minute: the limit's window is fixed, and three posts straddling a
    # minute boundary would land in two windows.
    with time_machine.travel(timezone.now().replace(second=10), tick=False):
        for _ in range(2):
            client.post(reverse("orders:start", args=[vehicle.pk]), {"payment_type": "cash"})

        response = client.post(
            reverse("orders:start", args=[vehicle.pk]),
            {**DETAILS, "payment_type": "cash", "fulfilment": "pickup"},
        )

    assert response.status_code == 429
    assert not Order.objects.exists()


def test_buy_online_is_not_offered_for_a_sold_car(client, vehicle):
    vehicle.status = "sold"
    vehicle.save()

    assert client.get(reverse("orders:start", args=[vehicle.pk])).status_code == 404


def test_the_vehicle_page_links_to_buy_online(client, vehicle):
    response = client.get(vehicle.get_absolute_url())

    assert reverse("orders:start", args=[vehicle.pk]) in response.content.decode()


def test_the_customer_cancels_before_signing_and_gets_the_deposit_back(client, vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)

    client.post(reverse("orders:cancel", args=[order_token(order)]), {"reason": "Found another"})

    order.refresh_from_db()
    vehicle.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "Found another")
    assert (order.refund_status, order.refund_amount) == ("refunded", Decimal("500.00"))
    assert order.payments.get(kind=Payment.Kind.REFUND).amount == Decimal("500.00")
    assert vehicle.status == "available"


def test_the_customer_cannot_cancel_after_signing(client, vehicle, consultant):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)

    response = client.post(reverse("orders:cancel", args=[order_token(order)]), {"reason": "x"})

    assert response.status_code == 400
    assert "The contract is signed: please call us to cancel." in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.CONTRACT_SIGNED


def test_staff_cancel_after_signing_keeps_the_cancellation_fee(vehicle, consultant, settings):
    from orders.services import order_cancel

    settings.ORDERS_CANCELLATION_FEE = Decimal("250.00")
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)

    order_cancel(order=order, by=consultant, reason="Customer withdrew by phone")

    order.refresh_from_db()
    assert (order.refund_status, order.refund_amount) == ("refunded", Decimal("250.00"))


def test_the_customer_switches_to_home_delivery(client, vehicle):
    order = make_order(vehicle)

    client.post(
        reverse("orders:delivery", args=[order_token(order)]),
        {
            "fulfilment": "delivery",
            "street": "Hauptstraße 3",
            "postal_code": "04229",
            "city": "Leipzig",
            "distance_km": "10",
        },
    )

    latest = order.versions.order_by("-number").first()
    assert (latest.number, latest.deal.delivery_fee) == (2, Decimal("111.00"))
    assert latest.accepted_at is not None


def test_the_tracking_page_has_a_fixed_number_of_queries(
    client, vehicle, consultant, django_assert_num_queries
):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    url = reverse("orders:track", args=[order_token(order)])
    client.get(url)

    # SAVEPOINT and RELEASE, the order (with customer, vehicle, location, consultant, slot and
    # finance joined), 5 prefetches (add-ons, versions, history, payments, signatures). The
    # footer's locations and their opening hours come from the cache the first request filled.
    with django_assert_num_queries(8):
        client.get(url)
