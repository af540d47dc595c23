"""Dates and times per language (dealership/formats): English the European way, the site's
named formats in every language, and the pages that used to write English-shaped patterns
(the slot picker, the staff booking page, the workshop's drop-off choices) in each language."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils import formats, translation

from aftersales.forms import BookingForm
from dealership.accounts.roles import Role
from dealership.formats import NAMED_FORMATS
from tests.accounts.factories import UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import LeadFactory
from tests.testdrives.conftest import MONDAY_8_BERLIN, utc
from tests.testdrives.factories import BookingFactory

LANGUAGES = [code for code, _name in settings.LANGUAGES]
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
JUNE_10_1430 = datetime.datetime(2026, 6, 10, 14, 30, tzinfo=BERLIN)
TUESDAY_10_BERLIN = utc(2026, 3, 3, 9, 0)


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY_8_BERLIN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def vehicle(location):
    return VehicleFactory(location=location, make="Volkswagen", model="Golf")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


# --- the formats themselves ---------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", NAMED_FORMATS)
def test_every_language_defines_every_named_format(language, name):
    with translation.override(language):
        pattern = formats.get_format(name)

    # An undefined name comes back as itself and would be printed letter by letter.
    assert pattern != name
    assert isinstance(pattern, str)
    assert pattern


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("DATE_FORMAT", "10 Jun 2026"),
        ("SHORT_DATE_FORMAT", "10 Jun 2026"),
        ("DATETIME_FORMAT", "10 Jun 2026, 14:30"),
        ("SHORT_DATETIME_FORMAT", "10 Jun 2026, 14:30"),
        ("DAY_HEADING_FORMAT", "Wednesday, 10 June"),
        ("FULL_DATE_FORMAT", "Wednesday, 10 June 2026"),
        ("SHORT_DAY_FORMAT", "Wed 10 Jun"),
        ("WEEKDAY_DATE_FORMAT", "Wed 10 Jun 2026"),
        ("WEEKDAY_DATETIME_FORMAT", "Wed 10 Jun 2026, 14:30"),
    ],
)
def test_english_writes_the_day_before_the_month_and_24_hours(name, shown):
    with translation.override("en"):
        assert formats.date_format(JUNE_10_1430, name) == shown


def test_english_times_are_24_hours_and_weeks_start_on_monday():
    with translation.override("en"):
        assert formats.time_format(datetime.time(14, 30)) == "14:30"
        assert formats.time_format(datetime.time(9, 5)) == "09:05"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-06-10", datetime.date(2026, 6, 10)),
        # What Django's English accepted before still means what it meant (month first).
        ("06/10/2026", datetime.date(2026, 6, 10)),
        ("06/10/26", datetime.date(2026, 6, 10)),
        ("Jun 10 2026", datetime.date(2026, 6, 10)),
        ("10 Jun 2026", datetime.date(2026, 6, 10)),
        ("10 June 2026", datetime.date(2026, 6, 10)),
    ],
)
def test_english_date_input_still_accepts_what_it_accepted(typed, day):
    with translation.override("en"):
        assert forms.DateField().clean(typed) == day


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    ["2026-06-10 14:30", "2026-06-10T14:30", "06/10/2026 14:30", "10 Jun 2026, 14:30"],
)
def test_english_datetime_input_accepts_the_old_forms_and_what_the_pages_show(typed):
    with translation.override("en"), time_machine.travel(MONDAY_8_BERLIN):
        value = forms.DateTimeField().clean(typed)

    assert value.replace(tzinfo=None) == JUNE_10_1430.replace(tzinfo=None)


@pytest.mark.django_db
def test_an_english_datetime_that_is_not_a_date_is_refused_with_a_message():
    with translation.override("en"), pytest.raises(forms.ValidationError) as refused:
        forms.DateTimeField().clean("13/45/2026 14:30")

    assert refused.value.messages == ["Enter a valid date/time."]


# --- the pages ----------------------------------------------------------------------------

# The slot picker's day heading and a time button on Tuesday 3 March 2026 (Berlin, CET).
SLOT_PICKER = {
    "en": ("Tuesday, 3 March · CET", "Tuesday, 3 March </span>10:00</label>"),
    "de": ("Dienstag, 3. März · CET", "Dienstag, 3. März </span>10:00</label>"),
    "fi": ("tiistai 3. maaliskuuta · CET", "tiistai 3. maaliskuuta </span>10.00</label>"),
    "pt": ("Terça-feira, 3 de Março · CET", "Terça-feira, 3 de Março </span>10:00</label>"),
    "zh-hans": ("3月3日 星期二 · CET", "3月3日 星期二 </span>10:00</label>"),
}


def _prefix(language: str) -> str:
    return "" if language == "en" else f"/{language}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_slot_picker_writes_days_and_times_in_the_languages_pattern(
    client, frozen, vehicle, consultant, language
):
    heading, button = SLOT_PICKER[language]

    response = client.get(f"{_prefix(language)}/test-drives/book/{vehicle.pk}/")

    assert response.status_code == 200
    assert response["Content-Language"] == language
    page = response.content.decode()
    assert f'<summary class="fw-semibold">{heading} <span' in page
    assert button in page


# The staff booking page's "When" for a drive on Tuesday 3 March 2026, 10:00–10:45 Berlin time.
BOOKING_WHEN = {
    "en": "Tue 3 Mar 2026, 10:00–10:45 CET (Europe/Berlin)",
    "de": "Di, 3. März 2026, 10:00–10:45 CET (Europe/Berlin)",
    "fi": "ti 3.3.2026, 10.00–10.45 CET (Europe/Berlin)",
    "pt": "Ter, 3 Mar 2026, 10:00–10:45 CET (Europe/Berlin)",
    "zh-hans": "2026年3月3日 星期二, 10:00–10:45 CET (Europe/Berlin)",
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_booking_page_writes_the_time_in_the_staff_members_language(
    client, frozen, vehicle, location, language
):
    staff = UserFactory(role=Role.CONSULTANT, locations=[location], language=language)
    drive = BookingFactory(vehicle=vehicle, consultant=staff, start_at=TUESDAY_10_BERLIN)
    client.force_login(staff)

    response = client.get(f"/staff/test-drives/{drive.pk}/")

    assert response.status_code == 200
    assert response["Content-Language"] == language
    shown = re.findall(r'<dd class="col-sm-8">([^<]*)</dd>', response.content.decode())
    assert BOOKING_WHEN[language] in shown


# A drop-off on Wednesday 17 December 2025 at 08:00 in Berlin, as the booking form offers it.
DROP_OFF = {
    "en": "Wed 17 Dec 2025, 08:00 CET",
    "de": "Mi, 17. Dezember 2025, 08:00 CET",
    "fi": "ke 17.12.2025 klo 8.00 CET",
    "pt": "Qua, 17 Dez 2025, 08:00 CET",
    "zh-hans": "2025年12月17日 星期三 08:00 CET",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_workshops_drop_off_choices_are_in_the_languages_pattern(language):
    slot = datetime.datetime(2025, 12, 17, 8, 0, tzinfo=BERLIN)

    with translation.override(language):
        form = BookingForm(slots=[slot], items=[])
        choices = list(form.fields["drop_off_at"].choices)

    assert choices == [(slot.isoformat(), DROP_OFF[language])]


@pytest.mark.django_db
def test_an_english_staff_page_writes_10_jun_2026_14_30_cest(consultant_client, consultant):
    berlin = consultant.locations.get()
    received = datetime.datetime(2026, 6, 10, 12, 30, tzinfo=datetime.UTC)
    lead = LeadFactory(customer__location=berlin, assigned_to=consultant, created_at=received)

    inbox = consultant_client.get("/staff/leads/").content.decode()
    page = consultant_client.get(f"/staff/leads/{lead.pk}/").content.decode()

    # 12:30 UTC is 14:30 in Berlin (summer time), written day first with the zone's name.
    shown = '<time datetime="2026-06-10T12:30:00+00:00">10 Jun 2026, 14:30 CEST</time>'
    assert shown in inbox
    assert "10 Jun 2026, 14:30 CEST</time> (" in page
    assert "06/10/2026" not in inbox + page
    assert "p.m." not in inbox + page
