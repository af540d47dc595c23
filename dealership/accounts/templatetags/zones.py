"""Times as people at a location read them: its wall clock, with the zone's name.

``{{ order.reserved_until|at_location:order.location }}`` renders
``<time datetime="2026-03-10T21:05:00+01:00">10 Mar 2026, 21:05 CET</time>``: the date and
time in the active language's format, in the location's time zone, with the abbreviation
(CET/CEST, EET/EEST, WET/WEST), so nobody reads a UTC time as their own. Without a location
the site's time zone is used, and named as well.
"""

import zoneinfo

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
