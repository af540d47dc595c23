"""The facet bitmap index: the same counts as SQL, no query once built, never stale."""

import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Count

from dealership.release import cache_key
from inventory import facet_index as facet_index_module
from inventory.facet_index import FacetIndex, facet_index, facet_index_refresh
from inventory.forms import VehicleFilters
from inventory.models import Vehicle
from inventory.selectors import (
    FACETS,
    _apply,
    facets_cache_version,
    vehicle_list_public,
    vehicle_search_facets,
)
from inventory.tasks import facet_index_refresh as facet_index_refresh_task
from tests.accounts.factories import LocationFactory

from .factories import FeatureFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def _sql_counts(filters: VehicleFilters) -> tuple[int, dict]:
    """What the facets must say, counted by the database with the search's own filters."""
    base = vehicle_list_public()
    counts = {}
    for name, (_attribute, lookup) in FACETS.items():
        for value, n in _apply(base, filters, skip=name).values_list(lookup).annotate(Count("id")):
            counts[(name, str(value))] = n
    if filters.make:
        qs = _apply(base, filters, skip="model").values_list("model").annotate(Count("id"))
        counts.update({("model", value): n for value, n in qs})
    qs = _apply(base, filters, skip="location").values_list("location__slug").annotate(Count("id"))
    counts.update({("location", slug): n for slug, n in qs})
    link = Vehicle.features.through.objects.filter(
        vehicle__in=_apply(base, filters, skip="features").values("pk")
    )
    for slug, n in link.values_list("feature__slug").annotate(Count("vehicle_id")):
        counts[("features", slug)] = n
    return _apply(base, filters).count(), counts


def _index_counts(filters: VehicleFilters) -> tuple[int, dict]:
    facets = vehicle_search_facets(filters=filters)
    counts = {
        (name, value.value): value.count
        for name, values in facets.groups.items()
        for value in values
    }
    return facets.total, counts


@pytest.fixture
def inventory():
    leipzig = LocationFactory(slug="leipzig", name="Leipzig")
    lisbon = LocationFactory(slug="lisbon", name="Lisboa")
    tow_bar = FeatureFactory(name="Tow bar")
    heated = FeatureFactory(name="Heated seats")
    makes = [("Volkswagen", "Golf"), ("Volkswagen", "Tiguan"), ("BMW", "X3"), ("Kia", "EV6")]
    fuels = ["petrol", "diesel", "electric", "hybrid"]
    bodies = ["hatchback", "suv", "estate"]
    for i, ((make, model), fuel, body) in enumerate(
        itertools.islice(
            zip(itertools.cycle(makes), itertools.cycle(fuels), itertools.cycle(bodies)), 36
        )
    ):
        VehicleFactory(
            make=make,
            model=model,
            trim=["Life", "Style", "M Sport"][i % 3],
            fuel=fuel,
            body_type=body,
            transmission=["manual", "automatic"][i % 2],
            drivetrain=["fwd", "awd", "rwd"][i % 3],
            condition=["new", "used", "certified"][i % 3],
            exterior_colour=["black", "white", "blue", "red"][i % 4],
            location=[leipzig, lisbon][i % 2],
            model_year=2016 + i % 9,
            mileage=(i * 7919) % 120_000,
            list_price=Decimal(12_000 + (i * 1733) % 40_000),
            sale_price=Decimal(11_000 + (i * 1733) % 40_000) if i % 5 == 0 else None,
            features=[[tow_bar], [heated], [tow_bar, heated], []][i % 4],
            status="available" if i % 7 else "sold",
        )


CASES = [
    VehicleFilters(),
    VehicleFilters(make="Volkswagen"),
    VehicleFilters(make="Volkswagen", model="Golf", sort="price"),
    VehicleFilters(fuel=("diesel", "electric"), body_type=("suv",)),
    VehicleFilters(price_min=Decimal("15000"), price_max=Decimal("30000")),
    VehicleFilters(price_min=Decimal("12000.01"), price_max=Decimal("24533")),
    VehicleFilters(year_min=2019, mileage_max=60_000, transmission=("automatic",)),
    VehicleFilters(year_max=2018, condition=("used", "certified"), colour=("red", "blue")),
    VehicleFilters(location=("lisbon",), drivetrain=("awd",)),
    VehicleFilters(location=("nowhere",)),
    VehicleFilters(features=("tow-bar",)),
    VehicleFilters(features=("tow-bar", "heated-seats"), make="BMW"),
    VehicleFilters(features=("no-such-feature",)),
    VehicleFilters(q="golf"),
    VehicleFilters(q="vOLKS style"),
    VehicleFilters(q="s00003"),
]


