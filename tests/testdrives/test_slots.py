"""Slots: opening hours in the location's time zone, buffer, notice, 14 days, DST, and who
is free; a fixed number of queries however many bookings there are."""

import datetime
import zoneinfo

import pytest
import time_machine

from dealership.accounts.roles import Role
from inventory.models import Vehicle
from leads.services import consultant_set_availability
from testdrives.selectors import vehicle_availability
from testdrives.slots import BusyRanges
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.testdrives.conftest import MONDAY_8_BERLIN, utc
from tests.testdrives.factories import BookingFactory, TestDriveSettingsFactory

pytestmark = pytest.mark.django_db


def local_times(availability, day: datetime.date) -> list[str]:
    tz = availability.location.tzinfo
    return [
        s.start.astimezone(tz).strftime("%H:%M")
        for s in availability.slot_list
        if s.start.astimezone(tz).date() == day
    ]


def test_slots_lie_in_opening_hours_every_drive_plus_buffer_after_the_notice(
    frozen, vehicle, consultant
):
    availability = vehicle_availability(vehicle=vehicle)

    # Monday: opens 09:00, now 08:00 + 2 h notice → from 10:00; 45 min + 15 min buffer.
    assert local_times(availability, datetime.date(2026, 3, 2)) == [
        "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "17:00",
    ]  # fmt: skip
    assert local_times(availability, datetime.date(2026, 3, 3))[0] == "09:00"
    assert local_times(availability, datetime.date(2026, 3, 7)) == []  # Saturday: closed
    days = [day for day, _slots in availability.days()]
    assert days[0] == datetime.date(2026, 3, 2)
    # Up to now + 14 days (Monday 16 March 08:00, before opening): ten weekdays.
    assert days[-1] == datetime.date(2026, 3, 13)
    assert len(days) == 10
    assert availability.slot_list[0].start == utc(2026, 3, 2, 9, 0)
    assert availability.slot_list[0].end == utc(2026, 3, 2, 9, 45)
    assert availability.slot_list[0].busy_until == utc(2026, 3, 2, 10, 0)


def test_settings_per_location_change_length_buffer_and_notice(frozen, vehicle, consultant):
    TestDriveSettingsFactory(
        location=vehicle.location, slot_minutes=30, buffer_minutes=0, min_notice_minutes=30
    )

    availability = vehicle_availability(vehicle=vehicle)

    assert local_times(availability, datetime.date(2026, 3, 2))[:3] == ["09:00", "09:30", "10:00"]
    assert local_times(availability, datetime.date(2026, 3, 2))[-1] == "17:30"


def test_the_same_opening_hours_in_two_time_zones_are_different_instants(frozen, consultant):
    berlin = consultant.locations.get()
    lisbon = LocationFactory(time_zone="Europe/Lisbon", country="PT")
    UserFactory(role=Role.CONSULTANT, locations=[lisbon])
    berlin_car = VehicleFactory(location=berlin)
    lisbon_car = VehicleFactory(location=lisbon)

    berlin_slots = vehicle_availability(vehicle=berlin_car)
    lisbon_slots = vehicle_availability(vehicle=lisbon_car)

    tuesday = datetime.date(2026, 3, 3)
    assert local_times(berlin_slots, tuesday)[0] == "09:00"
    assert local_times(lisbon_slots, tuesday)[0] == "09:00"
    first = next(s for s in berlin_slots.slot_list if s.start.date() == tuesday)
    assert first.start == utc(2026, 3, 3, 8, 0)  # CET = UTC+1
    first = next(s for s in lisbon_slots.slot_list if s.start.date() == tuesday)
    assert first.start == utc(2026, 3, 3, 9, 0)  # WET = UTC+0


def test_slots_across_the_spring_dst_change_keep_wall_clock_opening_hours(consultant):
    location = consultant.locations.get()
    location.opening_hours.all().delete()
    for weekday in (4, 6, 0):  # Friday, Sunday (the change, 02:00 → 03:00), Monday
        location.opening_hours.create(weekday=weekday, opens="09:00", closes="12:00")
    car = VehicleFactory(location=location)

    with time_machine.travel(utc(2026, 3, 26, 12, 0), tick=False):
        availability = vehicle_availability(vehicle=car)

    starts = [s.start for s in availability.slot_list]
    friday, sunday, monday = [d for d, _s in availability.days()][:3]
    assert (friday, sunday, monday) == (
        datetime.date(2026, 3, 27),
        datetime.date(2026, 3, 29),
        datetime.date(2026, 3, 30),
    )
    assert starts[:3] == [utc(2026, 3, 27, 8), utc(2026, 3, 27, 9), utc(2026, 3, 27, 10)]
    assert starts[3:6] == [utc(2026, 3, 29, 7), utc(2026, 3, 29, 8), utc(2026, 3, 29, 9)]
    assert local_times(availability, sunday) == ["09:00", "10:00", "11:00"]


