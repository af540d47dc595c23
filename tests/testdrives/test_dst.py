"""Both DST switches of 2026 at every demo location (Leipzig, Helsinki, Lisboa) and at a US
one (New York switches on other Sundays): the slot grid on the switch day (no slot in the
hour that does not exist, the repeated hour offered once per real instant, each told apart
by its abbreviation), the reminders of a drive booked across the switch, the time and zone
the customer reads, and the .ics in UTC."""

import datetime
import zoneinfo

import pytest
import time_machine

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from testdrives.outbox import booking_ics_text
from testdrives.services import booking_create_from_web
from testdrives.slots import slot_grid
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.testdrives.conftest import utc

SPRING, AUTUMN = datetime.date(2026, 3, 29), datetime.date(2026, 10, 25)
NY_SPRING, NY_AUTUMN = datetime.date(2026, 3, 8), datetime.date(2026, 11, 1)


def _labels(zone: str, day: datetime.date) -> list[str]:
    """The switch day's slots with opening hours 00:00–06:00, an hour apart (45 + 15)."""
    tz = zoneinfo.ZoneInfo(zone)
    slots = slot_grid(
        tz=tz,
        hours={day.weekday(): (datetime.time(0), datetime.time(6))},
        slot=datetime.timedelta(minutes=45),
        buffer=datetime.timedelta(minutes=15),
        start_day=day,
        days=1,
    )
    return [s.start.astimezone(tz).strftime("%H:%M %Z") for s in slots]


@pytest.mark.parametrize(
    ("zone", "day", "labels"),
    [
        # clocks forward: the hour from the switch does not exist, the day has 5 hours open
        ("Europe/Berlin", SPRING, ["00:00 CET", "01:00 CET", "03:00 CEST", "04:00 CEST", "05:00 CEST"]),
        ("Europe/Helsinki", SPRING, ["00:00 EET", "01:00 EET", "02:00 EET", "04:00 EEST", "05:00 EEST"]),
        ("Europe/Lisbon", SPRING, ["00:00 WET", "02:00 WEST", "03:00 WEST", "04:00 WEST", "05:00 WEST"]),
        ("America/New_York", NY_SPRING, ["00:00 EST", "01:00 EST", "03:00 EDT", "04:00 EDT", "05:00 EDT"]),
        # clocks back: the repeated hour is offered twice, once in each offset; 7 hours open
        ("Europe/Berlin", AUTUMN, ["00:00 CEST", "01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET", "04:00 CET", "05:00 CET"]),
        ("Europe/Helsinki", AUTUMN, ["00:00 EEST", "01:00 EEST", "02:00 EEST", "03:00 EEST", "03:00 EET", "04:00 EET", "05:00 EET"]),
        ("Europe/Lisbon", AUTUMN, ["00:00 WEST", "01:00 WEST", "01:00 WET", "02:00 WET", "03:00 WET", "04:00 WET", "05:00 WET"]),
        ("America/New_York", NY_AUTUMN, ["00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST", "03:00 EST", "04:00 EST", "05:00 EST"]),
    ],
)  # fmt: skip
def test_the_switch_days_slots_are_real_instants_an_hour_apart(zone, day, labels):
    assert _labels(zone, day) == labels


# --- a drive on the switch Sunday, booked on the Friday before ---------------------------------

CASES = [
    # zone, switch Sunday, the drive at 09:00 local (UTC), the 24-hour reminder (UTC; the
    # wall clock the day before differs by the hour that changed), the 2-hour SMS (08:00
    # local, when quiet hours end), what the customer reads, the .ics start
    ("Europe/Berlin", SPRING, utc(2026, 3, 29, 7), utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), "09:00 CEST"),
    ("Europe/Helsinki", SPRING, utc(2026, 3, 29, 6), utc(2026, 3, 28, 6), utc(2026, 3, 29, 5), "09:00 EEST"),
    ("Europe/Lisbon", SPRING, utc(2026, 3, 29, 8), utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), "09:00 WEST"),
    ("Europe/Berlin", AUTUMN, utc(2026, 10, 25, 8), utc(2026, 10, 24, 8), utc(2026, 10, 25, 7), "09:00 CET"),
    ("Europe/Helsinki", AUTUMN, utc(2026, 10, 25, 7), utc(2026, 10, 24, 7), utc(2026, 10, 25, 6), "09:00 EET"),
    ("Europe/Lisbon", AUTUMN, utc(2026, 10, 25, 9), utc(2026, 10, 24, 9), utc(2026, 10, 25, 8), "09:00 WET"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "sunday", "start", "day_before", "two_hours", "shown"), CASES)
def test_a_drive_on_the_switch_sunday(zone, sunday, start, day_before, two_hours, shown):
    location = LocationFactory(
        time_zone=zone, weekday_hours={4: ("09:00", "18:00"), 6: ("09:00", "13:00")}
    )
    UserFactory(role=Role.CONSULTANT, locations=[location])
    vehicle = VehicleFactory(location=location)
    friday = datetime.datetime.combine(
        sunday - datetime.timedelta(days=2), datetime.time(12), tzinfo=datetime.UTC
    )

    with time_machine.travel(friday, tick=False):
        booking = booking_create_from_web(
            vehicle=vehicle,
            start=start,
            first_name="Lena",
            last_name="Hoffmann",
            email="lena@example.de",
            phone="+4915123456789",
            licence_confirmed=True,
        )
        ics = booking_ics_text(booking)

    p = f"testdrive:{booking.pk}:v1"
    sent = dict(
        OutboxMessage.objects.filter(dedupe_key__startswith=p).values_list(
            "dedupe_key", "send_after"
        )
    )
    assert {k: v for k, v in sent.items() if "reminder" in k} == {
        f"{p}:reminder-24h:email": day_before,
        f"{p}:reminder-24h:sms": day_before,
        f"{p}:reminder-2h:sms": two_hours,
    }
    weekday = "Sunday, 25 October 2026" if sunday == AUTUMN else "Sunday, 29 March 2026"
    reminder = OutboxMessage.objects.get(dedupe_key=f"{p}:reminder-24h:email")
    assert f"{weekday}, {shown}" in reminder.body
    confirmation = OutboxMessage.objects.get(dedupe_key=f"{p}:confirmed:sms")
    assert f"{weekday}, {shown}" in confirmation.body
    # the calendar file names the instant in UTC: every calendar shows it in its own zone
    assert f"\r\nDTSTART:{start:%Y%m%dT%H%M%S}Z\r\n" in ics
    assert f"\r\nDTEND:{start + datetime.timedelta(minutes=45):%Y%m%dT%H%M%S}Z\r\n" in ics
