"""Reminders 24 h and 2 h before; the 2-hour SMS respects quiet hours (21:00–08:00 by
default): at 08:00 for a 9:00 drive, not at all when that is less than an hour before."""

import pytest

from dealership.messaging.models import OutboxMessage
from testdrives.services import booking_create_from_web
from tests.testdrives.conftest import utc
from tests.testdrives.factories import TestDriveSettingsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def early_shop(frozen, vehicle, consultant):
    location = vehicle.location
    location.opening_hours.update(opens="08:00")
    TestDriveSettingsFactory(location=location, slot_minutes=30, buffer_minutes=0)
    return vehicle


def _book(vehicle, start, n=1):
    return booking_create_from_web(
        vehicle=vehicle,
        start=start,
        first_name="Lena",
        last_name="Hoffmann",
        email=f"lena{n}@example.de",
        phone=f"+49151234567{n:02d}",
        licence_confirmed=True,
    )


def _reminders(booking) -> dict[str, object]:
    return dict(
        OutboxMessage.objects.filter(
            dedupe_key__contains=f"testdrive:{booking.pk}:v1:reminder"
        ).values_list("dedupe_key", "send_after")
    )


def test_the_2_hour_sms_for_a_9_oclock_drive_waits_for_8_oclock(early_shop):
    booking = _book(early_shop, utc(2026, 3, 3, 8, 0))  # Tuesday 09:00 Berlin

    reminders = _reminders(booking)

    p = f"testdrive:{booking.pk}:v1"
    assert reminders == {
        f"{p}:reminder-24h:email": utc(2026, 3, 2, 8, 0),
        f"{p}:reminder-24h:sms": utc(2026, 3, 2, 8, 0),
        f"{p}:reminder-2h:sms": utc(2026, 3, 3, 7, 0),  # 08:00 Berlin, not 07:00
    }


def test_no_2_hour_sms_when_quiet_hours_leave_less_than_an_hour(early_shop):
    booking = _book(early_shop, utc(2026, 3, 3, 7, 30))  # Tuesday 08:30 Berlin

    assert sorted(_reminders(booking)) == [
        f"testdrive:{booking.pk}:v1:reminder-24h:email",
        f"testdrive:{booking.pk}:v1:reminder-24h:sms",
    ]


def test_a_drive_within_24_hours_gets_only_the_2_hour_reminder(early_shop):
    booking = _book(early_shop, utc(2026, 3, 2, 13, 0))  # today 14:00 Berlin

    assert _reminders(booking) == {
        f"testdrive:{booking.pk}:v1:reminder-2h:sms": utc(2026, 3, 2, 11, 0)
    }


def test_booking_twice_from_the_same_call_queues_no_duplicate(early_shop):
    from testdrives.outbox import booking_confirmation_enqueue

    booking = _book(early_shop, utc(2026, 3, 3, 8, 0))
    before = OutboxMessage.objects.count()

    booking_confirmation_enqueue(booking=booking)

    assert OutboxMessage.objects.count() == before == 5
