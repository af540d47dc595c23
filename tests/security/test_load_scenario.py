"""The load scenario (bench/locustfile.py) must not rot: every task of every user, once,
against a live server, through the real locust command. No timing is asserted here; the
figures come from `make bench BENCH_ARGS=bench_load`."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine

from bench.bench_load import read_failures, read_stats
from dealership.accounts.roles import Role
from leads.models import Activity, Lead
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.testdrives.factories import TestDriveSettingsFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# Monday 2 March 2026, 08:00 in Berlin: the whole day's test-drive slots lie ahead.
MONDAY_8_BERLIN = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)

# What one visitor, one consultant and the health probe request, each running its sequence once.
EXPECTED = {
    "home": 1,
    "search: first page": 1,
    "search: filtered": 1,
    "vehicle page": 3,
    "enquiry: form": 1,
    "enquiry: send": 1,
    "test drive: slots": 1,
    "test drive: book": 1,
    "test drive: manage page": 1,
    "login: form": 1,
    "login": 1,
    "inbox: mine": 1,
    "inbox: filtered": 1,
    "lead: detail": 2,
    "lead: log activity": 1,
    "test-drive calendar": 1,
    "floor: healthz": 1,
}


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY_8_BERLIN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def showroom(frozen):
    """One branch with a bookable car and a consultant on duty with one lead."""
    location = LocationFactory(slug="load-leipzig")
    TestDriveSettingsFactory(location=location)
    consultant = UserFactory(username="load.consultant", role=Role.CONSULTANT, locations=[location])
    vehicle = VehicleFactory(location=location, stock_number="L0001")
    lead = LeadFactory(
        customer=CustomerFactory(location=location, first_name="Paula", last_name="Early"),
        assigned_to=consultant,
    )
    return {"location": location, "consultant": consultant, "vehicle": vehicle, "lead": lead}


def test_every_task_runs_once_without_a_failure(frozen, live_server, showroom, tmp_path):
    # Given a showroom with one car and one consultant, at a time when the branch is open
    prefix = tmp_path / "smoke"
    env = {
        **os.environ,
        "LOAD_SMOKE": "1",
        "LOAD_CONSULTANTS": "load.consultant",
        "LOAD_PASSWORD": "correct horse battery",
    }
    # When one visitor, one consultant and the probe run the scenario's tasks once each
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            "3",
            "-r",
            "3",
            "-t",
            "60s",
            "--host",
            live_server.url,
            "--csv",
            str(prefix),
            "--json-file",
            str(prefix),
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then locust reports every request name once per step, and not one failure
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_failures(prefix) == []
    rows = {r["name"]: r for r in read_stats(prefix) if r["type"] != "OUTCOME"}
    assert {name: row["requests"] for name, row in rows.items()} == EXPECTED
    assert {name: row["failures"] for name, row in rows.items()} == dict.fromkeys(EXPECTED, 0)
    # And the site holds exactly what they did: one booking, two new leads, one note
    booking = Booking.objects.get()
    assert booking.vehicle == showroom["vehicle"]
    assert booking.consultant == showroom["consultant"]
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.customer.email.startswith("load+")
    assert sorted(Lead.objects.values_list("type", flat=True)) == sorted(
        [Lead.Type.VEHICLE_ENQUIRY, Lead.Type.VEHICLE_ENQUIRY, Lead.Type.TEST_DRIVE]
    )
    note = Activity.objects.get(body__endswith="(load test).")
    assert (note.kind, note.user) == (Activity.Kind.NOTE, showroom["consultant"])
