"""`next=` never leads off-site, on the login, the logout and the second-factor step."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealership.accounts.roles import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
OFFSITE = [
    "//evil.example",
    "//evil.example/staff/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    "http:/\\/evil.example",
    "https:///evil.example",
    " //evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "%2f%2fevil.example",
    "%5C%5Cevil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "///evil.example",
    "https://showroom.example@evil.example/",
]


def _stays_here(location: str) -> bool:
    from urllib.parse import unquote, urlsplit

    decoded = unquote(unquote(location)).replace("\\", "/").strip()
    parts = urlsplit(decoded)
    return not parts.scheme and not parts.netloc and not decoded.startswith("//")


@pytest.mark.parametrize("next_url", OFFSITE)
def test_login_ignores_an_offsite_next(client, consultant, next_url):
    response = client.post(
        "/staff/accounts/login/",
        {"username": consultant.username, "password": PASSWORD, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


@pytest.mark.parametrize("next_url", OFFSITE)
def test_login_ignores_an_offsite_next_in_the_query_string(client, consultant, next_url):
    from urllib.parse import quote

    response = client.post(
        f"/staff/accounts/login/?next={quote(next_url)}",
        {"username": consultant.username, "password": PASSWORD},
    )

    assert response["Location"] == "/staff/"


@pytest.mark.parametrize("next_url", OFFSITE)
def test_login_of_a_manager_does_not_carry_an_offsite_next_to_the_second_factor(client, next_url):
    manager = UserFactory(role=Role.SALES_MANAGER)

    response = client.post(
        "/staff/accounts/login/",
        {"username": manager.username, "password": PASSWORD, "next": next_url},
    )

    assert response["Location"] == "/staff/accounts/two-factor/setup/"


@pytest.mark.parametrize("next_url", OFFSITE)
def test_logout_ignores_an_offsite_next(client, consultant, next_url):
    client.force_login(consultant)

    response = client.post("/staff/accounts/logout/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/login/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("next_url", OFFSITE)
def test_second_factor_ignores_an_offsite_next(client, next_url):
    manager = UserFactory(role=Role.SALES_MANAGER)
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    client.post("/staff/accounts/login/", {"username": manager.username, "password": PASSWORD})

    response = client.post(
        "/staff/accounts/two-factor/verify/",
        {"code": f"{totp(device.bin_key):06d}", "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_an_onsite_next_is_followed(client, consultant):
    response = client.post(
        "/staff/accounts/login/",
        {"username": consultant.username, "password": PASSWORD, "next": "/admin/?q=1"},
    )

    assert response["Location"] == "/admin/?q=1"
    assert _stays_here(response["Location"])


def test_the_offsite_list_really_is_offsite():
    # Guard against a typo turning a hostile case into a harmless one.
    assert sum(not _stays_here(url) for url in OFFSITE) >= 14
