"""A sold or archived car: its upcoming drives are flagged to staff once and the customers
offered similar cars, by a periodic job that pulls (safe to run twice)."""

import pytest

from dealership.messaging.models import OutboxMessage
from leads.models import Task
from testdrives.models import Booking
from testdrives.services import bookings_flag_unavailable_vehicles
from testdrives.tasks import flag_unavailable_vehicles
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import LeadFactory
from tests.testdrives.conftest import utc
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_drives_of_a_sold_car_are_flagged_once_with_a_task_and_similar_cars(
    frozen, vehicle, consultant
):
    similar = VehicleFactory(location=vehicle.location, stock_number="G3001")
    upcoming = BookingFactory(vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 3, 9))
    upcoming.lead = LeadFactory(customer=upcoming.customer, location=vehicle.location)
    upcoming.save()
    past = BookingFactory(
        vehicle=vehicle, consultant=consultant, start_at=utc(2026, 2, 27, 9), status="completed"
    )
    cancelled = BookingFactory(
        vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 4, 9), status="cancelled"
    )
    untouched = BookingFactory(vehicle=similar, consultant=consultant, start_at=utc(2026, 3, 5, 9))
    vehicle.status = "sold"
    vehicle.save()

    assert flag_unavailable_vehicles.delay().get() == 1
    assert bookings_flag_unavailable_vehicles() == 0  # the second run finds nothing

    upcoming.refresh_from_db()
    assert upcoming.vehicle_unavailable_at == utc(2026, 3, 2, 7, 0)
    assert upcoming.status == Booking.Status.CONFIRMED
    for other in (past, cancelled, untouched):
        other.refresh_from_db()
        assert other.vehicle_unavailable_at is None
    task = Task.objects.get(dedupe_key=f"testdrive:{upcoming.pk}:vehicle-gone")
    assert task.owner == consultant
    assert task.lead == upcoming.lead
    assert task.due_at == utc(2026, 3, 3, 7)
    assert Task.objects.count() == 1
    email = OutboxMessage.objects.get(dedupe_key=f"testdrive:{upcoming.pk}:vehicle-gone:email")
    assert f"http://127.0.0.1:8000{similar.get_absolute_url()}" in email.body
    assert "is no longer available" in email.subject
    assert OutboxMessage.objects.filter(dedupe_key__contains="vehicle-gone").count() == 2


def test_an_archived_car_counts_too_and_a_reserved_one_does_not(frozen, vehicle, consultant):
    reserved = VehicleFactory(location=vehicle.location, status="reserved")
    BookingFactory(vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 3, 9))
    BookingFactory(vehicle=reserved, start_at=utc(2026, 3, 3, 9))
    vehicle.status = "archived"
    vehicle.save()

    assert bookings_flag_unavailable_vehicles() == 1
    assert Booking.objects.filter(vehicle_unavailable_at__isnull=False).get().vehicle == vehicle
