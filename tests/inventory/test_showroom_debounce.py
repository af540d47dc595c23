"""Inventory writes in one transaction move the showroom version once."""

from unittest import mock

import pytest
from django.db import transaction

from inventory import services
from inventory.selectors import facets_cache_version
from inventory.services import vehicle_update

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db


def _showroom_callbacks(callbacks) -> int:
    return sum(1 for c in callbacks if isinstance(c, services._ShowroomCommit))


def test_many_writes_in_one_transaction_register_one_commit(django_capture_on_commit_callbacks):
    vehicles = VehicleFactory.create_batch(5)

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        for n, vehicle in enumerate(vehicles):
            vehicle_update(vehicle=vehicle, mileage=1_000 + n)

    assert _showroom_callbacks(callbacks) == 1


def test_one_commit_is_one_version_and_one_refresh(django_capture_on_commit_callbacks):
    vehicles = VehicleFactory.create_batch(3)
    before = facets_cache_version()

    with (
        mock.patch("inventory.tasks.facet_index_refresh.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for vehicle in vehicles:
            vehicle_update(vehicle=vehicle, mileage=42)

    assert delay.call_count == 1
    assert facets_cache_version() != before


def test_two_transactions_register_two(django_capture_on_commit_callbacks):
    vehicle = VehicleFactory()

    with mock.patch("inventory.tasks.facet_index_refresh.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as first:
            vehicle_update(vehicle=vehicle, mileage=1)
        with django_capture_on_commit_callbacks(execute=True) as second:
            vehicle_update(vehicle=vehicle, mileage=2)

    assert (_showroom_callbacks(first), _showroom_callbacks(second)) == (1, 1)
    assert delay.call_count == 2


def test_a_rolled_back_savepoint_takes_its_callback_and_the_next_write_registers_again(
    django_capture_on_commit_callbacks,
):
    first, second = VehicleFactory.create_batch(2)

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                vehicle_update(vehicle=first, mileage=7)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        vehicle_update(vehicle=second, mileage=8)

    assert _showroom_callbacks(callbacks) == 1


def test_a_rolled_back_transaction_changes_nothing():
    vehicle = VehicleFactory()
    before = facets_cache_version()

    def write_then_fail():
        with transaction.atomic():
            vehicle_update(vehicle=vehicle, mileage=9)
            raise RuntimeError("rolled back")

    with (
        mock.patch("inventory.tasks.facet_index_refresh.delay") as delay,
        pytest.raises(RuntimeError),
    ):
        write_then_fail()

    assert delay.call_count == 0
    assert facets_cache_version() == before
