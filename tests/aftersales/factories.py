import datetime

import factory

from aftersales.models import MaintenancePlan, OwnedVehicle, ServiceItem, WorkshopCapacity
from tests.accounts.factories import LocationFactory
from tests.leads.factories import CustomerFactory


# Valid VINs: European (no check digit required) with a running serial.
def vin(n: int) -> str:
    return f"WVWZZZ1KZ8W{n:06d}"


class MaintenancePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenancePlan
        django_get_or_create = ("make", "model", "fuel")

    name = "Standard"
    make = ""
    model = ""
    fuel = ""


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    plan = factory.SubFactory(MaintenancePlanFactory)
    name = "Annual service"
    interval_months = 12
    interval_km = 15000
    remind_days_ahead = 30
    remind_km_ahead = 1000


class WorkshopCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopCapacity
        django_get_or_create = ("location",)

    location = factory.SubFactory(LocationFactory)
    appointments_per_day = 2
    courtesy_cars = 1
    slot_minutes = 60


def owned_vehicle(customer=None, *, delivered_on=datetime.date(2025, 1, 15), km=0, **kwargs):
    """Through the service, so the stored next due is what production computes."""
    from aftersales.services import owned_vehicle_create

    customer = customer or CustomerFactory()
    owned_vehicle.n += 1
    return owned_vehicle_create(
        customer=customer,
        location=kwargs.pop("location", customer.location),
        vin=kwargs.pop("vin", vin(owned_vehicle.n)),
        make=kwargs.pop("make", "Volkswagen"),
        model=kwargs.pop("model", "Golf"),
        delivered_on=delivered_on,
        odometer_km=km,
        **kwargs,
    )


owned_vehicle.n = 0
__all__ = ["OwnedVehicle", "owned_vehicle"]
