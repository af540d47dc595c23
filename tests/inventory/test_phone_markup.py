"""The search page's markup for phones (issue 19): the filters button counts the active
filters, the panel's button counts the cars, the first card's photo is the one that loads at
once, and cached pages and card bodies keep all of that right."""

import re
from decimal import Decimal

import pytest

from inventory.forms import VehicleFilters, VehicleSearchForm
from inventory.models import Vehicle

from .factories import VehicleFactory, VehiclePhotoFactory

pytestmark = pytest.mark.django_db


def _photo(vehicle):
    VehiclePhotoFactory(vehicle=vehicle, position=0, is_primary=True)
    return vehicle


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ({}, 0),
        ({"sort": "price", "after": "x"}, 0),  # an order and a page are no filters
        ({"make": "BMW"}, 1),
        ({"make": "BMW", "fuel": ["diesel", "electric"], "price_max": "40000"}, 4),
        ({"q": "  ", "year_min": "abc"}, 0),  # blank and malformed values are left out
        ({"q": "GTI", "year_min": "2018", "year_max": "2022", "colour": "blue"}, 4),
    ],
)
def test_active_filter_count(query, count):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in query.items():
        data.setlist(key, value if isinstance(value, list) else [value])

    assert VehicleSearchForm(data).filters().active_count == count


def test_no_filters_count_nothing():
    assert VehicleFilters().active_count == 0


def test_the_phone_button_counts_the_filters_and_the_panel_counts_the_cars(client):
    VehicleFactory(make="BMW", model="X1", fuel=Vehicle.Fuel.DIESEL, list_price=Decimal("21990"))
    VehicleFactory(make="BMW", model="X3", fuel=Vehicle.Fuel.DIESEL, list_price=Decimal("31990"))
    VehicleFactory(make="Audi", model="A4", fuel=Vehicle.Fuel.PETROL)

    html = client.get("/vehicles/", {"make": "BMW", "fuel": "diesel"}).content.decode()
    plain = client.get("/vehicles/").content.decode()

    assert re.search(r'href="#search-filters-panel"[^>]*>Filters \(2\)</a>', html)
    assert ">Show 2 cars</button>" in html
    assert 'id="search-filters-panel"' in html
    assert "offcanvas-md" in html
    assert re.search(r'href="#search-filters-panel"[^>]*>Filters</a>', plain)
    assert ">Show 3 cars</button>" in plain


def test_one_car_is_counted_in_the_singular(client):
    VehicleFactory(make="BMW")

    html = client.get("/vehicles/", {"make": "BMW"}).content.decode()

    assert ">Show 1 car</button>" in html
    assert ">Filters (1)</a>" in html


def test_the_filters_swap_the_results_and_the_panel_body_not_the_panel(client):
    VehicleFactory()

    html = client.get("/vehicles/").content.decode()

    form = re.search(r'<form method="get"[^>]*class="search-filters[^>]*>', html).group(0)
    assert 'hx-target="#search-results"' in form
    assert 'hx-select="#search-results"' in form
    assert 'hx-select-oob="#search-filters-body"' in form
    assert 'id="search-results"' in html
    assert 'id="search-filters-body"' in html


def test_only_the_first_cards_photo_loads_eagerly_even_from_cached_card_bodies(client):
    cars = [
        _photo(VehicleFactory(list_price=Decimal(price))) for price in ("19990", "21990", "23990")
    ]

    first = client.get("/vehicles/", {"sort": "price"}).content.decode()
    # The other order: the card that was first is now last, its body from the card cache.
    second = client.get("/vehicles/", {"sort": "-price"}).content.decode()

    for html, order in ((first, cars), (second, cars[::-1])):
        images = re.findall(r'<img class="card-img-top"[^>]*>', html)
        assert len(images) == 3
        assert 'loading="eager" fetchpriority="high"' in images[0]
        assert all('loading="lazy"' in image for image in images[1:])
        assert all("fetchpriority" not in image for image in images[1:])
        assert all('width="480" height="360"' in image for image in images)
        assert html.index(order[0].get_absolute_url()) < html.index(order[1].get_absolute_url())


def test_similar_cars_on_a_vehicle_page_stay_lazy_and_the_hero_is_eager(client):
    car = _photo(VehicleFactory(make="BMW", model="X1"))
    _photo(VehicleFactory(make="BMW", model="X1"))

    html = client.get(car.get_absolute_url()).content.decode()

    hero = re.search(r'<div class="carousel-item active">\s*<img[^>]*>', html).group(0)
    assert 'loading="eager" fetchpriority="high"' in hero
    assert 'width="1600" height="1200"' in hero
    cards = re.findall(r'<img class="card-img-top"[^>]*>', html)
    assert cards
    assert all('loading="lazy"' in image for image in cards)


def test_a_card_without_a_photo_shows_a_sized_placeholder(client):
    VehicleFactory()

    html = client.get("/vehicles/").content.decode()

    placeholder = re.search(
        r'<div class="card-img-top photo-placeholder" role="img" aria-label="Photo coming soon">'
        r"(.*?)</div>",
        html,
        re.S,
    )
    assert placeholder
    assert re.search(r'<svg [^>]*width="96" height="48"', placeholder.group(1))
    assert "Photo coming soon" in placeholder.group(1)


def test_the_compare_table_scrolls_inside_a_card(client):
    cars = [VehicleFactory() for _ in range(2)]
    for car in cars:
        client.post("/vehicles/compare/", {"vehicle": car.pk, "next": "/vehicles/"})

    html = client.get("/vehicles/compare/").content.decode()

    assert re.search(
        r'<div class="card compare-card mb-3">\s*<div class="table-responsive compare-scroll"', html
    )
    assert html.count('class="compare-col"') == 2
