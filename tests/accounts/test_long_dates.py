"""Dates in sentences (emails, SMS, the booking page) use each language's own CLDR pattern:
German writes "3. März 2026", never "3 März 2026"."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from dealership.accounts.templatetags.zones import full_date, in_zone_long, long_date
from tests.accounts.factories import LocationFactory

TUESDAY = datetime.date(2026, 3, 3)
# 09:00 UTC: 10:00 in Berlin (CET), 11:00 in Helsinki (EET), 09:00 in Lisbon (WET).
TUESDAY_9_UTC = datetime.datetime(2026, 3, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "3 March 2026"),
        ("de", "3. März 2026"),
        ("fi", "3. maaliskuuta 2026"),
        ("pt", "3 de março de 2026"),
        ("zh-hans", "2026年3月3日"),
    ],
)
def test_a_long_date_in_each_language(language, text):
    assert long_date(TUESDAY, language) == text


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Tuesday, 3 March 2026"),
        ("de", "Dienstag, 3. März 2026"),
        ("fi", "tiistai 3. maaliskuuta 2026"),
        ("pt", "terça-feira, 3 de março de 2026"),
        ("zh-hans", "2026年3月3日星期二"),
    ],
)
def test_a_full_date_names_the_weekday_in_each_language(language, text):
    assert full_date(TUESDAY, language) == text


def test_without_a_language_the_active_one_is_used():
    with translation.override("de"):
        assert long_date(TUESDAY) == "3. März 2026"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "language", "text"),
    [
        ("Europe/Berlin", "en", "Tuesday, 3 March 2026, 10:00 CET"),
        ("Europe/Berlin", "de", "Dienstag, 3. März 2026, 10:00 CET"),
        ("Europe/Helsinki", "fi", "tiistai 3. maaliskuuta 2026 11.00 EET"),
        ("Europe/Lisbon", "pt", "terça-feira, 3 de março de 2026, 09:00 WET"),
        ("Europe/Berlin", "zh-hans", "2026年3月3日星期二 10:00 CET"),
    ],
)
def test_a_time_in_a_message_is_the_locations_wall_clock_in_the_languages_pattern(
    zone, language, text
):
    location = LocationFactory(time_zone=zone)

    assert in_zone_long(TUESDAY_9_UTC, location, language) == text


@pytest.mark.django_db
def test_the_date_long_filter_takes_the_locations_day_in_the_active_language():
    # 23:30 UTC on 2 March is already 3 March in Helsinki.
    late = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)
    location = LocationFactory(time_zone="Europe/Helsinki")
    template = Template("{% load zones %}{{ value|date_long:location }}")

    with translation.override("fi"):
        text = template.render(Context({"value": late, "location": location}))

    assert text == "tiistai 3. maaliskuuta 2026"
