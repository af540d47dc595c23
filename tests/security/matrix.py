"""The route matrix's checks, shared by the test over the project's URLs and the tests of the
matrix itself (tests/security/test_route_matrix_checks.py)."""

import importlib

from django.test import Client

from dealership.accounts.roles import Role
from dealership.route_access import Access, Route
from tests.accounts.factories import LocationFactory, UserFactory

LOGIN = "/staff/accounts/login/"


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


def check_route(route, access: Route, visitors: "Visitors") -> None:
    """Assert that `route` answers every kind of visitor as its classification promises."""
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
            _check_scenario(access, visitors, route)

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
        if route.key != "admin:login":  # served by our own login's redirect
            # Staff without accounts.use_admin (consultants) are refused every admin page.
            response = visitors.consultant.get(url)
            assert response.status_code == 403, (route.key, "consultant", response.status_code)
        response = visitors.superuser.get(url)
        # Served; a 403 is a model admin refusing an action to everyone (no "add" for logs).
        assert response.status_code < 500, (route.key, response.status_code)
        assert not _redirects_to(response, "/admin/login/"), route.key

    elif access.access == Access.CUSTOMER_TOKEN:
        # A made-up token opens nothing.
        response = visitors.anonymous.get(url)
        if response.status_code == 405:
            # A POST-only action behind a token page (cancel, reschedule): a made-up token
            # changes nothing; which token opens what is the page's scenario.
            response = visitors.anonymous.post(url, {})
            assert response.status_code in (400, 403, 404), (route.key, response.status_code)
            return
        assert response.status_code in (400, 403, 404), (route.key, response.status_code)
        assert access.scenario, f"{route.key}: customer-token routes need a scenario"
        _check_scenario(access, visitors, route)

    elif access.access == Access.WEBHOOK:
        # No signature (or API key, or valid signed token in the URL), no entry.
        assert visitors.anonymous.post(url, {}).status_code in (400, 401, 403, 404)


def _check_scenario(access: Route, visitors: Visitors, route):
    """Own object or token: 200. Another location's object, another customer's token: 404."""
    from django.urls import reverse

    module, _, function = access.scenario.partition(":")
    urls = getattr(importlib.import_module(module), function)(visitors.location, LocationFactory())
    name = route.key
    client = visitors.customer if access.access == Access.CUSTOMER_TOKEN else visitors.consultant
    allowed = client.get(reverse(name, kwargs=urls["allowed"]))
    denied = client.get(reverse(name, kwargs=urls["denied"]))
    assert allowed.status_code == 200, (name, allowed.status_code)
    if access.access == Access.CUSTOMER_TOKEN:
        # A token for something else is refused: unknown (404) or unreadable here (400).
        assert denied.status_code in (400, 404), (name, denied.status_code)
    else:
        assert denied.status_code == 404, (name, denied.status_code)
