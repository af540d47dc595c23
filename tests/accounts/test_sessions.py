"""Staff sessions end after SESSION_COOKIE_AGE (8 hours) without a request, not after login."""

import datetime

import pytest
import time_machine

pytestmark = pytest.mark.django_db

LOGIN = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)
PASSWORD = "correct horse battery"


def test_each_request_extends_the_session_and_eight_idle_hours_end_it(client, consultant):
    with time_machine.travel(LOGIN, tick=False):
        client.post(
            "/staff/accounts/login/", {"username": consultant.username, "password": PASSWORD}
        )
    # Active all day: every request pushes the expiry another eight hours out.
    for hours in (7, 14, 21):
        with time_machine.travel(LOGIN + datetime.timedelta(hours=hours), tick=False):
            assert client.get("/staff/").status_code == 200, hours

    with time_machine.travel(LOGIN + datetime.timedelta(hours=29, minutes=1), tick=False):
        response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/login/?next=/staff/"


def test_session_cookie_is_httponly_and_lax(client, consultant):
    response = client.post(
        "/staff/accounts/login/", {"username": consultant.username, "password": PASSWORD}
    )

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 8 * 60 * 60
