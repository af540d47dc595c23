"""The vehicle page's head and body kept across page versions (inventory/fragments.py), and the
payment calculator's term labels in the visitor's language."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import trans_real

from dealership.accounts.location_cache import locations_invalidate
from inventory import views
from inventory.models import Vehicle
from inventory.page_cache import page_cache_invalidate

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

CSRF_META = re.compile(r'<meta name="csrf-token" content="(\w+)">')


def _normalised(html: str) -> str:
    """The page with its visitor's CSRF token taken out (each response has its own mask)."""
    token = CSRF_META.search(html).group(1)
    return html.replace(token, "TOKEN")


@pytest.fixture
def json_ld_calls(monkeypatch):
    """How often the page's JSON-LD was built: once per rendered head."""
    calls = []
    original = views._json_ld

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "_json_ld", counting)
    return calls


def test_a_new_page_version_reuses_the_head_and_body_and_shows_the_same_page(
    client, json_ld_calls, django_assert_num_queries
):
    # Given a car's page rendered once, and then a new page version (another car's photo ready)
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    for _ in range(3):
        VehicleFactory(location=vehicle.location, list_price=Decimal("25500"))
    first = client.get(vehicle.get_absolute_url())
    page_cache_invalidate()

    # When it is asked for again: the vehicle row and the similar cars (new page version) are
    # read, the head and body come from the fragment cache
    with django_assert_num_queries(2):
        again = client.get(vehicle.get_absolute_url())

    # Then the page is rendered afresh around the same head and body: byte for byte the same
    assert first["X-Page-Cache"] == "miss"
    assert again["X-Page-Cache"] == "miss"
    assert json_ld_calls == [1]
    html = again.content.decode()
    assert "hole" not in html
    assert _normalised(html) == _normalised(first.content.decode())
    assert html.count('class="col"><article class="card h-100 vehicle-card">') == 3


def test_the_stored_body_fills_in_each_visitors_own_buttons():
    # Given a car's page rendered for one visitor, then a new page version
    vehicle = VehicleFactory()
    Client().get(vehicle.get_absolute_url())
    page_cache_invalidate()

    # When a visitor with the car on their compare list asks for it (the body from the cache)
    visitor = Client()
    visitor.post("/vehicles/compare/", {"vehicle": vehicle.pk})
    html = visitor.get(vehicle.get_absolute_url()).content.decode()

    # Then their buttons are pressed, with their own CSRF token in the forms
    token = CSRF_META.search(html).group(1)
    [compare] = re.findall(
        r'<form method="post" action="/vehicles/compare/".*?</form>', html, flags=re.S
    )
    assert 'aria-pressed="true"' in compare
    assert f'name="csrfmiddlewaretoken" value="{token}"' in compare
    assert "hole" not in html


def test_a_change_saved_with_update_shows_on_the_next_render(client, json_ld_calls):
    # Given a car's page rendered once
    vehicle = VehicleFactory(mileage=42300)
    assert "42,300\xa0km" in client.get(vehicle.get_absolute_url()).content.decode()

    # When its mileage changes without save() (updated_at untouched) and the page is re-rendered
    Vehicle.objects.filter(pk=vehicle.pk).update(mileage=51000)
    page_cache_invalidate()
    html = client.get(vehicle.get_absolute_url()).content.decode()

    # Then the new mileage is shown, in the head and the body
    assert "42,300" not in html
    assert html.count("51,000\xa0km") == 3  # meta description, Open Graph, key specs
    assert json_ld_calls == [1, 1]


def test_a_location_change_renders_a_new_body(client):
    # Given a car's page rendered once
    vehicle = VehicleFactory()
    client.get(vehicle.get_absolute_url())

    # When its location's phone number changes (the location version moves)
    vehicle.location.phone = "+49 341 555 0199"
    vehicle.location.save(update_fields=["phone"])
    locations_invalidate()
    html = client.get(vehicle.get_absolute_url()).content.decode()

    # Then the page shows the new number
    assert '<a href="tel:+493415550199">0341 5550199</a>' in html


def test_the_calculator_inputs_have_their_own_body(client):
    # Given a car's page rendered with the default term
    vehicle = VehicleFactory(list_price=Decimal("20000"))
    client.get(vehicle.get_absolute_url())
    page_cache_invalidate()

    # When the calculator asks for 36 months
    html = client.get(vehicle.get_absolute_url(), {"term": "36"}).content.decode()

    # Then the 36 months are selected, not the stored 60
    assert '<option value="36" selected>36 months</option>' in html
    assert '<option value="60">60 months</option>' in html


@pytest.fixture
def german_months(monkeypatch):
    """A German translation for the term label (the project ships no German catalogue yet)."""
    catalog = trans_real.translation("de")._catalog._catalogs[0]
    monkeypatch.setitem(catalog, "%(months)d months", "%(months)d Monate")


@pytest.mark.parametrize("cached", [True, False])
def test_the_term_labels_are_in_the_visitors_language(client, settings, german_months, cached):
    # Given a car, and the page cache on or off
    assert "de" in [code for code, _name in settings.LANGUAGES]
    settings.SHOWROOM_PAGE_CACHE_SECONDS = 600 if cached else 0
    vehicle = VehicleFactory()

    # When an English and then a German visitor open its page
    english = client.get(vehicle.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = client.get(vehicle.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    # Then each sees the terms in their own language
    assert '<option value="60" selected>60 months</option>' in english
    assert "Monate" not in english
    assert '<option value="60" selected>60 Monate</option>' in german
    assert '<option value="84">84 Monate</option>' in german
    assert "months</option>" not in german


def test_a_logged_in_visitor_gets_their_own_token_and_buttons_in_rendered_pages(client, consultant):
    # Given two cars, the first on the consultant's compare list
    first, second = VehicleFactory(), VehicleFactory()
    client.force_login(consultant)
    client.post("/vehicles/compare/", {"vehicle": first.pk})

    # When the consultant opens the search twice (rendered each time: no page cache)
    pages = [client.get("/vehicles/").content.decode() for _ in range(2)]

    # Then each render's buttons carry that render's CSRF token and the visitor's own state
    for html in pages:
        token = CSRF_META.search(html).group(1)
        forms = re.findall(r'<form method="post" action="/vehicles/compare/".*?</form>', html, re.S)
        assert len(forms) == 2
        for form in forms:
            assert f'name="csrfmiddlewaretoken" value="{token}"' in form
        pressed = {
            int(re.search(r'name="vehicle" value="(\d+)"', form).group(1)): 'aria-pressed="true"'
            in form
            for form in forms
        }
        assert pressed == {first.pk: True, second.pk: False}
        # and no sentinel ("csrf…") of the shared variants is left in
        assert "csrf" not in html.replace("csrfmiddlewaretoken", "").replace("csrf-token", "")
