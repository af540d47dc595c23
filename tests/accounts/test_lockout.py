"""Login lockout (django-axes): a username/IP pair is locked after repeated wrong passwords."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from dealership.accounts.client_ip import client_ip, login_username

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)


def attempt(client, username, password="wrong password", **extra):
    return client.post(
        "/staff/accounts/login/", {"username": username, "password": password}, **extra
    )


def test_five_wrong_passwords_lock_the_account_from_that_address(client, consultant):
    with time_machine.travel(NOW, tick=False):
        statuses = [attempt(client, consultant.username).status_code for _ in range(5)]
        locked = attempt(client, consultant.username, password="correct horse battery")

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The attempt made while locked counts too (and restarts the cool-off).
    assert AccessAttempt.objects.get().failures_since_start == 6


def test_the_lock_does_not_reach_the_same_user_elsewhere(client, consultant):
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            attempt(client, consultant.username)
        elsewhere = attempt(
            Client(REMOTE_ADDR="198.51.100.7"),
            consultant.username,
            password="correct horse battery",
        )

    assert elsewhere.status_code == 302
    assert elsewhere["Location"] == "/staff/"


def test_the_lock_lifts_after_the_cool_off(client, consultant):
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            attempt(client, consultant.username)
    with time_machine.travel(NOW + datetime.timedelta(minutes=16), tick=False):
        response = attempt(client, consultant.username, password="correct horse battery")

    assert response.status_code == 302


def test_behind_a_proxy_each_client_is_counted_apart(client, consultant, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            attempt(client, consultant.username, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
        attacker = attempt(
            client,
            consultant.username,
            password="correct horse battery",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            **proxy,
        )
        colleague = attempt(
            Client(),
            consultant.username,
            password="correct horse battery",
            HTTP_X_FORWARDED_FOR="192.0.2.44",
            **proxy,
        )

    assert attacker.status_code == 429
    assert colleague.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_client_ip_trusts_exactly_the_configured_proxies(rf, settings):
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.1"
    )

    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "203.0.113.9"  # the forged 6.6.6.6 is never believed
    settings.TRUSTED_PROXY_COUNT = 5
    assert client_ip(request) == "10.0.0.2"
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-ip"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.2"


def test_hostile_usernames_are_counted_not_crashed_on(client, rf):
    assert login_username(rf.post("/", {"username": "ad\x00min"})) == "admin"
    assert login_username(rf.post("/", {"username": "x" * 500})) == "x" * 150

    response = attempt(client, "ad\x00min")

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
