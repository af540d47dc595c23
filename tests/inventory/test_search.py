import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.forms import VehicleFilters, VehicleSearchForm
from inventory.models import Vehicle
from inventory.selectors import vehicle_search_facets, vehicle_search_page
from tests.accounts.factories import LocationFactory

from .factories import FeatureFactory, VehicleFactory, VehiclePhotoFactory

pytestmark = pytest.mark.django_db


def _search(**kwargs):
    return vehicle_search_page(filters=VehicleFilters(**kwargs))


def test_only_available_vehicles_are_found():
    shown = VehicleFactory(status=Vehicle.Status.AVAILABLE)
    for status in ("draft", "reserved", "sold", "archived"):
        VehicleFactory(status=status)

    page = _search()

    assert [v.pk for v in page.vehicles] == [shown.pk]


def test_filters_combine_make_price_year_mileage_and_choices():
    match = VehicleFactory(
        make="BMW",
        model="X3",
        list_price=Decimal("41000"),
        model_year=2021,
        mileage=40_000,
        body_type="suv",
        fuel="diesel",
    )
    VehicleFactory(
        make="BMW",
        model="X3",
        list_price=Decimal("52000"),
        model_year=2021,
        mileage=40_000,
        body_type="suv",
        fuel="diesel",
    )  # too expensive
    VehicleFactory(
        make="BMW",
        model="X3",
        list_price=Decimal("41000"),
        model_year=2017,
        mileage=40_000,
        body_type="suv",
        fuel="diesel",
    )  # too old
    VehicleFactory(
        make="BMW",
        model="X3",
        list_price=Decimal("41000"),
        model_year=2021,
        mileage=90_000,
        body_type="suv",
        fuel="diesel",
    )  # too far driven
    VehicleFactory(
        make="BMW",
        model="X3",
        list_price=Decimal("41000"),
        model_year=2021,
        mileage=40_000,
        body_type="suv",
        fuel="petrol",
    )  # wrong fuel
    VehicleFactory(
        make="Audi",
        model="Q5",
        list_price=Decimal("41000"),
        model_year=2021,
        mileage=40_000,
        body_type="suv",
        fuel="diesel",
    )  # wrong make

    page = _search(
        make="BMW",
        model="X3",
        price_max=Decimal("45000"),
        year_min=2020,
        mileage_max=50_000,
        body_type=("suv",),
        fuel=("diesel", "hybrid"),
    )

    assert [v.pk for v in page.vehicles] == [match.pk]


def test_sale_price_is_the_price_that_is_filtered_and_sorted():
    reduced = VehicleFactory(list_price=Decimal("30000"), sale_price=Decimal("19000"))
    VehicleFactory(list_price=Decimal("25000"))

    page = _search(price_max=Decimal("20000"))

    assert [v.pk for v in page.vehicles] == [reduced.pk]
    assert page.vehicles[0].price == Decimal("19000.00")


def test_free_text_matches_make_model_and_trim_words():
    gti = VehicleFactory(make="Volkswagen", model="Golf", trim="GTI")
    VehicleFactory(make="Volkswagen", model="Golf", trim="Life")
    VehicleFactory(make="Volkswagen", model="Polo", trim="GTI")

    page = _search(q="golf gti")

    assert [v.pk for v in page.vehicles] == [gti.pk]


def test_location_and_all_chosen_features_must_match():
    leipzig, lisbon = LocationFactory(slug="leipzig"), LocationFactory(slug="lisbon")
    tow, heat = FeatureFactory(name="Tow bar"), FeatureFactory(name="Heated seats")
    both = VehicleFactory(location=leipzig, features=[tow, heat])
    VehicleFactory(location=leipzig, features=[tow])
    VehicleFactory(location=lisbon, features=[tow, heat])

    page = _search(location=("leipzig",), features=("heated-seats", "tow-bar"))

    assert [v.pk for v in page.vehicles] == [both.pk]


def test_sorting_by_price_then_id():
    a = VehicleFactory(list_price=Decimal("20000"))
    b = VehicleFactory(list_price=Decimal("10000"))
    c = VehicleFactory(list_price=Decimal("20000"))

    assert [v.pk for v in _search(sort="price").vehicles] == [b.pk, a.pk, c.pk]
    assert [v.pk for v in _search(sort="-price").vehicles] == [c.pk, a.pk, b.pk]


