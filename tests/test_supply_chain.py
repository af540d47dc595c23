"""scripts/supply_chain.py: how `make test` reads pip-audit's answers. The vulnerability
service is outside the machine, so its three possible answers are simulated here; bandit
runs for real."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import supply_chain  # noqa: E402


def fake_run(returncode: int, stdout: str = "", stderr: str = ""):
    def run(command, **kwargs):
        assert "--vulnerability-service" in command
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    return run


def test_clean_audit_passes(monkeypatch, capsys):
    monkeypatch.setattr(
        supply_chain.subprocess, "run", fake_run(0, "No known vulnerabilities found")
    )

    assert supply_chain.pip_audit() == 0
    assert "No known vulnerabilities found" in capsys.readouterr().out


def test_a_known_vulnerability_fails_the_build(monkeypatch, capsys):
    report = "Found 1 known vulnerability in 1 package\nName Version ID\ndjango 5.2.0 GHSA-xxxx"
    monkeypatch.setattr(supply_chain.subprocess, "run", fake_run(1, report))

    assert supply_chain.pip_audit() == 1
    assert "GHSA-xxxx" in capsys.readouterr().out


@pytest.mark.parametrize(("required", "expected"), [("", 0), ("true", 1)])
def test_an_unreachable_service_is_reported_and_fails_only_when_required(
    monkeypatch, capsys, required, expected
):
    error = "requests.exceptions.ConnectionError: ... NameResolutionError(...api.osv.dev...)"
    monkeypatch.setattr(supply_chain.subprocess, "run", fake_run(1, "", error))
    monkeypatch.setenv("PIP_AUDIT_REQUIRED", required)

    assert supply_chain.pip_audit() == expected
    assert "pip-audit NOT RUN: the vulnerability service (api.osv.dev) cannot be reached" in (
        capsys.readouterr().out
    )


def test_bandit_finds_nothing_of_medium_or_high_severity():
    assert supply_chain.bandit() == 0


def test_password_validators_are_on():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        validate_password("12345678")

    assert error.value.messages == [
        "This password is too short. It must contain at least 10 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ]
