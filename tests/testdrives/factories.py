import datetime

import factory

from testdrives.models import Booking, TestDriveSettings
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory


class TestDriveSettingsFactory(factory.django.DjangoModelFactory):
    __test__ = False  # a factory, not a pytest class

    class Meta:
        model = TestDriveSettings
        django_get_or_create = ("location",)

    slot_minutes = 45
    buffer_minutes = 15
    min_notice_minutes = 120
    horizon_days = 14


class BookingFactory(factory.django.DjangoModelFactory):
    """A confirmed web test drive; pass start_at (and consultant) for the time you need."""

    class Meta:
        model = Booking

    kind = Booking.Kind.DRIVE
    vehicle = factory.SubFactory(VehicleFactory)
    location = factory.LazyAttribute(lambda o: o.vehicle.location)
    customer = factory.SubFactory(CustomerFactory, location=factory.SelfAttribute("..location"))
    end_at = factory.LazyAttribute(lambda o: o.start_at + datetime.timedelta(minutes=45))
    busy_until = factory.LazyAttribute(lambda o: o.end_at + datetime.timedelta(minutes=15))
    status = Booking.Status.CONFIRMED
    channel = Booking.Channel.WEBSITE
    licence_confirmed = True
