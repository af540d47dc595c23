"""The read replica router: dashboards and exports read from `replica` inside
`replica_reads()`, everything else (other pages, every write) uses `default`."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealership.routers import ReplicaRouter, read_alias, replica_reads
from leads.models import Customer

# A `replica` alias on the test database, as DATABASE_REPLICA_URL gives one, mirrored like
# TEST={"MIRROR": "default"} (added before the test databases are set up). Unused unless a
# test turns DATABASE_REPLICA_ENABLED on.
if "replica" not in connections.settings:
    connections.settings["replica"] = {
        **connections.settings["default"],
        "ATOMIC_REQUESTS": False,
        "TEST": {"MIRROR": "default"},
    }


@pytest.fixture
def replica_alias(settings):
    settings.DATABASE_REPLICA_ENABLED = True
    yield "replica"
    connections["replica"].close()


def test_the_router_sends_only_opted_in_reads_to_the_replica(settings):
    settings.DATABASE_REPLICA_ENABLED = True
    router = ReplicaRouter()
    assert router.db_for_read(Customer) == "default"
    with replica_reads():
        assert router.db_for_read(Customer) == "replica"
        assert router.db_for_write(Customer) == "default"
    assert router.db_for_read(Customer) == "default"
    assert router.allow_migrate("default", "leads") is True
    assert router.allow_migrate("replica", "leads") is False


def test_without_a_replica_everything_reads_default(settings):
    settings.DATABASE_REPLICA_ENABLED = False
    with replica_reads():
        assert read_alias() == "default"
        assert ReplicaRouter().db_for_read(Customer) == "default"


@pytest.mark.django_db(databases=["default", "replica"])
def test_the_dashboard_reads_on_the_replica_and_a_staff_page_on_default(
    replica_alias, client, manager
):
    client.force_login(manager)
    with (
        CaptureQueriesContext(connections["default"]) as on_default,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        response = client.get(reverse("reports:index"))
    assert response.status_code == 200
    replica_selects = [
        q["sql"] for q in on_replica if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert replica_selects
    assert not [
        q
        for q in on_replica
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]
    with (
        CaptureQueriesContext(connections["default"]) as on_default,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        response = client.get(reverse("staff-home"))
    assert response.status_code == 200
    assert len(on_default) > 0
    assert [q["sql"] for q in on_replica] == []
