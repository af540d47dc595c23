"""Never double-booked, enforced by PostgreSQL: exclusion constraints on (vehicle, time) and
(consultant, time), half-open; 50 concurrent attempts at one slot, one winner."""

import threading

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Customer, Lead
from testdrives.models import Booking
from testdrives.services import SlotTaken, booking_create_from_web
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.testdrives.conftest import MONDAY_8_BERLIN, utc
from tests.testdrives.factories import BookingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SLOT = utc(2026, 3, 3, 9, 0)


def _book(vehicle, n: int, start=SLOT):
    return booking_create_from_web(
        vehicle=vehicle,
        start=start,
        first_name="Kunde",
        last_name=f"Nummer {n}",
        email=f"kunde{n}@example.de",
        phone=f"+49151{n:08d}",
        licence_confirmed=True,
    )


@pytest.fixture
def shop():
    location = LocationFactory()
    consultants = [UserFactory(role=Role.CONSULTANT, locations=[location]) for _ in range(2)]
    vehicle = VehicleFactory(location=location)
    return location, consultants, vehicle


def test_fifty_concurrent_attempts_at_one_slot_one_wins_the_rest_get_the_friendly_message(shop):
    _location, _consultants, vehicle = shop
    attempts = 50
    barrier = threading.Barrier(attempts)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int):
        try:
            barrier.wait(timeout=60)
            _book(vehicle, n)
            outcome = "booked"
        except SlotTaken as taken:
            outcome = (
                "taken"
                if taken.message == ("That slot was just taken. Here are the nearest free ones.")
                and taken.alternatives
                else "taken without alternatives"
            )
        except BaseException as exc:  # every other outcome is a failure
            with lock:
                errors.append(exc)
            outcome = "error"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    with time_machine.travel(MONDAY_8_BERLIN, tick=False):
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert errors == []
    assert results.count("booked") == 1
    assert results.count("taken") == 49
    booking = Booking.objects.get()
    assert booking.start_at == SLOT
    # The losers' transactions rolled back whole: one customer, one lead, one confirmation.
    assert Customer.objects.count() == 1
    assert Lead.objects.count() == 1
    assert booking.customer == Customer.objects.get()
    assert OutboxMessage.objects.filter(dedupe_key__contains=":confirmed:").count() == 2


def test_back_to_back_drives_both_succeed(shop):
    _location, (anna, _jonas), vehicle = shop

    with time_machine.travel(MONDAY_8_BERLIN, tick=False):
        first = _book(vehicle, 1, start=utc(2026, 3, 3, 9, 0))
        second = _book(vehicle, 2, start=utc(2026, 3, 3, 10, 0))

    assert first.busy_until == second.start_at
    assert first.consultant == anna
    assert second.consultant == anna  # free again after the buffer
    assert Booking.objects.count() == 2


def test_the_database_refuses_an_overlapping_drive_of_the_same_vehicle(shop):
    _location, (anna, jonas), vehicle = shop
    BookingFactory(vehicle=vehicle, consultant=anna, start_at=SLOT)

    with pytest.raises(IntegrityError, match="booking_vehicle_no_overlap"), transaction.atomic():
        BookingFactory(vehicle=vehicle, consultant=jonas, start_at=utc(2026, 3, 3, 9, 30))

    assert Booking.objects.count() == 1


def test_the_database_refuses_one_consultant_on_two_cars_at_once(shop):
    location, (anna, _jonas), vehicle = shop
    BookingFactory(vehicle=vehicle, consultant=anna, start_at=SLOT)

    with pytest.raises(IntegrityError, match="booking_consultant_no_overlap"), transaction.atomic():
        BookingFactory(vehicle=VehicleFactory(location=location), consultant=anna, start_at=SLOT)

    assert Booking.objects.count() == 1


def test_cancelled_and_no_show_bookings_do_not_hold_the_slot_in_the_database(shop):
    _location, (anna, _jonas), vehicle = shop
    BookingFactory(vehicle=vehicle, consultant=anna, start_at=SLOT, status="cancelled")
    BookingFactory(vehicle=vehicle, consultant=anna, start_at=SLOT, status="no_show")

    BookingFactory(vehicle=vehicle, consultant=anna, start_at=SLOT)

    assert Booking.objects.filter(start_at=SLOT).count() == 3


def test_two_cars_at_one_time_get_the_two_consultants_then_the_third_is_refused(shop):
    location, consultants, vehicle = shop
    second_car = VehicleFactory(location=location)
    third_car = VehicleFactory(location=location)

    with time_machine.travel(MONDAY_8_BERLIN, tick=False):
        first = _book(vehicle, 1)
        second = _book(second_car, 2)
        with pytest.raises(SlotTaken):
            _book(third_car, 3)

    assert {first.consultant, second.consultant} == set(consultants)
    assert Booking.objects.count() == 2
