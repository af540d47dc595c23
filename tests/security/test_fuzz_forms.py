"""The forms that exist on every installation, fuzzed (tests/security/fuzz.py)."""

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.roles import Role
from tests.accounts.factories import UserFactory
from tests.security.fuzz import fuzz_form, hostile_email, hostile_text

pytestmark = pytest.mark.django_db

EXAMPLES = 150


def logged_in_sessions() -> int:
    return sum("_auth_user_id" in session.get_decoded() for session in Session.objects.all())


def test_staff_login_survives_hostile_input(consultant, settings):
    settings.AXES_FAILURE_LIMIT = 10_000  # fuzz the form itself, not only the lockout page
    client = Client()

    result = fuzz_form(
        client,
        "/staff/accounts/login/",
        {"username": hostile_text(), "password": hostile_text(), "next": hostile_text()},
        models=[User],
        snapshot=logged_in_sessions,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert result.accepted == 0  # nobody guessed a password
    assert set(result.statuses) == {200}
    assert AccessAttempt.objects.count() >= 1  # the failures were counted


def test_staff_login_under_lockout_still_answers_cleanly(consultant):
    client = Client()

    result = fuzz_form(
        client,
        "/staff/accounts/login/",
        {"username": hostile_text(), "password": hostile_text()},
        models=[User],
        snapshot=logged_in_sessions,
        max_examples=60,
    )

    assert result.examples == 60
    assert set(result.statuses) <= {200, 429}


def test_password_reset_survives_hostile_input(consultant):
    result = fuzz_form(
        Client(),
        "/staff/accounts/password-reset/",
        {"email": hostile_email()},
        models=[User],
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302, 429}


def test_second_factor_step_survives_hostile_input():
    manager = UserFactory(role=Role.SALES_MANAGER)
    TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    client = Client()
    client.post(
        "/staff/accounts/login/",
        {"username": manager.username, "password": "correct horse battery"},
    )

    result = fuzz_form(
        client,
        "/staff/accounts/two-factor/verify/",
        {"code": hostile_text(40), "next": hostile_text()},
        models=[TOTPDevice, StaticToken, AuditEvent],
        snapshot=lambda: client.session.get("otp_device_id"),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert result.accepted == 0
    assert set(result.statuses) == {400}


def test_two_factor_enrolment_survives_hostile_input():
    manager = UserFactory(role=Role.SALES_MANAGER)
    client = Client()
    client.post(
        "/staff/accounts/login/",
        {"username": manager.username, "password": "correct horse battery"},
    )

    result = fuzz_form(
        client,
        "/staff/accounts/two-factor/setup/",
        {"code": hostile_text(40), "next": hostile_text()},
        models=[TOTPDevice, StaticToken, AuditEvent],
        accepted=lambda response: response.status_code == 200,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert result.accepted == 0
    assert set(result.statuses) == {400}