def test_keyset_pages_walk_forward_and_back_without_gaps_or_repeats():
    start = timezone.now() - datetime.timedelta(days=1)
    vehicles = [
        VehicleFactory(
            list_price=Decimal(10000 + 1000 * (i % 4)),
            published_at=start + datetime.timedelta(minutes=i),
        )
        for i in range(11)
    ]
    expected = [v.pk for v in sorted(vehicles, key=lambda v: (v.list_price, v.pk))]

    seen, after, pages = [], "", []
    while True:
        page = _search(sort="price", page_size=4, after=after)
        pages.append(page)
        seen += [v.pk for v in page.vehicles]
        if not page.next_cursor:
            break
        after = page.next_cursor

    assert seen == expected
    assert [len(p.vehicles) for p in pages] == [4, 4, 3]
    assert [p.is_first for p in pages] == [True, False, False]

    back = _search(sort="price", page_size=4, before=pages[2].previous_cursor)
    assert [v.pk for v in back.vehicles] == expected[4:8]
    assert back.next_cursor == pages[1].next_cursor


def test_malformed_cursor_starts_at_the_first_page():
    VehicleFactory.create_batch(3)

    page = _search(sort="price", after="not-a-cursor~x")

    assert len(page.vehicles) == 3
    assert page.is_first


def test_result_cards_carry_the_primary_ready_photo():
    vehicle = VehicleFactory()
    VehiclePhotoFactory(vehicle=vehicle, position=0, is_primary=False, alt_text="Rear")
    primary = VehiclePhotoFactory(vehicle=vehicle, position=1, is_primary=True, alt_text="Front")
    VehiclePhotoFactory(
        vehicle=vehicle, position=2, is_primary=False, status="pending", alt_text="Pending"
    )

    card = _search().vehicles[0]

    assert card.card_alt == "Front"
    assert card.card_thumbnail == primary.thumbnail.name


def test_facets_count_each_value_with_the_other_filters_applied():
    for fuel, body in [
        ("diesel", "suv"),
        ("diesel", "suv"),
        ("petrol", "suv"),
        ("electric", "sedan"),
        ("diesel", "estate"),
    ]:
        VehicleFactory(make="Volvo", model="XC60", fuel=fuel, body_type=body)
    VehicleFactory(make="Kia", model="EV6", fuel="electric", body_type="suv")

    facets = vehicle_search_facets(
        filters=VehicleFilters(make="Volvo", fuel=("diesel",), body_type=("suv",))
    )

    assert facets.total == 2
    # Fuel counts ignore the fuel filter but keep make=Volvo and body=suv.
    assert [(f.value, f.count, f.selected) for f in facets.get("fuel")] == [
        ("petrol", 1, False),
        ("diesel", 2, True),
    ]
    # Body counts ignore the body filter but keep make=Volvo and fuel=diesel.
    assert [(f.value, f.count) for f in facets.get("body_type")] == [("estate", 1), ("suv", 2)]
    # Make counts ignore the make filter.
    assert [(f.label, f.count, f.selected) for f in facets.get("make")] == [("Volvo", 2, True)]
    assert [(f.value, f.count) for f in facets.get("model")] == [("XC60", 2)]


def test_location_and_feature_facets_carry_names():
    location = LocationFactory(slug="helsinki", name="Showroom Motors Helsinki")
    roof = FeatureFactory(name="Panoramic roof")
    VehicleFactory(location=location, features=[roof])

    facets = vehicle_search_facets(filters=VehicleFilters())

    assert [(f.value, f.label, f.count) for f in facets.get("location")] == [
        ("helsinki", "Showroom Motors Helsinki", 1)
    ]
    assert [(f.value, f.label, f.count) for f in facets.get("features")] == [
        ("panoramic-roof", "Panoramic roof", 1)
    ]


def test_facets_are_cached_until_the_inventory_changes(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    from inventory.services import vehicles_set_status

    vehicle = VehicleFactory()
    filters = VehicleFilters()
    assert vehicle_search_facets(filters=filters).total == 1

    with django_assert_num_queries(0):
        assert vehicle_search_facets(filters=filters).total == 1

    with django_capture_on_commit_callbacks(execute=True):
        vehicles_set_status(vehicle_ids=[vehicle.pk], status=Vehicle.Status.SOLD)

    assert vehicle_search_facets(filters=filters).total == 0


def test_malformed_filter_values_are_dropped_with_an_error():
    form = VehicleSearchForm(
        {
            "year_min": "abc",
            "price_max": "-5",
            "fuel": ["diesel", "rocket"],
            "make": "BMW",
            "sort": "cheapest",
            "price_min": "100",
        }
    )

    filters = form.filters()

    assert filters == VehicleFilters(make="BMW", price_min=Decimal("100"))
    assert form.errors == {
        "year_min": ["Enter a whole number."],
        "price_max": ["Ensure this value is greater than or equal to 0."],
        "fuel": ["Select a valid choice. rocket is not one of the available choices."],
        "sort": ["Select a valid choice. cheapest is not one of the available choices."],
    }


def test_inverted_ranges_are_reported_and_ignored():
    form = VehicleSearchForm({"year_min": "2022", "year_max": "2019"})

    assert form.filters() == VehicleFilters(year_min=2022)
    assert form.errors == {"year_max": ["“Year from” must not be after “Year to”."]}
