"""Order.deal_total: the total of the latest version the customer accepted, kept by the
services in the same transaction, and backfilled by the migration that added it."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from orders.models import Order
from orders.services import order_accept_version, order_adjust, order_change_delivery
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import advance, make_order

pytestmark = pytest.mark.django_db


def total_of(order: Order, number: int) -> Decimal:
    return Decimal(order.versions.get(number=number).breakdown["total"])


def stored(order: Order) -> Decimal | None:
    return Order.objects.values_list("deal_total", flat=True).get(pk=order.pk)


def test_a_new_order_agrees_on_the_deal_it_was_built_with(vehicle):
    # When the customer builds the deal online (version 1, accepted)
    order = make_order(vehicle)

    # Then its total is the order's deal total
    assert stored(order) == total_of(order, 1)
    assert stored(order) > 0


def test_an_adjustment_changes_the_total_only_once_accepted(vehicle, consultant):
    # Given an order with a paid deposit
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    agreed = total_of(order, 1)

    # When staff give 300.00 off: version 2, not accepted yet
    order_adjust(order=order, by=consultant, reason="Loyalty", changes={"discount": Decimal(300)})

    # Then version 2 is 357.00 less (300.00 plus the location's 19 % VAT), but the deal is
    # still version 1's
    assert total_of(order, 2) == agreed - Decimal("357.00")
    assert stored(order) == agreed

    # And when the customer accepts version 2, it is version 2's
    order_accept_version(order=order, number=2)
    assert stored(order) == agreed - Decimal("357.00")


def test_renegotiating_twice_keeps_the_latest_accepted(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    agreed = total_of(order, 1)
    order_adjust(order=order, by=consultant, reason="A", changes={"discount": Decimal(100)})
    order_accept_version(order=order, number=2)

    # When a third version is made but the customer tries to accept the second one again
    order_adjust(order=order, by=consultant, reason="B", changes={"discount": Decimal(400)})
    with pytest.raises(ValidationError):
        order_accept_version(order=order, number=2)

    # Then nothing changed: version 2's total (100.00 plus VAT off) is still the deal
    assert stored(order) == agreed - Decimal("119.00") == total_of(order, 2)
    # And accepting version 3 makes it the deal (400.00 plus VAT off)
    order_accept_version(order=order, number=3)
    assert stored(order) == agreed - Decimal("476.00") == total_of(order, 3)


def test_a_delivery_change_is_an_accepted_version_with_its_fee(vehicle):
    order = make_order(vehicle)
    pickup = total_of(order, 1)

    order_change_delivery(
        order=order,
        fulfilment="delivery",
        street="Ring 1",
        postal_code="04109",
        city="Leipzig",
        distance_km=40,
    )

    assert total_of(order, 2) > pickup
    assert stored(order) == total_of(order, 2)


def test_the_migration_backfills_from_the_latest_accepted_version(vehicle, consultant):
    # Given an order renegotiated (v2 accepted) with a newer adjustment not accepted (v3),
    # and an order without any accepted version, both without a stored total
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    order_adjust(order=order, by=consultant, reason="A", changes={"discount": Decimal(100)})
    order_accept_version(order=order, number=2)
    order_adjust(order=order, by=consultant, reason="B", changes={"discount": Decimal(400)})
    other = make_order(VehicleFactory(location=vehicle.location))
    other.versions.update(accepted_at=None)
    Order.objects.update(deal_total=None)

    # When the migration's backfill runs
    migration = importlib.import_module("orders.migrations.0002_order_deal_total")
    migration.backfill_deal_total(apps, type("Editor", (), {"connection": connection})())

    # Then the first has version 2's total, the second none
    assert stored(order) == total_of(order, 2)
    assert stored(other) is None
