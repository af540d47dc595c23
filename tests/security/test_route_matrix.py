"""The route matrix: every URL of the project is classified in dealership/route_access.py and
answers each kind of visitor as its class promises. A new, unclassified route fails here."""

import importlib
import re

import pytest
from django.test import Client

from dealership.accounts.roles import Role
from dealership.route_access import CSRF_EXEMPT, ROUTES, Access, route_for
from tests.accounts.factories import LocationFactory, UserFactory
from tests.security.routes import all_routes

ROUTES_WALKED = all_routes()
REACHABLE = [route for route in ROUTES_WALKED if route.url is not None]
LOGIN = "/staff/accounts/login/"
ADMIN_MODEL_VIEW = re.compile(
    r"^admin:[a-z0-9_]+_[a-z0-9]+_(changelist|add|change|delete|history)$"
)


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


class Visitors:
    """One client per kind of visitor, logged in once for all the checks of a route."""

    def __init__(self):
        self.location = LocationFactory()
        self.anonymous = Client()
        self.customer = Client()  # no account: customers hold signed links only
        self.non_staff = self._client(UserFactory(is_staff=False))
        self.consultant = self._client(UserFactory(role=Role.CONSULTANT, locations=[self.location]))
        self.by_role = {
            role: self._client(UserFactory(role=role, locations=[self.location])) for role in Role
        }
        self.superuser = self._client(
            UserFactory(role=Role.ADMINISTRATOR, is_superuser=True, username="root")
        )
        # A manager who typed the password but has not passed the second factor yet.
        pending = UserFactory(role=Role.SALES_MANAGER, username="pending-manager")
        self.password_only = Client()
        self.password_only.post(
            LOGIN, {"username": pending.username, "password": "correct horse battery"}
        )

    @staticmethod
    def _client(user):
        client = Client()
        client.force_login(user)
        return client


def _redirects_to(response, prefix: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(prefix)


def _ok(response) -> bool:
    """Served: not refused, not sent to a login, no server error (404 for a sample id is fine)."""
    return (
        response.status_code < 500
        and response.status_code not in (401, 403)
        and not (_redirects_to(response, LOGIN) or _redirects_to(response, "/admin/login/"))
    )


@pytest.mark.django_db
@pytest.mark.parametrize("route", REACHABLE, ids=str)
def test_route_answers_each_visitor_as_classified(route):
    access = route_for(route.key)
    if access is None:
        pytest.fail(f"{route.key!r} is not classified in dealership/route_access.py")
    visitors = Visitors()
    url = route.url

    if access.access == Access.PUBLIC:
        # Served to anyone (a redirect, e.g. the admin's login to ours, is fine).
        response = visitors.anonymous.get(url)
        assert response.status_code < 500, (route.key, response.status_code)
        assert response.status_code not in (401, 403), (route.key, response.status_code)

    elif access.access == Access.STAFF:
        assert _redirects_to(visitors.anonymous.get(url), f"{LOGIN}?next=")
        assert visitors.non_staff.get(url).status_code == 403
        assert _redirects_to(visitors.password_only.get(url), "/staff/accounts/two-factor/")
        allowed = access.roles or tuple(Role)
        for role, client in visitors.by_role.items():
            response = client.get(url)
            if role in allowed:
                assert _ok(response), (route.key, role, response.status_code)
            else:
                assert response.status_code == 403, (route.key, role, response.status_code)
        if access.scenario:
            _check_scenario(access.scenario, visitors, route)

    elif access.access == Access.TWO_FACTOR:
        assert _redirects_to(visitors.anonymous.get(url), LOGIN)
        assert _ok(visitors.password_only.get(url))

    elif access.access == Access.ADMIN:
        for outsider in (visitors.anonymous, visitors.non_staff):
            response = outsider.get(url)
            # The login, or (logout, redirect helpers) the index, which sends them to it.
            assert response.status_code in (302, 405), (route.key, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/"), response["Location"]
        assert _redirects_to(visitors.password_only.get(url), "/staff/accounts/two-factor/")
        if ADMIN_MODEL_VIEW.match(route.key):
            # No model permissions: refused (or, for a missing sample id, sent to the index).
            response = visitors.consultant.get(url)
            assert response.status_code in (302, 403), (route.key, response.status_code)
        response = visitors.superuser.get(url)
        # Served; a 403 is a model admin refusing an action to everyone (no "add" for logs).
        assert response.status_code < 500, (route.key, response.status_code)
        assert not _redirects_to(response, "/admin/login/"), route.key

    elif access.access == Access.CUSTOMER_TOKEN:
        # A made-up token opens nothing.
        assert visitors.anonymous.get(url).status_code in (400, 403, 404)
        assert access.scenario, f"{route.key}: customer-token routes need a scenario"
        _check_scenario(access.scenario, visitors, route)

    elif access.access == Access.WEBHOOK:
        # No signature, no entry.
        assert visitors.anonymous.post(url, {}).status_code in (400, 403)


def _check_scenario(dotted: str, visitors: Visitors, route):
    from django.urls import reverse

    module, _, function = dotted.partition(":")
    urls = getattr(importlib.import_module(module), function)(visitors.location, LocationFactory())
    name = route.key
    client = (
        visitors.customer
        if route_for(name).access == Access.CUSTOMER_TOKEN
        else visitors.consultant
    )
    allowed = client.get(reverse(name, kwargs=urls["allowed"]))
    denied = client.get(reverse(name, kwargs=urls["denied"]))
    assert allowed.status_code == 200, (name, allowed.status_code)
    assert denied.status_code == 404, (name, denied.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("route", REACHABLE, ids=str)
def test_post_without_csrf_token_is_refused(route):
    if route.key in CSRF_EXEMPT:
        pytest.skip("signed webhook: CSRF-exempt by design, checked by its signature")
    consultant = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])
    anonymous = Client(enforce_csrf_checks=True)
    logged_in = Client(enforce_csrf_checks=True)
    logged_in.force_login(consultant)

    assert anonymous.post(route.url, {"x": "1"}).status_code == 403
    assert logged_in.post(route.url, {"x": "1"}).status_code == 403
