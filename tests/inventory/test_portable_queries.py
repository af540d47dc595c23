"""make run's SQLite has no json_agg: the vehicle page's row is read with plain queries there.
Both ways must give the same page data; checked here on PostgreSQL."""

import json

import pytest

from inventory import selectors
from inventory.models import Vehicle, VehiclePhoto

from .factories import FeatureFactory, VehicleFactory, VehiclePhotoFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _row(vehicle: Vehicle) -> tuple:
    return (
        vehicle.pk,
        vehicle.stock_number,
        vehicle.price,
        vehicle.location_id,
        json.loads(vehicle.page_photos or "[]"),
        json.loads(vehicle.page_features or "[]"),
    )


def test_the_portable_vehicle_page_row_is_the_sql_one():
    # Given a car with photos in a gallery order (one not ready) and features
    car = VehicleFactory(
        stock_number="PT1", features=[FeatureFactory(name="Tow bar"), FeatureFactory(name="Aux")]
    )
    VehiclePhotoFactory(vehicle=car, position=2, alt_text="back")
    VehiclePhotoFactory(vehicle=car, position=1, alt_text="side")
    VehiclePhotoFactory(vehicle=car, position=3, is_primary=True, alt_text="front")
    VehiclePhotoFactory(vehicle=car, position=0, status=VehiclePhoto.Status.PENDING)

    # When it is read with PostgreSQL's query and with the plain queries
    [sql] = Vehicle.objects.raw(selectors._VEHICLE_PAGE_SQL, [VehiclePhoto.Status.READY, "PT1"])
    portable = selectors._vehicle_page_portable("PT1")

    # Then both give the same row, photos in gallery order and features by name
    assert _row(portable) == _row(sql)
    assert [p["alt_text"] for p in json.loads(portable.page_photos)] == ["front", "side", "back"]
    assert json.loads(portable.page_features) == ["Aux", "Tow bar"]
    assert selectors._vehicle_page_portable("NOPE") is None
