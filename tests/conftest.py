"""Shared fixtures, and the rule that a missing server skips loudly (and fails under CI=true).

Every test that touches the database needs PostgreSQL (the only engine Showroom runs on):
without a server (scripts/testservices.py could not start one, DATABASE_URL unset) those tests
are skipped with the reason in red at the end of the run, and the run fails under CI=true."""

import os
import shutil

import pytest
from django.test import Client

from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _unavailable(marker: str) -> str | None:
    """Why the server a marker needs is not here, or None when it is."""
    missing = os.environ.get("SHOWROOM_MISSING_SERVICES", "")
    if marker == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return f"PostgreSQL not available ({missing or 'DATABASE_URL is not postgres://'})"
    if marker in ("redis", "integration") and not os.environ.get("REDIS_URL"):
        return f"Redis not available ({missing or 'REDIS_URL unset'})"
    if marker == "browser" and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM}"
    return None


DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def _needs(item, marker: str) -> bool:
    if item.get_closest_marker(marker):
        return True
    # A database test needs PostgreSQL whether or not it says so.
    return marker == "postgres" and (
        item.get_closest_marker("django_db") is not None
        or bool(DB_FIXTURES & set(getattr(item, "fixturenames", ())))
    )


def pytest_collection_modifyitems(config, items):
    skipped: dict[str, int] = {}
    for item in items:
        for marker in ("postgres", "redis", "integration", "browser"):
            if _needs(item, marker) and (reason := _unavailable(marker)):
                item.add_marker(pytest.mark.skip(reason=f"SKIPPED, missing server: {reason}"))
                skipped[reason] = skipped.get(reason, 0) + 1
                break
    if skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        lines = "\n".join(f"  {count} tests: {reason}" for reason, count in skipped.items())
        raise pytest.UsageError(f"CI=true and tests would be skipped for missing servers:\n{lines}")
    config._showroom_skipped = skipped


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = getattr(config, "_showroom_skipped", {})
    if skipped:
        terminalreporter.section("SKIPPED FOR MISSING SERVERS", sep="!", red=True, bold=True)
        for reason, count in skipped.items():
            terminalreporter.write_line(f"{count} tests skipped: {reason}", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    # In CI nothing may be skipped, whatever the reason.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if ci and reporter and reporter.stats.get("skipped") and session.exitstatus == 0:
        reporter.write_line("CI=true: skipped tests fail the run.", red=True, bold=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters and cached fragments must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Logins are everywhere in the suite (the route matrix alone logs in hundreds of users);
    # PBKDF2's deliberate slowness would cost minutes and prove nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch):
    """`client.force_login(user)` and `client.login(...)` stand for a finished login, second
    factor included.

    Managers and administrators must pass two-factor authentication before any staff page;
    tests of other features should not have to walk through it. The login itself, with its
    lockout and second factor, is tested through the real views in tests/accounts/ and
    tests/security/.
    """
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from dealership.accounts.middleware import SESSION_KEY, two_factor_needed

        session = self.session
        needed = two_factor_needed(user)
        session[SESSION_KEY] = needed
        if needed:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    def login(self, **credentials):
        # django-axes needs the request to count failures by client; a test client's login
        # comes from 127.0.0.1 like its requests.
        from django.contrib.auth import authenticate
        from django.test import RequestFactory

        request = RequestFactory().post("/staff/accounts/login/")
        user = authenticate(request=request, **credentials)
        if user is None:
            return False
        self.force_login(user, backend=user.backend)
        return True

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "login", login)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded and generated files (vehicle photos…) go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def consultant(location):
    return UserFactory(role=Role.CONSULTANT, locations=[location])


@pytest.fixture
def manager(location):
    return UserFactory(role=Role.SALES_MANAGER, locations=[location])


@pytest.fixture
def consultant_client(client, consultant):
    client.force_login(consultant)
    return client
