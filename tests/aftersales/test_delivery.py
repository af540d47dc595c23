import datetime
import zoneinfo

import pytest

from aftersales.models import OdometerReading, OwnedVehicle, RecallVehicle
from aftersales.services import owned_vehicle_register_from_delivery, recall_campaign_import
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, vin

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def stock_vehicle(location):
    return VehicleFactory(vin=vin(31), location=location)


def test_register_from_delivery_is_idempotent_and_takes_the_local_day(
    location, stock_vehicle, manager
):
    ServiceItemFactory()
    recall_campaign_import(
        code="R9", title="t", description="d", remedy="r", vins=[vin(31)], by=manager
    )
    customer = CustomerFactory(location=location)
    # 23:30 UTC on 31 March is already 1 April in Berlin.
    at = datetime.datetime(2025, 3, 31, 23, 30, tzinfo=datetime.UTC)
    first = owned_vehicle_register_from_delivery(
        customer=customer, vehicle=stock_vehicle, delivered_at=at, odometer_km=12, location=location
    )
    again = owned_vehicle_register_from_delivery(
        customer=customer, vehicle=stock_vehicle, delivered_at=at, odometer_km=12, location=location
    )
    assert first.pk == again.pk
    assert OwnedVehicle.objects.count() == 1
    assert OdometerReading.objects.count() == 1
    assert (
        first.delivered_on,
        first.origin,
        first.inventory_vehicle,
        first.year,
        first.next_due_on,
    ) == (
        datetime.date(2025, 4, 1),
        "ours",
        stock_vehicle,
        2022,
        datetime.date(2026, 4, 1),
    )
    # A recall imported before the car was registered is flagged on registration.
    assert RecallVehicle.objects.get().owned_vehicle_id == first.pk


def test_a_resold_car_moves_to_the_new_owner(location, stock_vehicle):
    at = datetime.datetime(2025, 3, 1, 10, tzinfo=BERLIN)
    old = owned_vehicle_register_from_delivery(
        customer=CustomerFactory(location=location),
        vehicle=stock_vehicle,
        delivered_at=at,
        odometer_km=0,
        location=location,
    )
    new = owned_vehicle_register_from_delivery(
        customer=CustomerFactory(location=location),
        vehicle=stock_vehicle,
        delivered_at=at + datetime.timedelta(days=400),
        odometer_km=16000,
        location=location,
    )
    old.refresh_from_db()
    assert (old.status, new.status, new.first_odometer_km) == ("sold", "active", 16000)
