"""Times as people at a location read them: its wall clock, with the zone's name.

``{{ order.reserved_until|at_location:order.location }}`` renders
``<time datetime="2026-03-10T21:05:00+01:00">10 Mar 2026, 21:05 CET</time>``: the date and
time in the active language's format, in the location's time zone, with the abbreviation
(CET/CEST, EET/EEST, WET/WEST), so nobody reads a UTC time as their own. Without a location
the site's time zone is used, and named as well.
"""

import datetime
import zoneinfo

from babel import Locale
from babel.dates import format_date, format_time
from django import template
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.html import format_html

register = template.Library()


def _zone(location) -> zoneinfo.ZoneInfo:
    # A missing location reaches a template filter as None or "".
    return getattr(location, "tzinfo", None) or zoneinfo.ZoneInfo(settings.TIME_ZONE)


def in_zone(value, location, fmt: str = "DATETIME_FORMAT") -> str:
    """The plain text: formatted wall-clock time and the zone's abbreviation."""
    local = timezone.localtime(value, _zone(location))
    # The date filter would convert an aware value to the active time zone again.
    wall = formats.date_format(local.replace(tzinfo=None), fmt)
    return f"{wall} {local.tzname()}"


def local_date(value, location, language: str = "") -> str:
    """The location's calendar day of an aware datetime, in `language`'s short date format
    (the active language without one): "30.03.2026", "30/03/2026", "2026/3/30"."""
    day = timezone.localtime(value, _zone(location)).date()
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


# Django's language code -> the CLDR locale whose dates the site writes. Django's "pt" is
# Portugal's (CLDR's "pt" is Brazil's); the site's English writes "3 March 2026" as it always did.
_CLDR_LOCALES = {"en": "en_GB", "pt": "pt_PT"}


def cldr_locale(language: str = "") -> str:
    """The CLDR locale for `language` (the active language without one)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return _CLDR_LOCALES.get(language) or translation.to_locale(language)


def long_date(day: datetime.date, language: str = "") -> str:
    """A calendar day the way the language writes it in a sentence (CLDR's "long" pattern):
    "3 March 2026", "3. März 2026", "3. maaliskuuta 2026", "3 de março de 2026", "2026年3月3日"."""
    return format_date(day, "long", locale=cldr_locale(language))


def full_date(day: datetime.date, language: str = "") -> str:
    """The same with the weekday (CLDR's "full"): "Tuesday, 3 March 2026",
    "Dienstag, 3. März 2026", "tiistai 3. maaliskuuta 2026", "2026年3月3日星期二"."""
    return format_date(day, "full", locale=cldr_locale(language))


def in_zone_long(value, location, language: str = "") -> str:
    """An aware datetime as a message says it: the location's weekday, day and wall-clock time
    in the language's own patterns, with the zone's abbreviation ("Tuesday, 3 March 2026,
    10:00 CET", "Dienstag, 3. März 2026, 10:00 CET", "tiistai 3. maaliskuuta 2026 10.00 EET")."""
    locale = Locale.parse(cldr_locale(language))
    local = timezone.localtime(value, _zone(location))
    day = format_date(local.date(), "full", locale=locale)
    time = format_time(local.time(), "short", locale=locale)
    return f"{locale.datetime_formats['full'].format(time, day)} {local.tzname()}"


@register.filter
def date_long(value, location=None) -> str:
    """``{{ booking.start_at|date_long:location }}``: the location's calendar day of an aware
    datetime (or a date as it is) with its weekday, in the active language (see full_date)."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value, _zone(location)).date()
    return full_date(value)


def _time_element(value, location, fmt: str) -> str:
    if not value:
        return ""
    local = timezone.localtime(value, _zone(location))
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), in_zone(value, location, fmt)
    )


@register.filter
def at_location(value, location):
    """An aware datetime as a <time> element in the location's zone (see the module)."""
    return _time_element(value, location, "DATETIME_FORMAT")


@register.filter
def at_location_short(value, location):
    """The same with the short date format (tables)."""
    return _time_element(value, location, "SHORT_DATETIME_FORMAT")


@register.filter
def zone_abbr(value, location) -> str:
    """The abbreviation of the location's zone at that moment ("CET" in January, "CEST" in
    July), for a time already shown as wall-clock digits."""
    if not value:
        return ""
    return timezone.localtime(value, _zone(location)).tzname()


@register.filter
def zone_now(location) -> str:
    """The location's zone and its abbreviation at this moment, for times written as bare
    wall-clock digits (opening hours): "Europe/Berlin, CET" in winter, "…, CEST" in summer."""
    zone = _zone(location)
    return f"{zone.key}, {timezone.localtime(timezone.now(), zone).tzname()}"


@register.filter
def day_zone(day, location) -> str:
    """The location's zone and its abbreviation on a calendar day (noon there), for a day that
    is the location's own (a transfer's arrival): "Europe/Berlin, CET" on 10 December, "…,
    CEST" on 10 July."""
    if not day:
        return ""
    zone = _zone(location)
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)
    return f"{zone.key}, {noon.tzname()}"
