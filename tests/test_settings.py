"""Production settings: refuse to start without secrets, pass `check --deploy`."""

import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "dealership.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env={"DEBUG": "false", "ALLOWED_HOSTS": "showroom.example"})

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage("check", env={"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50)})

    assert result.returncode != 0
    assert "Set the ALLOWED_HOSTS environment variable" in result.stderr


def test_check_deploy_is_clean_with_production_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "showroom.example",
            # check --deploy reads the settings only: no server needs to listen here.
            "DATABASE_URL": "postgres://showroom@127.0.0.1:1/showroom",
        },
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_a_sqlite_database_url_is_refused_with_a_clear_message():
    result = run_manage("check", env={"DEBUG": "true", "DATABASE_URL": "sqlite:////tmp/x.db"})

    assert result.returncode != 0
    assert "Showroom needs PostgreSQL ≥ 14: set DATABASE_URL=postgres://…" in result.stderr
    assert "(got the sqlite3 engine)" in result.stderr
