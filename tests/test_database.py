import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.django_db
def test_suite_runs_on_postgresql():
    """In CI the whole suite runs on PostgreSQL: this test fails (not skips) there otherwise."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        version = int(cursor.fetchone()[0])

    assert connection.vendor == "postgresql"
    assert version >= 140000


def _pytest_without_a_database(*args: str, ci: bool = False) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SHOWROOM_MISSING_SERVICES", "CI", "PYTEST_ADDOPTS")
    }
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_without_postgresql_every_database_test_is_skipped_loudly():
    # Given no DATABASE_URL (testservices.py could not start a server), when the suite runs a
    # file of database tests that carry no marker and a file without the database
    result = _pytest_without_a_database(
        "tests/accounts/test_sessions.py", "tests/reports/test_aggregates.py"
    )

    # Then the database tests are skipped, said in red at the end; the others run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED FOR MISSING SERVERS" in result.stdout
    assert (
        "2 tests skipped: PostgreSQL not available (DATABASE_URL is not postgres://)"
        in result.stdout
    )
    assert "11 passed, 2 skipped" in result.stdout


def test_without_postgresql_a_ci_run_fails():
    result = _pytest_without_a_database("tests/accounts/test_sessions.py", ci=True)

    assert result.returncode == 4, result.stdout + result.stderr
    assert "CI=true and tests would be skipped for missing servers:" in result.stderr
    assert "2 tests: PostgreSQL not available (DATABASE_URL is not postgres://)" in result.stderr
