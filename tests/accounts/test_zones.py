"""Every time shown carries the location's zone: its wall clock and the zone's name, never a
bare UTC time."""

import datetime
import re

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from dealership.accounts.templatetags.zones import local_date
from orders.services import order_reserve
from orders.tokens import order_token
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db

WINTER = datetime.datetime(2026, 1, 15, 20, 5, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2026, 7, 15, 20, 5, tzinfo=datetime.UTC)


def _render(value, location, name="at_location"):
    template = Template("{% load zones %}{{ value|" + name + ":location }}")
    return template.render(Context({"value": value, "location": location}))


@pytest.mark.parametrize(
    ("zone", "when", "text", "iso"),
    [
        ("Europe/Berlin", WINTER, "15 Jan 2026, 21:05 CET", "2026-01-15T21:05:00+01:00"),
        ("Europe/Berlin", SUMMER, "15 Jul 2026, 22:05 CEST", "2026-07-15T22:05:00+02:00"),
        ("Europe/Helsinki", WINTER, "15 Jan 2026, 22:05 EET", "2026-01-15T22:05:00+02:00"),
        ("Europe/Lisbon", SUMMER, "15 Jul 2026, 21:05 WEST", "2026-07-15T21:05:00+01:00"),
    ],
)
def test_a_time_is_the_locations_wall_clock_with_the_zones_name(zone, when, text, iso):
    location = LocationFactory(time_zone=zone)

    with translation.override("en"):
        html = _render(when, location)

    assert html == f'<time datetime="{iso}">{text}</time>'


def test_the_format_follows_the_language():
    leipzig = LocationFactory(time_zone="Europe/Berlin")

    with translation.override("de"):
        html = _render(WINTER, leipzig, "at_location_short")

    assert re.search(r">15\.01\.2026 21:05 CET</time>$", html), html


def test_without_a_location_the_site_zone_is_named():
    assert _render(WINTER, None).endswith(" UTC</time>")
    assert _render(None, None) == ""


@time_machine.travel(WINTER, tick=False)
def test_the_order_page_says_until_when_in_the_buyers_zone(client):
    leipzig = LocationFactory(time_zone="Europe/Berlin")
    order = make_order(VehicleFactory(location=leipzig))
    order_reserve(order=order)
    order.refresh_from_db()

    html = client.get(reverse("orders:track", args=[order_token(order)])).content.decode()

    local = order.reserved_until.astimezone(leipzig.tzinfo)
    assert "(UTC)" not in html
    assert f'datetime="{local.isoformat()}"' in html
    assert "CET</time> while we wait for your deposit." in html


@pytest.mark.parametrize(
    ("language", "shown"),
    [("de", "30.03.2026"), ("fi", "30.3.2026"), ("pt", "30/03/2026"), ("en", "30 Mar 2026")],
)
def test_a_date_is_the_locations_calendar_day_in_the_readers_format(language, shown):
    helsinki = LocationFactory(time_zone="Europe/Helsinki")
    # 22:30 UTC on the 29th is already the 30th in Helsinki
    late = datetime.datetime(2026, 3, 29, 22, 30, tzinfo=datetime.UTC)

    assert local_date(late, helsinki, language) == shown


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [("Europe/Berlin", "CET", "CEST"), ("Europe/Helsinki", "EET", "EEST"), ("Europe/Lisbon", "WET", "WEST")],
)  # fmt: skip
def test_the_abbreviation_changes_at_the_instant_of_the_switch(zone, before, after):
    location = LocationFactory(time_zone=zone)
    switch = datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC)  # the EU switches at once
    second = datetime.timedelta(seconds=1)
    render = Template("{% load zones %}{{ a|zone_abbr:l }} {{ b|zone_abbr:l }}").render

    assert (
        render(Context({"a": switch - second, "b": switch, "l": location})) == f"{before} {after}"
    )
