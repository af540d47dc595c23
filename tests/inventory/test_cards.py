"""Result cards: one cache round trip per page, and never a stale card."""

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dealership.accounts.location_cache import locations_invalidate
from inventory import cards
from inventory.models import Vehicle
from inventory.selectors import vehicle_get_public, vehicle_list_by_ids, vehicle_search_page
from inventory.templatetags.inventory import money_whole
from tests.accounts.factories import LocationFactory

from .factories import VehicleFactory, VehiclePhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _page():
    from inventory.forms import VehicleSearchForm

    return vehicle_search_page(filters=VehicleSearchForm({}).filters()).vehicles


def test_a_page_of_cards_takes_one_cache_read_and_renders_each_miss_once():
    # Given three cars and an empty cache
    for price in ("19990", "24990", "31990"):
        VehicleFactory(list_price=Decimal(price))
    vehicles = _page()

    # When the cards are attached twice (a cold and a warm page)
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        mock.patch.object(cards, "_render", wraps=cards._render) as render,
    ):
        cards.cards_attach(vehicles)
        cold = [v.card_body_html for v in vehicles]
        warm_vehicles = _page()
        cards.cards_attach(warm_vehicles)

    # Then each page read the cache once, and only the cold one rendered (once per car)
    assert get_many.call_count == 2
    assert render.call_count == 3
    assert [v.card_body_html for v in warm_vehicles] == cold
    assert "€31,990" in "".join(cold)


def test_the_tag_uses_the_attached_body_without_touching_the_cache():
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    [loaded] = _page()
    cards.cards_attach([loaded])

    with mock.patch.object(cache, "get", wraps=cache.get) as get:
        html = cards.card_body(loaded)

    assert get.call_count == 0
    assert f'href="/vehicles/{vehicle.slug}/"' in html
    assert '<span class="fs-5 fw-bold">€24,990</span>' in html


def test_a_price_change_gives_the_card_a_new_key_and_a_fresh_body():
    from inventory.services import vehicle_update

    vehicle = VehicleFactory(list_price=Decimal("24990"))
    [before] = _page()
    cards.cards_attach([before])

    vehicle_update(vehicle=vehicle, sale_price=Decimal("22490"))
    [after] = _page()
    cards.cards_attach([after])

    assert cards.card_key(after) != cards.card_key(before)
    assert '<span class="fs-5 fw-bold">€24,990</span>' in before.card_body_html
    assert '<span class="fs-5 fw-bold">€22,490</span>' in after.card_body_html
    assert '<s class="text-muted small ms-1">€24,990</s>' in after.card_body_html


def test_cards_are_cached_per_language():
    VehicleFactory(list_price=Decimal("24990"))
    [english] = _page()
    cards.cards_attach([english])
    with translation.override("de"):
        [german] = _page()
        cards.cards_attach([german])

    assert "€24,990" in english.card_body_html
    assert "24.990\xa0€" in german.card_body_html


def test_whole_money_keeps_each_languages_pattern():
    with translation.override("en"):
        assert money_whole(Decimal("24990.40")) == "€24,990"
    with translation.override("de"):
        assert money_whole(Decimal("24990.50")) == "24.991\xa0€"
    with translation.override("en"):
        assert money_whole(Decimal("1234.49")) == "€1,234"


def test_vehicle_page_lookup_uses_the_stock_number_without_an_ordering():
    from dealership.accounts.location_cache import location_list_public_cached

    vehicle = VehicleFactory()
    location_list_public_cached()  # the public locations are cached (as after any page)

    with CaptureQueriesContext(connection) as queries:
        found = vehicle_get_public(slug_stock=vehicle.slug)
        location_name = found.location.name

    assert found.pk == vehicle.pk
    assert location_name == vehicle.location.name
    assert len(queries.captured_queries) == 1
    main = " ".join(queries.captured_queries[0]["sql"].split())
    assert "WHERE inventory_vehicle.stock_number = " in main
    # Only the photo and feature arrays are ordered; the row itself is not.
    assert "published_at" not in main
    assert main.endswith("LIMIT 1")
    assert vehicle_get_public(slug_stock="2020-volkswagen-golf-nosuchstock") is None


def _buttons(html: str, vehicle_id: int) -> list[str]:
    return re.findall(
        r'<form method="post" action="/vehicles/(?:compare|favourites)/".*?'
        rf'name="vehicle" value="{vehicle_id}".*?</form>',
        html,
        flags=re.S,
    )


