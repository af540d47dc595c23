"""Two-factor authentication through the real login: password, then the authenticator code."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealership.accounts.models import AuditEvent
from dealership.accounts.roles import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)


def password_login(client, user, next_url="/staff/"):
    return client.post(
        "/staff/accounts/login/",
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


@pytest.fixture
def manager_user(location):
    return UserFactory(role=Role.SALES_MANAGER, locations=[location])


def test_manager_without_device_is_sent_to_enrol_and_sees_no_staff_page(client, manager_user):
    response = password_login(client, manager_user)

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/two-factor/setup/?next=%2Fstaff%2F"
    # The password alone opens nothing: every page sends them back to the setup.
    for url in ("/staff/", "/admin/", "/admin/accounts/user/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/staff/accounts/two-factor/setup/"), url


def test_administrator_must_enrol_too(client):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_superuser=True)

    response = password_login(client, admin)

    assert response["Location"].startswith("/staff/accounts/two-factor/setup/")


def test_consultant_without_device_goes_straight_in(client, consultant):
    response = password_login(client, consultant)

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_enrolment_with_the_apps_code_turns_on_two_factor_and_shows_recovery_codes(
    client, manager_user
):
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager_user)
        page = client.get("/staff/accounts/two-factor/setup/?next=/staff/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'alt="QR code for your authenticator app"' in html
        assert re.search(r'<label[^>]*for="id_code"[^>]*>\s*Code from the app', html)
        key = client.session["accounts.two_factor_enrol_key"]
        code = f"{totp(bytes.fromhex(key)):06d}"

        response = client.post(
            "/staff/accounts/two-factor/setup/", {"code": code, "next": "/staff/"}
        )
        staff_home = client.get("/staff/")

    assert response.status_code == 200
    codes = re.findall(r'<li class="col">([a-z2-7]{8})</li>', response.content.decode())
    assert len(codes) == 10
    device = TOTPDevice.objects.get(user=manager_user)
    assert device.confirmed
    assert device.key == key
    assert sorted(
        StaticToken.objects.filter(device__user=manager_user).values_list("token", flat=True)
    ) == sorted(codes)
    assert staff_home.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.changes) == (
        manager_user,
        "security",
        {"two_factor": "enrolled"},
    )


def test_enrolment_with_a_wrong_code_stores_nothing(client, manager_user):
    password_login(client, manager_user)
    client.get("/staff/accounts/two-factor/setup/")

    response = client.post("/staff/accounts/two-factor/setup/", {"code": "000000"})
    bad_format = client.post("/staff/accounts/two-factor/setup/", {"code": "12ab"})

    assert response.status_code == 400
    assert "That code is not valid. Check the time on your phone." in response.content.decode()
    assert "Enter the 6 digits the app shows." in bad_format.content.decode()
    assert not TOTPDevice.objects.exists()
    assert not StaticToken.objects.exists()
    assert not AuditEvent.objects.exists()
    assert client.get("/staff/")["Location"].startswith("/staff/accounts/two-factor/setup/")


def test_enrolled_user_enters_the_code_after_the_password(client, manager_user):
    device = enrolled(manager_user)

    response = password_login(client, manager_user, next_url="/admin/")
    assert response["Location"] == "/staff/accounts/two-factor/verify/?next=%2Fadmin%2F"
    assert client.get("/staff/")["Location"].startswith("/staff/accounts/two-factor/verify/")

    response = client.post(
        "/staff/accounts/two-factor/verify/", {"code": code_for(device), "next": "/admin/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/staff/").status_code == 200


def test_an_enrolled_consultant_is_held_to_their_second_factor(client, consultant):
    enrolled(consultant)

    response = password_login(client, consultant)

    assert response["Location"] == "/staff/accounts/two-factor/verify/?next=%2Fstaff%2F"


def test_wrong_code_is_refused_with_a_message(client, manager_user):
    enrolled(manager_user)
    password_login(client, manager_user)

    response = client.post("/staff/accounts/two-factor/verify/", {"code": "123456"})

    assert response.status_code == 400
    assert (
        "That code is not valid. Check the time on your phone or use a recovery code."
        in response.content.decode()
    )
    assert client.get("/staff/").status_code == 302


def test_a_recovery_code_works_once(client, manager_user):
    enrolled(manager_user)
    from dealership.accounts.services import recovery_codes_regenerate

    codes = recovery_codes_regenerate(user=manager_user)
    password_login(client, manager_user)

    response = client.post("/staff/accounts/two-factor/verify/", {"code": codes[0].upper()})

    assert response.status_code == 302
    assert StaticToken.objects.filter(device__user=manager_user).count() == 9
    page = client.get("/staff/")
    assert "You used a recovery code; 9 remain." in page.content.decode()

    second = Client()
    password_login(second, manager_user)
    reused = second.post("/staff/accounts/two-factor/verify/", {"code": codes[0]})
    assert reused.status_code == 400


def test_guessing_codes_is_throttled(client, manager_user):
    device = enrolled(manager_user)
    password_login(client, manager_user)

    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            client.post("/staff/accounts/two-factor/verify/", {"code": "000000"})
        # Even the right code is refused while the device is throttled.
        response = client.post("/staff/accounts/two-factor/verify/", {"code": code_for(device)})
        staff_home = client.get("/staff/")

    assert response.status_code == 400
    assert "Too many wrong codes. Wait a minute before you try again." in (
        response.content.decode()
    )
    assert staff_home.status_code == 302


def test_an_unverified_session_cannot_enrol_a_new_device_to_skip_the_code(client, manager_user):
    original = enrolled(manager_user)
    password_login(client, manager_user)

    response = client.post("/staff/accounts/two-factor/setup/", {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/two-factor/verify/"
    assert list(TOTPDevice.objects.filter(user=manager_user)) == [original]


def test_admin_login_page_is_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/login/?next=/admin/"


def test_demo_skip_lets_managers_in_only_with_debug(client, manager_user, settings):
    settings.TWO_FACTOR_DEMO_SKIP = True

    response = password_login(client, manager_user)

    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_demo_skip_is_off_without_debug():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TWO_FACTOR_DEMO_SKIP)",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "dealership.settings",
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "showroom.example",
            "TWO_FACTOR_DEMO_SKIP": "true",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.stdout.strip() == "False", result.stderr


def test_regenerating_recovery_codes_replaces_the_old_ones(client, manager_user):
    client.force_login(manager_user)
    from dealership.accounts.services import recovery_codes_regenerate

    old = recovery_codes_regenerate(user=manager_user)

    response = client.post("/staff/accounts/two-factor/recovery-codes/")

    new = re.findall(r'<li class="col">([a-z2-7]{8})</li>', response.content.decode())
    assert len(new) == 10
    assert set(
        StaticToken.objects.filter(device__user=manager_user).values_list("token", flat=True)
    ) == set(new)
    assert not set(old) & set(new)


def test_admin_resets_a_lost_device_and_the_user_enrols_again(client, manager_user):
    enrolled(manager_user)
    admin = UserFactory(role=Role.ADMINISTRATOR, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [manager_user.pk]},
        follow=True,
    )

    assert "Two-factor authentication reset for 1 user" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=manager_user).exists()
    event = AuditEvent.objects.get(action="security")
    assert (event.actor, event.target_id, event.changes) == (
        admin,
        str(manager_user.pk),
        {"two_factor": "reset"},
    )
    again = Client()
    assert password_login(again, manager_user)["Location"].startswith(
        "/staff/accounts/two-factor/setup/"
    )


def test_the_admin_never_shows_anyones_totp_secret(client):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_superuser=True)
    client.force_login(admin)

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_a_verified_managers_today_page_costs_a_fixed_number_of_queries(
    client, manager_user, django_assert_num_queries
):
    client.force_login(manager_user)

    # The manager's Today page (tests/test_today.py, one query per section) with the
    # second-factor device django-otp loads to confirm the session is verified, and no
    # location of their own (so no first-location query).
    with django_assert_num_queries(19):
        response = client.get("/staff/")
    assert response.status_code == 200


def test_a_background_fragment_gets_no_content_until_the_second_factor(client, manager_user):
    # The navigation's unread badge polls by htmx: swapping the verify page into the header
    # would put a second code form on the page.
    from django.contrib.auth import SESSION_KEY as AUTH_KEY  # noqa: F401

    client.force_login(manager_user)
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session.pop(DEVICE_ID_SESSION_KEY, None)
    session.save()

    fragment = client.get("/staff/conversations/unread/", headers={"HX-Request": "true"})
    page = client.get("/staff/conversations/unread/")

    assert fragment.status_code == 204
    assert fragment.content == b""
    assert page.status_code == 302
    assert "/two-factor/" in page["Location"]
