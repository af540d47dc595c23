"""The route matrix: every URL of the project is classified in dealership/route_access.py and
answers each kind of visitor as its class promises. A new, unclassified route fails here."""

import pytest
from django.test import Client

from dealership.accounts.roles import Role
from dealership.route_access import CSRF_EXEMPT, ROUTES, route_for
from tests.accounts.factories import LocationFactory, UserFactory
from tests.security.matrix import Visitors, check_route
from tests.security.routes import all_routes

ROUTES_WALKED = all_routes()
REACHABLE = [route for route in ROUTES_WALKED if route.url is not None]


def test_every_route_is_classified():
    missing = [route for route in ROUTES_WALKED if route_for(route.key) is None]

    assert not missing, "\n".join(
        f"Route {route.key!r} (pattern {route.pattern!r}) is not classified: add it to ROUTES "
        "in dealership/route_access.py (public, customer token, staff by role, admin or "
        "webhook; see the docstring there)."
        for route in missing
    )


def test_the_registry_names_no_route_that_does_not_exist():
    keys = {route.key for route in ROUTES_WALKED}
    namespaces = {key.split(":", 1)[0] for key in keys if ":" in key}
    stale = [
        key
        for key in ROUTES
        if key not in keys and not (key.endswith(":*") and key[:-2] in namespaces)
    ]

    assert not stale, f"dealership/route_access.py lists routes that no longer exist: {stale}"


def test_the_walk_finds_the_routes_it_should():
    keys = {route.key for route in ROUTES_WALKED}

    assert {"home", "staff-home", "accounts:login", "admin:index", "healthz"} <= keys
    assert len(REACHABLE) >= 40  # the admin alone has dozens


def test_csrf_exempt_views_are_exactly_the_signed_webhooks():
    exempt = {route.key for route in ROUTES_WALKED if getattr(route.callback, "csrf_exempt", False)}

    assert exempt == set(CSRF_EXEMPT)


@pytest.mark.django_db
@pytest.mark.parametrize("route", REACHABLE, ids=str)
def test_route_answers_each_visitor_as_classified(route):
    access = route_for(route.key)
    if access is None:
        pytest.fail(f"{route.key!r} is not classified in dealership/route_access.py")

    check_route(route, access, Visitors())


@pytest.mark.django_db
@pytest.mark.parametrize(
    # Signed webhooks are CSRF-exempt by design (checked by their signature above); listing
    # them here as skips would fail CI, where nothing may be skipped.
    "route",
    [route for route in REACHABLE if route.key not in CSRF_EXEMPT],
    ids=str,
)
def test_post_without_csrf_token_is_refused(route):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])
    anonymous = Client(enforce_csrf_checks=True)
    logged_in = Client(enforce_csrf_checks=True)
    logged_in.force_login(consultant)

    assert anonymous.post(route.url, {"x": "1"}).status_code == 403
    assert logged_in.post(route.url, {"x": "1"}).status_code == 403