def test_card_buttons_show_the_visitors_lists_with_the_pages_token_and_path(client):
    # Given two cars, one in the visitor's compare list and the other saved
    compared, saved = VehicleFactory.create_batch(2)
    client.post("/vehicles/compare/", {"vehicle": compared.pk, "next": "/vehicles/"})
    client.post("/vehicles/favourites/", {"vehicle": saved.pk, "next": "/vehicles/"})

    # When the search page is shown
    response = client.get("/vehicles/", {"sort": "price"})
    html = response.content.decode()
    token = re.search(r'<meta name="csrf-token" content="(\w+)">', html).group(1)

    # Then each card has its two buttons, pressed as the lists say, posting back to this page
    compared_buttons = _buttons(html, compared.pk)
    saved_buttons = _buttons(html, saved.pk)
    assert len(compared_buttons) == 2
    assert len(saved_buttons) == 2
    assert 'aria-pressed="true"' in compared_buttons[0]
    assert "Remove from compare" in compared_buttons[0]
    assert 'aria-pressed="false"' in compared_buttons[1]
    assert "Save\n" in compared_buttons[1]
    assert 'aria-pressed="false"' in saved_buttons[0]
    assert 'aria-pressed="true"' in saved_buttons[1]
    assert "Saved" in saved_buttons[1]
    assert len(token) == 64
    assert "hole" not in html
    for button in compared_buttons + saved_buttons:
        assert f'name="csrfmiddlewaretoken" value="{token}"' in button
        assert 'name="next" value="/vehicles/?sort=price"' in button


def _card(vehicle_pk: int):
    [card] = [v for v in _page() if v.pk == vehicle_pk]
    cards.cards_attach([card])
    return card


def test_renaming_the_location_changes_the_card():
    # Given a card cached for a car at the Leipzig branch
    location = LocationFactory(name="Showroom Leipzig", city="Leipzig")
    vehicle = VehicleFactory(location=location)
    before = _card(vehicle.pk)
    assert '<p class="small text-muted mb-0">Leipzig</p>' in before.card_body_html

    # When the branch is renamed (no vehicle is touched), as the location admin does it: the
    # cached public locations start a new version on commit
    location.name = "Showroom Leipzig-Mitte"
    location.city = "Leipzig-Mitte"
    location.save(update_fields=["name", "city"])
    locations_invalidate()
    after = _card(vehicle.pk)

    # Then the card has a new key and shows the new name at once
    assert cards.card_key(after) != cards.card_key(before)
    assert '<p class="small text-muted mb-0">Leipzig-Mitte</p>' in after.card_body_html


def test_a_new_primary_photo_or_alt_text_changes_the_card():
    vehicle = VehicleFactory()
    first = VehiclePhotoFactory(vehicle=vehicle, is_primary=True, alt_text="Front view")
    before = _card(vehicle.pk)
    assert 'alt="Front view"' in before.card_body_html

    first.alt_text = "Golf from the front"
    first.save(update_fields=["alt_text"])
    renamed = _card(vehicle.pk)
    assert 'alt="Golf from the front"' in renamed.card_body_html

    first.is_primary = False
    first.save(update_fields=["is_primary"])
    second = VehiclePhotoFactory(vehicle=vehicle, is_primary=True, alt_text="Interior")
    replaced = _card(vehicle.pk)

    assert len({cards.card_key(c) for c in (before, renamed, replaced)}) == 3
    assert f'src="/media/{second.thumbnail.name}"' in replaced.card_body_html
    assert 'alt="Interior"' in replaced.card_body_html


def test_a_status_or_price_written_without_save_still_changes_the_key():
    # QuerySet.update() leaves updated_at alone; the key reads the values themselves.
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    before = _card(vehicle.pk)

    Vehicle.objects.filter(pk=vehicle.pk).update(list_price=Decimal("23990"))
    cheaper = _card(vehicle.pk)
    Vehicle.objects.filter(pk=vehicle.pk).update(status=Vehicle.Status.RESERVED)
    [reserved] = vehicle_list_by_ids(ids=[vehicle.pk])

    assert '<span class="fs-5 fw-bold">€23,990</span>' in cheaper.card_body_html
    assert len({cards.card_key(before), cards.card_key(cheaper), cards.card_key(reserved)}) == 3


def test_the_card_key_follows_language_and_currency(settings):
    VehicleFactory()
    [vehicle] = _page()
    english = cards.card_key(vehicle)
    with translation.override("de"):
        german = cards.card_key(vehicle)
    settings.CURRENCY = "CHF"

    assert len({english, german, cards.card_key(vehicle)}) == 3


def test_card_buttons_are_rendered_once_per_page_whatever_the_number_of_cards(client):
    from inventory.templatetags import inventory as tags

    VehicleFactory.create_batch(7)

    with mock.patch.object(tags, "get_template", wraps=tags.get_template) as get_template:
        html = client.get("/vehicles/").content.decode()

    button_templates = [
        c.args[0] for c in get_template.call_args_list if c.args[0].endswith("_button.html")
    ]
    assert button_templates == [
        "inventory/partials/compare_button.html",
        "inventory/partials/favourites_button.html",
    ]
    # Two buttons on each of the seven cards (the chat widget's own vehicle field aside).
    assert html.count('name="vehicle" value="') - html.count('name="vehicle" value=""') == 14
