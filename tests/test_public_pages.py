import re

import pytest

from tests.accounts.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_home_page_lists_locations_with_opening_hours(client):
    LocationFactory(name="Showroom Motors Leipzig")

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Showroom Motors Leipzig" in html
    assert "09:00–18:00" in html
    assert "bootstrap/css/bootstrap.min.css" in html
    # Every asset is ours: no src/href to another host (a bare "cdn" search matched a CSRF token).
    # (The hreflang alternates are absolute, as search engines require: this host's own.)
    assert re.findall(r'(?:src|href)="(?:https?:)?//(?!testserver/)[^"]*"', html) == []


def test_home_page_query_count_does_not_grow_with_locations(client, django_assert_num_queries):
    LocationFactory.create_batch(6)

    # Savepoint and release (ATOMIC_REQUESTS), the locations and their opening hours, once
    # for the header, the page and the footer, and the featured offers.
    with django_assert_num_queries(5):
        assert client.get("/").status_code == 200


def test_location_page_shows_local_time_zone(client):
    LocationFactory(slug="helsinki", name="Helsinki", time_zone="Europe/Helsinki")

    response = client.get("/locations/helsinki/")

    assert response.status_code == 200
    assert re.search(r"\(Europe/Helsinki, EES?T\)", response.content.decode())


def test_unknown_page_uses_the_site_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Back to the showroom" in response.content.decode()


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        # Helsinki's clocks go forward at 03:00 EET on Sunday 29 March 2026 (01:00 UTC)
        ("2026-03-29T00:59:00+00:00", "Local time: 02:59 (Europe/Helsinki, EET)"),
        ("2026-03-29T01:00:00+00:00", "Local time: 04:00 (Europe/Helsinki, EEST)"),
        # and back at 04:00 EEST on Sunday 25 October 2026 (01:00 UTC)
        ("2026-10-25T00:59:00+00:00", "Local time: 03:59 (Europe/Helsinki, EEST)"),
        ("2026-10-25T01:00:00+00:00", "Local time: 03:00 (Europe/Helsinki, EET)"),
    ],
)
def test_the_location_page_tells_its_wall_clock_and_zone_across_the_switches(client, when, shown):
    import time_machine

    LocationFactory(slug="helsinki", name="Helsinki", time_zone="Europe/Helsinki")

    with time_machine.travel(when, tick=False):
        html = client.get("/locations/helsinki/").content.decode()

    assert shown in html
