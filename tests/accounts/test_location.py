import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from dealership.accounts.models import OpeningHours
from tests.accounts.factories import LocationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_is_open_uses_the_locations_time_zone_not_utc():
    location = LocationFactory(time_zone="Europe/Helsinki")  # Mon–Fri 09:00–18:00 local

    # Monday 2026-11-23 07:30 UTC is 09:30 in Helsinki (UTC+2): open.
    assert location.is_open_at(datetime.datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    # 16:30 UTC is 18:30 in Helsinki: closed, although 16:30 is within the hours in UTC.
    assert not location.is_open_at(datetime.datetime(2026, 11, 23, 16, 30, tzinfo=UTC))


def test_is_open_follows_daylight_saving_time():
    location = LocationFactory(time_zone="Europe/Berlin")

    # 07:30 UTC is 09:30 in Berlin in summer (UTC+2) and 08:30 in winter (UTC+1).
    assert location.is_open_at(datetime.datetime(2026, 7, 6, 7, 30, tzinfo=UTC))
    assert not location.is_open_at(datetime.datetime(2026, 11, 23, 7, 30, tzinfo=UTC))


def test_closed_on_a_weekday_without_hours():
    location = LocationFactory()

    sunday_noon = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert not location.is_open_at(sunday_noon)


def test_unknown_time_zone_is_refused_with_a_clear_message():
    location = LocationFactory.build(time_zone="Europe/Atlantis")

    with pytest.raises(ValidationError) as error:
        location.full_clean()

    assert error.value.message_dict["time_zone"] == [
        "“Europe/Atlantis” is not an IANA time zone such as Europe/Berlin."
    ]


def test_opening_hours_must_close_after_they_open():
    location = LocationFactory(weekday_hours={})
    hours = OpeningHours(
        location=location, weekday=0, opens=datetime.time(18), closes=datetime.time(9)
    )

    with pytest.raises(ValidationError) as error:
        hours.full_clean()

    assert error.value.message_dict["closes"] == ["Closing time must be after opening time."]
    assert not OpeningHours.objects.filter(location=location).exists()