@pytest.mark.parametrize("filters", CASES, ids=[repr(c)[15:70] for c in CASES])
def test_index_counts_what_the_database_counts(inventory, filters):
    assert _index_counts(filters) == _sql_counts(filters)


def test_the_free_text_finds_a_stock_number(inventory):
    vehicle = Vehicle.objects.filter(status="available").order_by("pk")[3]

    total, _counts = _index_counts(VehicleFilters(q=vehicle.stock_number.lower()))

    assert total == 1


def test_once_built_any_filter_state_costs_no_query(inventory, django_assert_num_queries):
    # Given the index built by a first search
    vehicle_search_facets(filters=VehicleFilters())

    # When other filter states are counted
    with django_assert_num_queries(0):
        facets = vehicle_search_facets(filters=VehicleFilters(make="BMW", fuel=("petrol",)))
        vehicle_search_facets(filters=VehicleFilters(price_max=Decimal("20000")))

    # Then the counts are there
    assert facets.total == _sql_counts(VehicleFilters(make="BMW", fuel=("petrol",)))[0]


def test_building_takes_two_queries_and_an_empty_inventory_counts_nothing(
    django_assert_num_queries,
):
    with django_assert_num_queries(2):
        index = FacetIndex.build("empty")

    assert index.size == 0
    assert index.rows(VehicleFilters(make="BMW", price_min=Decimal("1"), q="x")) == [
        ("_total", "", 0)
    ]


def test_a_change_through_the_services_gives_a_new_index(django_capture_on_commit_callbacks):
    from inventory.services import vehicle_update, vehicles_set_status

    golf = VehicleFactory(make="Volkswagen", model="Golf", list_price=Decimal("24990"))
    VehicleFactory(make="BMW", model="X3", list_price=Decimal("39990"))
    cheap = VehicleFilters(price_max=Decimal("25000"))
    assert vehicle_search_facets(filters=cheap).total == 1
    before = facets_cache_version()

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_update(vehicle=golf, list_price=Decimal("26990"))

    assert facets_cache_version() != before
    assert vehicle_search_facets(filters=cheap).total == 0
    with django_capture_on_commit_callbacks(execute=True):
        vehicles_set_status(vehicle_ids=[golf.pk], status=Vehicle.Status.SOLD)
    makes = vehicle_search_facets(filters=VehicleFilters()).get("make")
    assert [(m.value, m.count) for m in makes] == [("BMW", 1)]


def test_an_emptied_cache_never_serves_the_old_index():
    # Given an index built for one inventory …
    VehicleFactory(make="Kia", model="EV6")
    assert vehicle_search_facets(filters=VehicleFilters()).total == 1
    old = facet_index(facets_cache_version())

    # … and a change the cache never heard of (it was emptied: a Redis restart)
    cache.clear()
    VehicleFactory(make="Kia", model="EV6")

    # Then the next search builds a new one
    assert vehicle_search_facets(filters=VehicleFilters()).total == 2
    assert facet_index(facets_cache_version()) is not old


def test_the_refresh_task_builds_and_shares_once_unless_forced(django_assert_num_queries):
    VehicleFactory.create_batch(3)
    facet_index_module._current.clear()

    assert facet_index_refresh_task.delay().get() == 3
    assert facet_index_refresh_task.delay().get() == -1
    assert facet_index_refresh(force=True) == 3

    # Another process (no copy in memory) loads the shared index without a query.
    facet_index_module._current.clear()
    with django_assert_num_queries(0):
        assert vehicle_search_facets(filters=VehicleFilters()).total == 3


def test_the_services_queue_the_refresh_on_commit(django_capture_on_commit_callbacks):
    from inventory.services import vehicle_update

    vehicle = VehicleFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        vehicle_update(vehicle=vehicle, mileage=12_345)
    assert not cache.has_key(cache_key(f"inventory:facet-index:{facets_cache_version()}"))

    for callback in callbacks:
        callback()
    assert cache.has_key(cache_key(f"inventory:facet-index:{facets_cache_version()}"))
    assert facet_index(facets_cache_version()).size == 1


def test_location_names_follow_a_rename_after_the_index_expires(time_machine):
    location = LocationFactory(slug="porto", name="Porto")
    VehicleFactory(location=location)
    time_machine.move_to("2026-05-04 10:00:00+00:00", tick=False)
    assert [f.label for f in vehicle_search_facets(filters=VehicleFilters()).get("location")] == [
        "Porto"
    ]

    location.name = "Porto Boavista"
    location.save(update_fields=["name"])
    time_machine.move_to("2026-05-04 10:05:01+00:00", tick=False)
    facets = vehicle_search_facets(filters=VehicleFilters(make="Volkswagen"))

    assert [f.label for f in facets.get("location")] == ["Porto Boavista"]
