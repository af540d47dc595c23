import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache

from inventory.models import Vehicle
from inventory.page_views import views_day, views_key
from tests.accounts.factories import LocationFactory

from .factories import FeatureFactory, VehicleFactory, VehiclePhotoFactory

pytestmark = pytest.mark.django_db


def _with_photos(vehicle, count):
    for position in range(count):
        VehiclePhotoFactory(vehicle=vehicle, position=position, is_primary=position == 0)
    return vehicle


# The result page (the read-only page runs without ATOMIC_REQUESTS' savepoint). The facets cost
# no query once the facet index of this inventory version is built; building it (the first
# search after a change, unless a worker was faster) takes two. The header/footer locations and
# their opening hours come from the cache; reading them (the first page after a location change)
# takes two. A page served from the page cache takes none (tests/inventory/test_page_cache.py).
SEARCH_QUERIES = 1
INDEX_BUILD_QUERIES = 2
LOCATION_QUERIES = 2
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15"


@pytest.mark.parametrize("cars", [3, 30])
def test_search_page_query_count_does_not_grow_with_results_or_photos(
    client, django_assert_num_queries, cars
):
    location = LocationFactory()
    for _ in range(cars):
        _with_photos(VehicleFactory(location=location), 3)

    # The first search builds the facet index …
    with django_assert_num_queries(SEARCH_QUERIES + INDEX_BUILD_QUERIES + LOCATION_QUERIES):
        response = client.get("/vehicles/", {"make": "Volkswagen", "sort": "price"})
    # … any other filter state counts its facets from it without a query.
    with django_assert_num_queries(SEARCH_QUERIES):
        other = client.get("/vehicles/", {"fuel": "petrol", "price_max": "40000"})

    assert response.status_code == 200
    assert len(response.context["page"].vehicles) == min(cars, 24)
    assert other.context["facets"].total == cars
    assert SEARCH_QUERIES + INDEX_BUILD_QUERIES + LOCATION_QUERIES <= 8


def test_deep_page_costs_the_same_queries(client, django_assert_num_queries):
    for _ in range(30):
        VehicleFactory()
    first = client.get("/vehicles/", {"sort": "price"})
    cursor = first.context["page"].next_cursor

    # The facets of the same filters come from the cache, the index is built: no facet query.
    with django_assert_num_queries(SEARCH_QUERIES):
        second = client.get("/vehicles/", {"sort": "price", "after": cursor})

    assert len(second.context["page"].vehicles) == 6


