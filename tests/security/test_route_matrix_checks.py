"""The route matrix's checks catch a leak: proven on sample views (tests/security/sample_urls.py),
since the project's own object and token routes arrive with the feature apps."""

import pytest

from dealership.route_access import Access, Route
from tests.security.matrix import Visitors, check_route
from tests.security.routes import walk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.sample_urls")]

STAFF = Route(Access.STAFF, scenario="tests.security.sample_urls:staff_scenario")
CUSTOMER = Route(Access.CUSTOMER_TOKEN, scenario="tests.security.sample_urls:customer_scenario")


def walked(key):
    return next(route for route in walk() if route.key == key)


def test_a_staff_view_filtered_by_the_users_locations_passes():
    check_route(walked("location-card"), STAFF, Visitors())


def test_a_staff_view_that_shows_other_locations_records_fails():
    with pytest.raises(AssertionError) as error:
        check_route(walked("leaky-location-card"), STAFF, Visitors())

    assert "('leaky-location-card', 200)" in str(error.value)


def test_a_customer_view_bound_to_its_token_passes():
    check_route(walked("customer-card"), CUSTOMER, Visitors())


def test_a_customer_view_that_accepts_another_customers_token_fails():
    with pytest.raises(AssertionError) as error:
        check_route(walked("leaky-customer-card"), CUSTOMER, Visitors())

    assert "('leaky-customer-card', 200)" in str(error.value)


def test_a_signed_webhook_refuses_unsigned_posts_and_is_found_csrf_exempt():
    route = walked("webhook")

    check_route(route, Route(Access.WEBHOOK), Visitors())
    assert getattr(route.callback, "csrf_exempt", False) is True
