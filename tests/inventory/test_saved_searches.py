import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from inventory.models import SavedSearch, Vehicle
from inventory.saved_searches import (
    normalise_query,
    saved_search_cancel,
    saved_search_create,
    saved_search_matches,
)
from inventory.services import vehicle_update

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

CONSENT = "Email me new matches and price drops for this search (at most once a day). I can unsubscribe with the link in every email."


def test_query_is_normalised_without_page_state():
    assert normalise_query("?sort=price&fuel=petrol&make=BMW&after=1~2&fuel=diesel&q=") == (
        "fuel=diesel&fuel=petrol&make=BMW"
    )


def test_saving_the_same_search_twice_keeps_one_row():
    first, created = saved_search_create(
        email="Ana@Example.com", query="make=BMW&fuel=diesel", consent_wording=CONSENT
    )
    second, created_again = saved_search_create(
        email="ana@example.com", query="fuel=diesel&make=BMW&sort=price", consent_wording=CONSENT
    )

    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    assert SavedSearch.objects.get().email == "ana@example.com"


def test_visitor_saves_a_search_from_the_page(client):
    response = client.post(
        "/vehicles/saved-searches/",
        {"email": "ana@example.com", "query": "make=BMW&after=x", "consent": "on"},
        follow=True,
    )

    saved = SavedSearch.objects.get()
    assert (saved.email, saved.query, saved.consent_wording) == (
        "ana@example.com",
        "make=BMW",
        CONSENT,
    )
    assert response.redirect_chain == [("/vehicles/?make=BMW", 302)]
    assert "Search saved. We will email ana@example.com when new cars match" in (
        response.content.decode()
    )


def test_saving_without_consent_is_refused_and_nothing_saved(client):
    response = client.post(
        "/vehicles/saved-searches/", {"email": "ana@example.com", "query": "make=BMW"}
    )

    assert response.status_code == 400
    assert "Please agree to receive the alert emails." in response.content.decode()
    assert SavedSearch.objects.count() == 0


def test_bots_filling_the_honeypot_are_refused(client):
    response = client.post(
        "/vehicles/saved-searches/",
        {"email": "bot@example.com", "query": "", "consent": "on", "website": "http://spam"},
    )

    assert response.status_code == 400
    assert SavedSearch.objects.count() == 0


def test_saving_searches_is_rate_limited_per_address(client):
    # The limit is a fixed hourly window: the clock stays inside one.
    with time_machine.travel(datetime.datetime(2026, 11, 24, 10, 30, tzinfo=datetime.UTC)):
        for n in range(5):
            client.post(
                "/vehicles/saved-searches/",
                {"email": f"a{n}@example.com", "query": "make=BMW", "consent": "on"},
            )

        response = client.post(
            "/vehicles/saved-searches/",
            {"email": "late@example.com", "query": "make=BMW", "consent": "on"},
        )
        other = client.post(
            "/vehicles/saved-searches/",
            {"email": "other@example.com", "query": "make=BMW", "consent": "on"},
            REMOTE_ADDR="198.51.100.20",
        )

    assert response.status_code == 429
    assert other.status_code == 302  # another address is not held back
    assert SavedSearch.objects.count() == 6


def test_unsubscribe_link_cancels_at_once(client):
    saved, _ = saved_search_create(
        email="ana@example.com", query="make=BMW", consent_wording=CONSENT
    )

    page = client.get(f"/vehicles/saved-searches/{saved.token}/")
    done = client.post(f"/vehicles/saved-searches/{saved.token}/")

    assert "Stop these emails" in page.content.decode()
    assert "will get no more emails for this search" in done.content.decode()
    saved.refresh_from_db()
    assert saved.cancelled_at is not None
    assert client.get("/vehicles/saved-searches/not-a-token/").status_code == 404


def test_cancelling_twice_keeps_the_first_time():
    saved, _ = saved_search_create(email="a@example.com", query="make=BMW", consent_wording=CONSENT)
    first = saved_search_cancel(token=saved.token).cancelled_at

    assert saved_search_cancel(token=saved.token).cancelled_at == first


def test_matches_are_new_cars_and_price_drops_since_the_last_check():
    start = timezone.now()
    with time_machine.travel(start - datetime.timedelta(days=2), tick=False):
        old_bmw = VehicleFactory(make="BMW", list_price=Decimal("30000"))
        steady_bmw = VehicleFactory(make="BMW", list_price=Decimal("31000"))
        saved, _ = saved_search_create(
            email="a@example.com", query="make=BMW", consent_wording=CONSENT
        )
    with time_machine.travel(start - datetime.timedelta(hours=5), tick=False):
        vehicle_update(vehicle=old_bmw, list_price=Decimal("28000"))
        vehicle_update(vehicle=steady_bmw, list_price=Decimal("32000"))  # a rise, not a drop
        new_bmw = VehicleFactory(make="BMW", list_price=Decimal("40000"))
        VehicleFactory(make="Audi")
        VehicleFactory(make="BMW", status=Vehicle.Status.DRAFT, published_at=None)

    content = saved_search_matches(saved_search=saved, since=saved.last_checked_at)

    assert [v.pk for v in content.new_vehicles] == [new_bmw.pk]
    assert [v.pk for v in content.price_drops] == [old_bmw.pk]