def test_search_page_renders_without_javascript_with_shareable_state(client):
    VehicleFactory(make="Škoda", model="Octavia", list_price=Decimal("31990"))

    response = client.get("/vehicles/", {"make": "Škoda", "fuel": "petrol"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 car found" in html
    assert '<option value="Škoda" selected>Škoda (1)</option>' in html
    assert '<option value="Octavia">Octavia (1)</option>' in html
    assert 'name="fuel" value="petrol" id="id_fuel_1" checked' in html
    assert "€31,990" in html
    assert 'hx-get="/vehicles/"' in html
    assert "<script>" not in html


def test_htmx_request_gets_only_the_results_area(client):
    VehicleFactory()

    response = client.get("/vehicles/", {"sort": "price"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="search-area"')
    assert "<html" not in html


def test_malformed_filters_show_the_error_and_never_fail(client):
    VehicleFactory()

    response = client.get(
        "/vehicles/",
        {"year_min": "abc", "price_max": "1e999", "sort": "x", "after": "zzz", "fuel": "coal"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Some filters were not understood and are ignored:" in html
    assert "Year from: Enter a whole number." in html
    assert "1 car found" in html


def test_vehicle_page_query_count_does_not_grow_with_photos_or_features(
    client, django_assert_num_queries
):
    features = [FeatureFactory(name=f"Extra {i}") for i in range(8)]
    vehicle = _with_photos(VehicleFactory(features=features), 12)
    for _ in range(6):
        _with_photos(VehicleFactory(location=vehicle.location, list_price=Decimal("25000")), 2)

    # The vehicle with its location, photos and feature names (one row), the similar cars, the
    # header/footer locations and their opening hours (also used for this car's location). The
    # last three come from the cache once read (per inventory / location version).
    # Counting the two views (a browser's) costs no query.
    browser = {"HTTP_USER_AGENT": BROWSER}
    with django_assert_num_queries(4):
        response = client.get(vehicle.get_absolute_url(), **browser)
    with django_assert_num_queries(1):
        other = client.get(vehicle.get_absolute_url() + "?utm_source=test", **browser)
    assert cache.get(views_key(stock_number=vehicle.stock_number, day=views_day())) == 2

    assert response.status_code == 200
    assert len(response.context["photos"]) == 12
    assert len(response.context["similar"]) == 4
    assert other.status_code == 200
    assert other.context["similar"] == response.context["similar"]
    html = response.content.decode()
    assert html.count('class="col-sm-6">✓ Extra ') == 8
    assert html.count('<div class="carousel-item') == 12


def test_vehicle_page_shows_price_breakdown_at_the_location_tax_rate(client):
    location = LocationFactory(sales_tax_rate=Decimal("23.000"), documentation_fee=Decimal("199"))
    vehicle = VehicleFactory(location=location, list_price=Decimal("20000"))

    response = client.get(vehicle.get_absolute_url())

    breakdown = response.context["breakdown"]
    assert (
        breakdown.price,
        breakdown.documentation_fee,
        breakdown.tax,
        breakdown.registration,
        breakdown.total,
    ) == (
        Decimal("20000.00"),
        Decimal("199.00"),
        Decimal("4645.77"),
        Decimal("150.00"),
        Decimal("24994.77"),
    )
    html = response.content.decode()
    assert "Tax (23\u00a0%)" in html
    assert '<td class="text-end" id="price-total">€24,994.77</td>' in html


def test_payment_calculator_follows_term_and_apr(client):
    vehicle = VehicleFactory(list_price=Decimal("20000"))
    location = vehicle.location
    total = Decimal("20000") + location.documentation_fee

    response = client.get(
        vehicle.get_absolute_url(), {"term": "48", "apr": "0", "down_payment": "0", "trade_in": "0"}
    )

    plan = response.context["plan"]
    assert plan.term_months == 48
    total = response.context["breakdown"].total
    assert plan.monthly == (total / 48).quantize(Decimal("0.01"))


def test_payment_partial_for_htmx_and_bad_input_falls_back_to_defaults(client):
    vehicle = VehicleFactory(list_price=Decimal("20000"))

    response = client.get(
        f"{vehicle.get_absolute_url()}payment/",
        {"term": "999", "apr": "-3", "down_payment": "abc"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response.context["plan"].term_months == 60
    assert response.context["plan"].apr == Decimal("4.90")
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()


def test_vehicle_page_has_json_ld_open_graph_and_canonical(client):
    vehicle = _with_photos(
        VehicleFactory(
            make="Volvo",
            model="XC60",
            model_year=2023,
            stock_number="L24017",
            list_price=Decimal("52990"),
            vin="YV1UZA8V5P1234567",
        ),
        2,
    )

    response = client.get(vehicle.get_absolute_url())

    html = response.content.decode()
    assert vehicle.get_absolute_url() == "/vehicles/2023-volvo-xc60-l24017/"
    assert (
        '<link rel="canonical" href="http://testserver/vehicles/2023-volvo-xc60-l24017/">' in html
    )
    assert '<meta property="og:title" content="2023 Volvo XC60 Style">' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
    )
    assert data["@type"] == "Car"
    assert data["vehicleIdentificationNumber"] == "YV1UZA8V5P1234567"
    assert data["offers"]["price"] == "52990.00"
    assert data["offers"]["priceCurrency"] == "EUR"
    assert data["mileageFromOdometer"] == {
        "@type": "QuantitativeValue",
        "value": 30000,
        "unitCode": "KMT",
    }
    assert len(data["image"]) == 2


def test_old_slug_redirects_to_the_canonical_url(client):
    vehicle = VehicleFactory(stock_number="L100")

    response = client.get("/vehicles/2010-some-thing-l100/")

    assert response.status_code == 301
    assert response["Location"] == vehicle.get_absolute_url()


@pytest.mark.parametrize("slug", ["2022-volkswagen-golf-nope", "x", "2022-volkswagen-golf-"])
def test_unknown_vehicle_is_a_404(client, slug):
    assert client.get(f"/vehicles/{slug}/").status_code == 404


def test_draft_vehicle_is_not_public(client):
    vehicle = VehicleFactory(status=Vehicle.Status.DRAFT)

    assert client.get(vehicle.get_absolute_url()).status_code == 404


def test_sold_vehicle_page_offers_similar_available_cars(client):
    sold = VehicleFactory(status=Vehicle.Status.SOLD, body_type="suv", list_price=Decimal("30000"))
    similar = VehicleFactory(body_type="suv", list_price=Decimal("28000"))
    VehicleFactory(body_type="sedan", list_price=Decimal("30000"))

    response = client.get(sold.get_absolute_url())

    assert response.status_code == 200
    assert "This car has been sold." in response.content.decode()
    assert [v.pk for v in response.context["similar"]] == [similar.pk]


def test_archived_vehicle_page_is_gone(client):
    archived = VehicleFactory(status=Vehicle.Status.ARCHIVED)

    response = client.get(archived.get_absolute_url())

    assert response.status_code == 410
    assert "This car is no longer for sale." in response.content.decode()


def test_sitemap_lists_available_vehicles_only(client):
    shown = VehicleFactory()
    hidden = VehicleFactory(status=Vehicle.Status.SOLD)

    response = client.get("/sitemap.xml")

    xml = response.content.decode()
    assert response.status_code == 200
    assert f"<loc>http://testserver{shown.get_absolute_url()}</loc>" in xml
    assert hidden.get_absolute_url() not in xml
    assert "<loc>http://testserver/vehicles/</loc>" in xml


def test_home_page_leads_into_the_search_with_featured_offers(client, django_assert_num_queries):
    offer = VehicleFactory(list_price=Decimal("30000"), sale_price=Decimal("27990"))
    VehicleFactory()

    # Savepoint + release, locations + opening hours, the featured offers.
    with django_assert_num_queries(5):
        response = client.get("/")

    html = response.content.decode()
    assert [v.pk for v in response.context["featured"]] == [offer.pk]
    assert 'action="/vehicles/" role="search"' in html
    assert '<a class="nav-link" href="/vehicles/">Cars</a>' in html


def test_cached_cards_and_filters_follow_a_price_change(client, django_capture_on_commit_callbacks):
    from inventory.services import vehicle_update

    vehicle = VehicleFactory(list_price=Decimal("24990"))
    assert "€24,990" in client.get("/vehicles/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_update(vehicle=vehicle, sale_price=Decimal("22490"))
    html = client.get("/vehicles/").content.decode()

    assert '<span class="fs-5 fw-bold">€22,490</span>' in html
    assert '<s class="text-muted small ms-1">€24,990</s>' in html
