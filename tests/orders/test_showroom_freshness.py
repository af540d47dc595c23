"""What a customer sees is never stale: an order reserving, releasing or selling a car changes
the showroom's result list and facet counts as soon as its transaction commits (not when the
facet index next expires), and a rolled-back order changes nothing."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aftersales.models import OwnedVehicle
from dealership.release import cache_key
from inventory.models import Vehicle
from inventory.page_cache import page_cache_invalidate
from inventory.selectors import facets_cache_version
from inventory.services import vehicles_set_status
from orders.models import Order
from orders.services import order_cancel, order_hand_over, order_reserve
from orders.tasks import expire_reservations
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import advance, make_order

S = Order.Status
SUVS = {"body_type": "suv"}


def _showroom(client, params=None) -> tuple[int, list[str], int]:
    """The search page as a visitor gets it: the count it shows, the stock numbers it lists,
    and the SUV count of the body-type facet. Always a fresh render: a page-cache hit has no
    template context to read, so the page version moves first (the facets and the result list
    stay keyed by the inventory version alone, which is what these tests are about; the page
    cache follows that same version, see tests/inventory/test_page_cache.py)."""
    page_cache_invalidate()
    response = client.get("/vehicles/", params or {})
    assert response.status_code == 200
    assert response.get("X-Page-Cache") != "hit"
    facets = response.context["facets"]
    suvs = next((f.count for f in facets.get("body_type") if f.value == "suv"), 0)
    stocks = sorted(v.stock_number for v in response.context["page"].vehicles)
    return facets.total, stocks, suvs


@pytest.fixture
def two_suvs(location):
    """Two available SUVs; the first is the one the orders are about."""
    wanted = VehicleFactory(location=location, stock_number="SUV001", body_type="suv")
    VehicleFactory(location=location, stock_number="SUV002", body_type="suv")
    return wanted


@pytest.mark.django_db
def test_a_direct_save_leaves_the_cached_facets_stale(client, two_suvs):
    # Why the orders go through the inventory services: the facets of a filter state are
    # cached per inventory version, which only the services move.
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)

    Vehicle.objects.filter(pk=two_suvs.pk).update(status=Vehicle.Status.RESERVED)

    total, stocks, suvs = _showroom(client, SUVS)
    assert stocks == ["SUV002"]  # the list is read from the database …
    assert (total, suvs) == (2, 2)  # … the counts still say two


@pytest.mark.django_db
def test_a_reservation_leaves_the_showroom_at_commit(
    client, two_suvs, django_capture_on_commit_callbacks
):
    order = make_order(two_suvs)
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_reserve(order=order)
    # Nothing is announced before the commit …
    assert facets_cache_version() == version
    for callback in callbacks:
        callback()

    # … and at the commit the cached counts and the list agree again.
    assert facets_cache_version() != version
    assert _showroom(client, SUVS) == (1, ["SUV002"], 1)
    assert _showroom(client) == (1, ["SUV002"], 1)
    # The facet index of the new version was built by the task queued on commit.
    assert cache.has_key(cache_key(f"inventory:facet-index:{facets_cache_version()}"))


@pytest.mark.django_db
def test_the_losing_buyer_changes_nothing(client, two_suvs, django_capture_on_commit_callbacks):
    first, second = make_order(two_suvs), make_order(two_suvs)
    with django_capture_on_commit_callbacks(execute=True):
        order_reserve(order=first)
    assert _showroom(client, SUVS) == (1, ["SUV002"], 1)
    version = facets_cache_version()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        order_reserve(order=second)

    assert refused.value.messages == ["Sorry, this car was just reserved by another buyer."]
    assert callbacks == []
    assert facets_cache_version() == version
    second.refresh_from_db()
    assert second.status == S.DRAFT


@pytest.mark.django_db
def test_a_customer_cancellation_with_a_refund_brings_the_car_back(
    client, two_suvs, consultant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = advance(make_order(two_suvs), "deposit_paid", staff=consultant)
    assert _showroom(client, SUVS) == (1, ["SUV002"], 1)

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=None, reason="Found another", by_customer=True)

    order.refresh_from_db()
    assert (order.status, order.refund_status) == (S.CANCELLED, "refunded")
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)


@pytest.mark.django_db
def test_a_staff_cancellation_through_the_desk_brings_the_car_back(
    client, consultant_client, consultant, two_suvs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = advance(make_order(two_suvs), "submitted", staff=consultant)
    assert _showroom(client, SUVS) == (1, ["SUV002"], 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = consultant_client.post(
            f"/staff/orders/{order.pk}/cancel/", {"cancel-reason": "Customer withdrew"}
        )

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "Customer withdrew")
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)


@pytest.mark.django_db
def test_an_expired_reservation_brings_the_car_back(
    client, two_suvs, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_RESERVATION_MINUTES = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        order_reserve(order=make_order(two_suvs))

    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        # The counts are cached at this moment, so only a new version can change them.
        assert _showroom(client, SUVS) == (1, ["SUV002"], 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert expire_reservations.delay().get() == 1

        assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)


@pytest.mark.django_db
def test_a_hand_over_sells_the_car_on_the_showroom(
    client, two_suvs, consultant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = advance(make_order(two_suvs), "ready_for_delivery", staff=consultant)
    page = client.get(two_suvs.get_absolute_url())
    assert "This car has been sold." not in page.content.decode()
    version = facets_cache_version()

    with (
        time_machine.travel("2026-06-01 09:30:00+00:00", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_hand_over(order=order, by=consultant, odometer_km=30_012)

    assert facets_cache_version() != version
    two_suvs.refresh_from_db()
    assert (two_suvs.status, two_suvs.mileage, two_suvs.sold_at) == (
        Vehicle.Status.SOLD,
        30_012,
        datetime.datetime(2026, 6, 1, 9, 30, tzinfo=datetime.UTC),
    )
    assert "This car has been sold." in client.get(two_suvs.get_absolute_url()).content.decode()
    assert _showroom(client, SUVS) == (1, ["SUV002"], 1)


@pytest.mark.django_db
def test_a_hand_over_of_a_car_staff_sold_meanwhile_is_refused(
    consultant_client, two_suvs, consultant, django_capture_on_commit_callbacks
):
    order = advance(make_order(two_suvs), "ready_for_delivery", staff=consultant)
    vehicles_set_status(vehicle_ids=[two_suvs.pk], status=Vehicle.Status.SOLD)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = consultant_client.post(
            f"/staff/orders/{order.pk}/hand-over/", {"handover-odometer_km": "30500"}
        )

    assert response.status_code == 400
    assert "This vehicle is already “Sold”." in response.content.decode()
    assert callbacks == []
    assert facets_cache_version() == version
    order.refresh_from_db()
    two_suvs.refresh_from_db()
    assert (order.status, order.odometer_km) == (S.READY_FOR_DELIVERY, None)
    assert two_suvs.mileage == 30_000
    assert not OwnedVehicle.objects.exists()


@pytest.mark.django_db
def test_cancelling_when_staff_sold_the_car_meanwhile_leaves_it_sold(
    two_suvs, consultant, django_capture_on_commit_callbacks
):
    order = advance(make_order(two_suvs), "submitted", staff=consultant)
    vehicles_set_status(vehicle_ids=[two_suvs.pk], status=Vehicle.Status.SOLD)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=consultant, reason="Sold at the counter")

    order.refresh_from_db()
    two_suvs.refresh_from_db()
    assert (order.status, two_suvs.status) == (S.CANCELLED, Vehicle.Status.SOLD)
    assert facets_cache_version() == version


# --- Real commits and rollbacks (no captured callbacks) ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_committed_reservation_is_on_the_showroom_for_the_next_visitor(client, two_suvs):
    order = make_order(two_suvs)
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)

    order_reserve(order=order)

    assert _showroom(client, SUVS) == (1, ["SUV002"], 1)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_reservation_leaves_the_showroom_and_its_version_alone(client, two_suvs):
    order = make_order(two_suvs)
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)
    version = facets_cache_version()

    def reserve_then_fail():
        with transaction.atomic():
            order_reserve(order=order)
            raise RuntimeError("the payment provider timed out")

    with pytest.raises(RuntimeError):
        reserve_then_fail()

    assert facets_cache_version() == version
    two_suvs.refresh_from_db()
    order.refresh_from_db()
    assert (two_suvs.status, order.status) == (Vehicle.Status.AVAILABLE, S.DRAFT)
    assert _showroom(client, SUVS) == (2, ["SUV001", "SUV002"], 2)
