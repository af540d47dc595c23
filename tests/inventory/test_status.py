"""Vehicle status moves through the inventory services: the transition table, the row lock,
what a move stamps, and the showroom told on commit only."""

import datetime
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from inventory.models import Vehicle
from inventory.selectors import facets_cache_version
from inventory.services import (
    VehicleStatusError,
    vehicle_release,
    vehicle_set_status,
)

from .factories import VehicleFactory

V = Vehicle.Status
ALLOWED = {
    (V.DRAFT, V.AVAILABLE),
    (V.DRAFT, V.ARCHIVED),
    (V.AVAILABLE, V.RESERVED),
    (V.AVAILABLE, V.SOLD),
    (V.AVAILABLE, V.DRAFT),
    (V.AVAILABLE, V.ARCHIVED),
    (V.RESERVED, V.AVAILABLE),
    (V.RESERVED, V.SOLD),
    (V.SOLD, V.ARCHIVED),
    (V.ARCHIVED, V.DRAFT),
}
PAIRS = [(a, b) for a in V.values for b in V.values]
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), sorted(ALLOWED))
def test_an_allowed_move_is_saved_and_told_to_the_showroom_on_commit(
    before, after, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(status=before)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        returned = vehicle_set_status(vehicle=vehicle, status=after, reason="test")
    assert facets_cache_version() == version  # not before the commit
    for callback in callbacks:
        callback()

    vehicle.refresh_from_db()
    assert (vehicle.status, returned.status) == (after, after)
    assert facets_cache_version() != version


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), [p for p in PAIRS if p not in ALLOWED])
def test_a_refused_move_says_why_and_writes_nothing(
    before, after, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(status=before)
    updated_at = vehicle.updated_at

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(VehicleStatusError) as refused,
    ):
        vehicle_set_status(vehicle=vehicle, status=after, reason="test")

    labels = dict(V.choices)
    expected = (
        f"This vehicle is already “{labels[after]}”."
        if before == after
        else f"A vehicle that is “{labels[before]}” cannot become “{labels[after]}”."
    )
    assert refused.value.messages == [expected]
    assert refused.value.vehicle.status == before
    assert callbacks == []
    vehicle.refresh_from_db()
    assert (vehicle.status, vehicle.updated_at) == (before, updated_at)


@pytest.mark.django_db
def test_selling_stamps_the_sale_and_the_odometer_and_updates_the_callers_instance():
    vehicle = VehicleFactory(status=V.RESERVED, mileage=30_000, sold_at=None)

    with time_machine.travel(NOW, tick=False):
        vehicle_set_status(vehicle=vehicle, status=V.SOLD, reason="handed over", mileage=30_020)

    assert (vehicle.status, vehicle.mileage, vehicle.sold_at) == (V.SOLD, 30_020, NOW)
    vehicle.refresh_from_db()
    assert (vehicle.status, vehicle.mileage, vehicle.sold_at) == (V.SOLD, 30_020, NOW)


@pytest.mark.django_db
def test_archiving_a_sold_car_keeps_its_sale_date_and_a_draft_going_on_sale_is_published():
    sold = VehicleFactory(status=V.SOLD, sold_at=NOW)
    draft = VehicleFactory(status=V.DRAFT, published_at=None)

    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        vehicle_set_status(vehicle=sold, status=V.ARCHIVED, reason="off the books")
        vehicle_set_status(vehicle=draft, status=V.AVAILABLE, reason="photos done")

    sold.refresh_from_db()
    draft.refresh_from_db()
    assert (sold.status, sold.sold_at) == (V.ARCHIVED, NOW)
    assert (draft.status, draft.published_at) == (V.AVAILABLE, NOW + datetime.timedelta(days=3))


@pytest.mark.django_db
def test_a_bad_odometer_reading_is_refused_and_nothing_is_written(
    django_capture_on_commit_callbacks,
):
    vehicle = VehicleFactory(status=V.RESERVED, mileage=30_000)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        vehicle_set_status(vehicle=vehicle, status=V.SOLD, reason="x", mileage=-5)

    assert refused.value.messages == ["Ensure this value is greater than or equal to 0."]
    assert callbacks == []
    vehicle.refresh_from_db()
    assert (vehicle.status, vehicle.mileage, vehicle.sold_at) == (V.RESERVED, 30_000, None)


