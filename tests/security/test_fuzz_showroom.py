"""The showroom's public side under hostile input (tests/security/fuzz.py): the search's
query string (every filter, the sort, garbage page cursors), compare and favourites, saved
searches. Never a 5xx; a GET changes nothing; a refused post saves nothing."""

import pytest
from django.test import Client
from hypothesis import strategies as st

from inventory.models import SavedSearch, Vehicle
from inventory.selectors import cursor_for
from tests.inventory.factories import VehicleFactory
from tests.security.fuzz import fuzz_form, fuzz_query, hostile_email, hostile_text, mostly

pytestmark = pytest.mark.django_db

EXAMPLES = 100


def _bad(*values: str):
    return st.one_of(st.sampled_from(values), hostile_text())


NUMBERS = ("-1", "0", "1e9", "NaN", "Infinity", "99999999999999999999999", "1.5", "٣")


@pytest.fixture
def cars(location):
    return [
        VehicleFactory(location=location, make="Volkswagen", model="Golf", price=19_990 + i * 500)
        for i in range(3)
    ]


def _cursors(cars) -> st.SearchStrategy[str]:
    from inventory.forms import Sort

    real = [cursor_for(car, sort) for car in cars for sort, _label in Sort.CHOICES]
    garbage = [
        "~",
        "~~~",
        "abc~1",
        "1~abc",
        "NaN~1",
        "sNaN~1",
        "Infinity~1",
        "1e999~1",
        "99999999999999999999999~99999999999999999999999",
        "-1~-1",
        "2026-13-45T99:99:99+00:00~1",
        "9999-12-31T23:59:59+14:00~1",
        "2026-03-02T08:00:00~1",  # no zone
        "\x00~1",
        "%00~1",
    ]
    return st.one_of(st.sampled_from(real), st.sampled_from(garbage), hostile_text(80))


def test_search_query_string_survives_hostile_input(cars):
    from inventory.forms import Sort

    sorts = [value for value, _label in Sort.CHOICES]

    result = fuzz_query(
        Client(),
        "/vehicles/",
        {
            "q": mostly("golf", "", hostile=hostile_text()),
            "make": mostly("Volkswagen", "volkswagen"),
            "model": mostly("Golf"),
            "year_min": mostly("2015", hostile=_bad(*NUMBERS)),
            "year_max": mostly("2024", hostile=_bad(*NUMBERS)),
            "price_min": mostly("1000", "0", hostile=_bad(*NUMBERS)),
            "price_max": mostly("50000", hostile=_bad(*NUMBERS)),
            "mileage_max": mostly("100000", hostile=_bad(*NUMBERS)),
            "body_type": mostly(*Vehicle.BodyType.values),
            "fuel": mostly(*Vehicle.Fuel.values),
            "transmission": mostly(*Vehicle.Transmission.values),
            "drivetrain": mostly(*Vehicle.Drivetrain.values),
            "condition": mostly(*Vehicle.Condition.values),
            "colour": mostly(*Vehicle.Colour.values),
            "location": mostly(cars[0].location.slug, "nowhere"),
            "features": mostly("tow-bar", "heated-seats"),
            "sort": mostly(*sorts),
            "after": _cursors(cars),
            "before": _cursors(cars),
            "page": _bad(*NUMBERS),
        },
        models=[Vehicle, SavedSearch],
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) == {200}


@pytest.mark.parametrize("sort", ["newest", "price", "-price", "-year", "mileage"])
@pytest.mark.parametrize("cursor", ["NaN~1", "sNaN~1", "-Infinity~1", "abc~1", "1~x", "~"])
def test_a_garbage_cursor_shows_the_first_page(client, cars, sort, cursor):
    response = client.get("/vehicles/", {"sort": sort, "after": cursor, "before": cursor})

    assert response.status_code == 200
    assert len(response.context["page"].vehicles) == 3


@pytest.mark.parametrize("sort", ["newest", "price", "-price", "-year", "mileage"])
@pytest.mark.parametrize("cursor", ["1e999~1", "99999999999999999999999~1", "1~" + "9" * 30])
def test_a_cursor_beyond_every_row_is_a_clean_page(client, cars, sort, cursor):
    response = client.get("/vehicles/", {"sort": sort, "after": cursor})

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["location", "features"])
def test_a_nul_in_a_location_or_feature_filter_is_left_out(client, cars, name):
    response = client.get("/vehicles/", {name: ["a\x00b", cars[0].location.slug]})

    assert response.status_code == 200
    assert "Select a valid choice" in response.context["form"].errors[name][0]


def test_compare_and_favourites_survive_hostile_input(cars):
    ids = [str(car.pk) for car in cars]
    fields = {
        "vehicle": mostly(*ids, hostile=_bad("0", "-1", "99999999999999999999", "١")),
        "next": mostly("/vehicles/", "//evil.example/", "https:evil.example"),
    }

    for url in ("/vehicles/compare/", "/vehicles/favourites/"):
        result = fuzz_form(Client(), url, fields, models=[Vehicle], max_examples=EXAMPLES // 2)
        htmx = fuzz_form(
            Client(),
            url,
            fields,
            models=[Vehicle],
            headers={"HX-Request": "true"},
            accepted=lambda response: response.status_code == 200,
            max_examples=EXAMPLES // 2,
        )

        assert set(result.statuses) == {302}
        assert set(htmx.statuses) <= {200, 404}
        assert htmx.accepted >= 1


def test_saved_search_survives_hostile_input(cars):
    def one_search(response, added):
        assert response["Location"].startswith("/vehicles/")
        assert added[SavedSearch] in (0, 1)  # 0: the same search again

    result = fuzz_form(
        Client(),
        "/vehicles/saved-searches/",
        {
            "email": mostly("lena.hoffmann@example.de", hostile=hostile_email()),
            "query": mostly(
                "make=Volkswagen",
                "make=Volkswagen&after=1~2&sort=price_asc",
                "",
                hostile=st.one_of(
                    hostile_text(1000),
                    st.sampled_from(["ü" * 400, "%00", "a=%00", "&" * 999, "=" * 1000]),
                ),
            ),
            "consent": mostly("on"),
        },
        models=[SavedSearch],
        added=one_search,
        always=("email", "consent"),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {302, 400, 429}
    assert result.accepted >= 1


@pytest.mark.parametrize("target", ["inventory", "a\x00b", "/vehicles/\x00", "//evil.example/"])
def test_compare_goes_back_to_the_list_for_a_next_that_is_no_path_here(client, cars, target):
    response = client.post("/vehicles/compare/", {"vehicle": cars[0].pk, "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/vehicles/compare/"


def test_compare_goes_back_to_a_path_on_this_site(client, cars):
    response = client.post("/vehicles/compare/", {"vehicle": cars[0].pk, "next": "/vehicles/?q=a"})

    assert response.status_code == 302
    assert response["Location"] == "/vehicles/?q=a"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "Choose at least one filter before you save a search."),
        ("&&&=", "Choose at least one filter before you save a search."),
        ("after=1~2&sort=price", "Choose at least one filter before you save a search."),
        ("q=" + "ü" * 400, "This search is too long to save. Remove a few filters."),
    ],
    ids=["empty", "separators-only", "cursor-only", "too-long-once-encoded"],
)
def test_a_search_that_cannot_be_saved_is_a_clean_400(client, query, error):
    response = client.post(
        "/vehicles/saved-searches/",
        {"email": "lena.hoffmann@example.de", "query": query, "consent": "on"},
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [error]
    assert error in response.content.decode()
    assert SavedSearch.objects.count() == 0
