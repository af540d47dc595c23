"""The inventory CSV export reads on the read replica (dealership/routers.py) when one is
configured: the vehicles, their branch and the features' prefetch; the login, the session
and the permission checks stay on default."""

import csv
import io

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from .factories import FeatureFactory, VehicleFactory

# The `replica` alias as tests/reports/test_replica.py sets it up: the test database,
# mirrored, added before the test databases are created; unused unless a test enables it.
if "replica" not in connections.settings:
    connections.settings["replica"] = {
        **connections.settings["default"],
        "ATOMIC_REQUESTS": False,
        "TEST": {"MIRROR": "default"},
    }

# Committed rows (transaction=True): the replica is a connection of its own, which would not
# see a test transaction's uncommitted rows, as a real replica sees only committed ones.
pytestmark = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICA_ENABLED = True
    yield connections["replica"]
    connections["replica"].close()


def _selects(queries, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and f'"{table}"' in q["sql"]
    ]


def _export(admin_client, request):
    with (
        CaptureQueriesContext(connections["default"]) as on_default,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        response = request(admin_client)
    return response, on_default, on_replica


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_export_view_reads_the_vehicles_and_features_on_the_replica(admin_client, replica):
    vehicle = VehicleFactory(stock_number="R1")
    vehicle.features.add(FeatureFactory(name="Tow bar"), FeatureFactory(name="Heated seats"))

    response, on_default, on_replica = _export(
        admin_client, lambda c: c.get("/admin/inventory/vehicle/export/")
    )

    assert response.status_code == 200
    rows = _rows(response)
    assert [row[1] for row in rows[1:]] == ["R1"]
    assert rows[1][22] == "Heated seats;Tow bar"
    assert len(_selects(on_replica, "inventory_vehicle")) == 1
    assert len(_selects(on_replica, "inventory_vehicle_features")) == 1
    assert _selects(on_default, "inventory_vehicle") == []
    assert _selects(on_default, "inventory_vehicle_features") == []
    # Only reads on the replica.
    assert not [
        q
        for q in on_replica
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]
    # The request itself (session, user) still ran on default.
    assert _selects(on_default, "django_session")


def test_the_export_action_on_selected_vehicles_reads_on_the_replica(admin_client, replica):
    chosen, _other = VehicleFactory(stock_number="S1"), VehicleFactory(stock_number="S2")

    response, on_default, on_replica = _export(
        admin_client,
        lambda c: c.post(
            "/admin/inventory/vehicle/",
            {"action": "export_csv", "_selected_action": [chosen.pk]},
        ),
    )

    assert response.status_code == 200
    assert [row[1] for row in _rows(response)[1:]] == ["S1"]
    assert len(_selects(on_replica, "inventory_vehicle")) == 1
    assert _selects(on_default, "inventory_vehicle_features") == []


def test_without_a_replica_the_export_reads_default(admin_client, settings):
    settings.DATABASE_REPLICA_ENABLED = False
    VehicleFactory(stock_number="D1")

    response, on_default, on_replica = _export(
        admin_client, lambda c: c.get("/admin/inventory/vehicle/export/")
    )

    assert [row[1] for row in _rows(response)[1:]] == ["D1"]
    assert len(_selects(on_default, "inventory_vehicle")) == 1
    assert [q["sql"] for q in on_replica] == []