@pytest.mark.django_db
def test_an_unknown_status_is_a_programming_error():
    vehicle = VehicleFactory()

    with pytest.raises(ValueError, match="unknown status 'gone'"):
        vehicle_set_status(vehicle=vehicle, status="gone", reason="x")


@pytest.mark.django_db
def test_releasing_puts_a_reserved_car_back_on_sale(django_capture_on_commit_callbacks):
    vehicle = VehicleFactory(status=V.RESERVED)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        assert vehicle_release(vehicle=vehicle, reason="order cancelled") is True

    assert vehicle.status == V.AVAILABLE
    vehicle.refresh_from_db()
    assert vehicle.status == V.AVAILABLE
    assert facets_cache_version() != version


@pytest.mark.django_db
@pytest.mark.parametrize("status", [V.AVAILABLE, V.SOLD, V.ARCHIVED, V.DRAFT])
def test_releasing_a_car_that_is_not_reserved_changes_nothing(
    status, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(status=status)
    updated_at = vehicle.updated_at

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert vehicle_release(vehicle=vehicle, reason="order cancelled") is False

    assert callbacks == []
    vehicle.refresh_from_db()
    assert (vehicle.status, vehicle.updated_at) == (status, updated_at)


@pytest.mark.django_db
def test_a_move_rolled_back_with_the_callers_transaction_is_never_announced(
    django_capture_on_commit_callbacks,
):
    vehicle = VehicleFactory(status=V.AVAILABLE)
    version = facets_cache_version()

    def reserve_then_fail():
        with transaction.atomic():
            vehicle_set_status(vehicle=vehicle, status=V.RESERVED, reason="x")
            raise RuntimeError("the caller failed later")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        reserve_then_fail()

    assert callbacks == []
    assert facets_cache_version() == version
    vehicle.refresh_from_db()
    assert vehicle.status == V.AVAILABLE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_of_one_car_let_exactly_one_through():
    vehicle = VehicleFactory(status=V.AVAILABLE)
    barrier = threading.Barrier(8)
    won, refused, errors = [], [], []

    def reserve(n):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                vehicle_set_status(vehicle=Vehicle(pk=vehicle.pk), status=V.RESERVED, reason=n)
            won.append(n)
        except VehicleStatusError as exc:
            refused.append(exc.vehicle.status)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(str(n),)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert (len(won), refused) == (1, [V.RESERVED] * 7)
    vehicle.refresh_from_db()
    assert vehicle.status == V.RESERVED


# --- The admin's bulk actions follow the same table -----------------------------------------


@pytest.mark.django_db
def test_bulk_reserving_leaves_a_sold_car_sold_and_says_so(
    admin_client, django_capture_on_commit_callbacks
):
    available = VehicleFactory(status=V.AVAILABLE)
    sold = VehicleFactory(status=V.SOLD)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/inventory/vehicle/",
            {"action": "mark_reserved", "_selected_action": [available.pk, sold.pk]},
            follow=True,
        )

    html = response.content.decode()
    assert "1 vehicle marked reserved." in html
    assert (
        "1 vehicle was left as it was: it already was reserved, or its status cannot move "
        "there (a sold car can only be archived, an archived one goes back to draft first, a "
        "reserved one is released or sold)."
    ) in html
    available.refresh_from_db()
    sold.refresh_from_db()
    assert (available.status, sold.status) == (V.RESERVED, V.SOLD)
    assert facets_cache_version() != version


@pytest.mark.django_db
def test_bulk_moving_archived_cars_back_to_draft(admin_client, django_capture_on_commit_callbacks):
    archived = VehicleFactory.create_batch(2, status=V.ARCHIVED)
    version = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/inventory/vehicle/",
            {"action": "mark_draft", "_selected_action": [v.pk for v in archived]},
            follow=True,
        )

    assert "2 vehicles marked draft." in response.content.decode()
    assert "left as" not in response.content.decode()
    assert list(Vehicle.objects.values_list("status", flat=True)) == [V.DRAFT, V.DRAFT]
    assert facets_cache_version() != version