def test_slots_across_the_autumn_dst_change(consultant):
    location = consultant.locations.get()
    location.opening_hours.all().delete()
    location.opening_hours.create(weekday=6, opens="09:00", closes="11:00")  # Sunday
    car = VehicleFactory(location=location)

    with time_machine.travel(utc(2026, 10, 23, 12, 0), tick=False):
        availability = vehicle_availability(vehicle=car)

    # Sunday 25 October 2026: CEST ends at 03:00 → 02:00; 09:00 local is now UTC+1.
    assert [s.start for s in availability.slot_list[:2]] == [
        utc(2026, 10, 25, 8),
        utc(2026, 10, 25, 9),
    ]
    assert [s.start for s in availability.slot_list[2:4]] == [
        utc(2026, 11, 1, 8),
        utc(2026, 11, 1, 9),
    ]


def test_a_slot_taken_for_the_vehicle_is_not_offered_the_buffer_keeps_it_half_open(
    frozen, vehicle, consultant
):
    BookingFactory(vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 3, 9, 0))

    times = local_times(vehicle_availability(vehicle=vehicle), datetime.date(2026, 3, 3))

    assert times[:3] == ["09:00", "11:00", "12:00"]  # 10:00 taken, 11:00 right after


def test_a_slot_is_offered_while_one_consultant_is_free_and_not_when_all_are_busy(
    frozen, vehicle, consultant
):
    location = vehicle.location
    second = UserFactory(role=Role.CONSULTANT, locations=[location])
    other_car = VehicleFactory(location=location)
    BookingFactory(vehicle=other_car, consultant=consultant, start_at=utc(2026, 3, 3, 9, 0))
    tuesday = datetime.date(2026, 3, 3)

    assert "10:00" in local_times(vehicle_availability(vehicle=vehicle), tuesday)
    offered = vehicle_availability(vehicle=vehicle).slot_at(utc(2026, 3, 3, 9, 0))
    assert offered[1] == [second.pk]

    BookingFactory(
        vehicle=VehicleFactory(location=location), consultant=second, start_at=utc(2026, 3, 3, 9)
    )
    assert "10:00" not in local_times(vehicle_availability(vehicle=vehicle), tuesday)


def test_consultants_off_duty_do_not_count(frozen, vehicle, consultant):
    consultant_set_availability(user=consultant, is_available=False)

    assert vehicle_availability(vehicle=vehicle).slot_list == []


def test_cancelled_and_no_show_bookings_free_their_slot(frozen, vehicle, consultant):
    BookingFactory(
        vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 3, 9), status="cancelled"
    )
    BookingFactory(
        vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 3, 10), status="no_show"
    )

    times = local_times(vehicle_availability(vehicle=vehicle), datetime.date(2026, 3, 3))

    assert times[:3] == ["09:00", "10:00", "11:00"]


def test_slot_computation_runs_a_fixed_number_of_queries(
    frozen, vehicle, consultant, django_assert_num_queries
):
    location = vehicle.location
    car = Vehicle.objects.select_related("location").get(pk=VehicleFactory(location=location).pk)
    # Settings, opening hours, busy ranges with the consultants on duty.
    with django_assert_num_queries(3):
        vehicle_availability(vehicle=car)
    for day in range(3, 13):
        for hour in (8, 10, 12):
            BookingFactory(vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, day, hour))
            BookingFactory(vehicle=car, start_at=utc(2026, 3, day, hour + 1))
    car = Vehicle.objects.select_related("location").get(pk=car.pk)

    with django_assert_num_queries(3):
        availability = vehicle_availability(vehicle=car)

    # Today 8 slots; 3–12 March: 8 weekdays with 3 taken for the car and 3 for the only
    # consultant, so 3 left each; Friday 13th all 9.
    assert len(availability.slot_list) == 8 + 8 * 3 + 9


def test_busy_ranges_are_half_open():
    tz = zoneinfo.ZoneInfo("UTC")
    at = datetime.datetime(2026, 1, 1, 10, tzinfo=tz)
    hour = datetime.timedelta(hours=1)
    busy = BusyRanges([(at, at + hour), (at - 5 * hour, at + 3 * hour)])
    only = BusyRanges([(at, at + hour)])

    assert only.overlaps(at + hour, at + 2 * hour) is False
    assert only.overlaps(at - hour, at) is False
    assert only.overlaps(at - hour, at + datetime.timedelta(minutes=1)) is True
    assert busy.overlaps(at + 2 * hour, at + 4 * hour) is True
    assert BusyRanges([]).overlaps(at, at + hour) is False


def test_now_is_frozen_for_these_tests(frozen):
    from django.utils import timezone

    assert timezone.now() == MONDAY_8_BERLIN
