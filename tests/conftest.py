"""Shared fixtures, and the rule that a missing server skips loudly (and fails under CI=true)."""

import os
import shutil

import pytest
from django.db import connection

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


def pytest_collection_modifyitems(config, items):
    skipped: dict[str, int] = {}
    for item in items:
        for marker in ("postgres", "redis", "integration", "browser"):
            if item.get_closest_marker(marker) and (reason := _unavailable(marker)):
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


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
