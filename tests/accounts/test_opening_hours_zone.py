"""Opening hours are wall-clock times at the branch: the location page and the footer say
which zone they are in, with its name and the abbreviation of the day (CET/CEST, EET/EEST)."""

import re

import pytest
import time_machine
from django.core.cache import cache

from tests.accounts.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _footer(html: str) -> str:
    return html[html.index('<footer class="site-footer') :]


@pytest.mark.parametrize(
    ("moment", "zone"),
    [
        # Helsinki's clocks go forward at 03:00 EET on Sunday 29 March 2026 (01:00 UTC).
        ("2026-03-29T00:59:00+00:00", "Europe/Helsinki, EET"),
        ("2026-03-29T01:00:00+00:00", "Europe/Helsinki, EEST"),
        # ...and back at 04:00 EEST on Sunday 25 October 2026 (01:00 UTC).
        ("2026-10-25T00:59:00+00:00", "Europe/Helsinki, EEST"),
        ("2026-10-25T01:00:00+00:00", "Europe/Helsinki, EET"),
    ],
)
def test_the_location_page_names_the_zone_of_its_opening_hours(client, moment, zone):
    LocationFactory(slug="helsinki", name="Helsinki", time_zone="Europe/Helsinki")

    with time_machine.travel(moment, tick=False):
        html = client.get("/locations/helsinki/").content.decode()

    main = html[: html.index('<footer class="site-footer')]
    assert "<td>09:00–18:00</td>" in main
    assert f"Local time at the branch ({zone})" in main


def test_the_footer_shows_each_locations_hours_in_its_own_zone(client):
    LocationFactory(slug="leipzig", name="Leipzig", time_zone="Europe/Berlin")
    LocationFactory(
        slug="lisboa",
        name="Lisboa",
        time_zone="Europe/Lisbon",
        weekday_hours={0: ("10:00", "19:00"), 5: ("10:00", "13:00")},
    )

    with time_machine.travel("2026-01-15T12:00:00+00:00", tick=False):
        footer = _footer(client.get("/").content.decode())

    leipzig = footer[footer.index("Leipzig</a>") : footer.index("Lisboa</a>")]
    lisboa = footer[footer.index("Lisboa</a>") :]
    # A list, not a table: the page's own tables stay the only ones.
    assert "<table" not in footer
    assert leipzig.count('<dd class="mb-0">09:00–18:00</dd>') == 5
    assert "Local time at the branch (Europe/Berlin, CET)" in leipzig
    assert re.findall(r'<dd class="mb-0">(\d\d:\d\d–\d\d:\d\d)</dd>', lisboa) == [
        "10:00–19:00",
        "10:00–13:00",
    ]
    assert "Local time at the branch (Europe/Lisbon, WET)" in lisboa


def test_the_footer_names_the_zone_in_the_pages_language(client):
    LocationFactory(slug="leipzig", name="Leipzig", time_zone="Europe/Berlin")

    with time_machine.travel("2026-07-15T12:00:00+00:00", tick=False):
        footer = _footer(client.get("/de/").content.decode())

    assert "Ortszeit der Filiale (Europe/Berlin, CEST)" in footer
    assert "Montag" in footer
