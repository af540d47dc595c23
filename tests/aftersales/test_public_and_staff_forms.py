import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection

from aftersales.models import Complaint, OwnedVehicle, ServiceAppointment
from aftersales.services import appointment_book
from aftersales.tasks import escalate_complaints, service_reminders
from aftersales.tokens import add_vehicle_token
from tests.accounts.factories import LocationFactory
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, WorkshopCapacityFactory, owned_vehicle, vin

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _website_data(location, **extra):
    return {
        "location": location.pk,
        "first_name": "Jonas",
        "last_name": "Berg",
        "email": "jonas@example.de",
        "vin": vin(4711),
        "make": "Skoda",
        "model": "Octavia",
        "odometer_km": "61000",
        **extra,
    }


@pytest.mark.django_db
def test_website_booking_registers_the_car_and_opens_the_booking_page(client, location):
    ServiceItemFactory()
    response = client.post("/service/book/", _website_data(location))
    assert response.status_code == 302
    ov = OwnedVehicle.objects.get()
    assert (ov.customer.email, ov.vin, ov.odometer_km, ov.origin) == (
        "jonas@example.de",
        vin(4711),
        61000,
        "elsewhere",
    )
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_website_booking_refuses_someone_elses_car_without_saying_whose(client, location):
    owned_vehicle(CustomerFactory(location=location), vin=vin(4711))
    response = client.post("/service/book/", _website_data(location))
    assert response.status_code == 400
    assert "registered to another customer" in response.content.decode()
    assert OwnedVehicle.objects.count() == 1


@pytest.mark.django_db
def test_website_booking_rejects_a_bad_vin_with_its_reason(client, location):
    response = client.post("/service/book/", _website_data(location, vin="WVWZZZ1KZ8WO00001"))
    assert response.status_code == 400
    assert "I, O and Q are never used" in response.content.decode()
    assert OwnedVehicle.objects.count() == 0


@pytest.mark.django_db
def test_customer_adds_a_car_from_the_signed_link(client, location):
    customer = CustomerFactory(location=location)
    token = add_vehicle_token(customer=customer)
    data = {
        "vin": vin(77),
        "make": "Audi",
        "model": "A4",
        "kind": "car",
        "delivered_on": "2021-05-01",
        "odometer_km": "80000",
    }
    assert client.post(f"/service/vehicles/add/{token}x/", data).status_code == 404
    assert client.post(f"/service/vehicles/add/{token}/", data).status_code == 302
    ov = OwnedVehicle.objects.get()
    assert (ov.customer, ov.first_odometer_km, ov.delivered_on) == (
        customer,
        80000,
        datetime.date(2021, 5, 1),
    )


@pytest.mark.django_db
def test_staff_log_a_complaint_for_their_customer_only(client, consultant, location):
    mine = CustomerFactory(location=location)
    theirs = CustomerFactory(location=LocationFactory())
    client.force_login(consultant)
    data = {
        "channel": "phone",
        "category": "billing",
        "severity": "critical",
        "subject": "Invoice wrong",
        "description": "Charged twice.",
    }
    assert (
        client.post(f"/staff/service/complaints/new/?customer={theirs.pk}", data).status_code == 404
    )
    assert (
        client.post(f"/staff/service/complaints/new/?customer={mine.pk}", data).status_code == 302
    )
    complaint = Complaint.objects.get()
    assert (complaint.customer, complaint.channel, complaint.target_at - complaint.created_at) == (
        mine,
        "phone",
        datetime.timedelta(hours=24),
    )


@pytest.mark.django_db
def test_the_nightly_tasks_run_through_celery(location):
    # CELERY_TASK_ALWAYS_EAGER in tests: the task body runs as the beat would run it.
    assert service_reminders.delay().get() == {"first": 0, "second": 0, "queued": 0, "tasks": 0}
    assert escalate_complaints.delay().get() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_customers_cannot_both_take_the_last_place(location):
    WorkshopCapacityFactory(location=location, appointments_per_day=1)
    item = ServiceItemFactory()
    cars = [owned_vehicle(CustomerFactory(location=location)) for _ in range(2)]
    at = datetime.datetime(2025, 12, 17, 9, tzinfo=BERLIN)
    barrier = threading.Barrier(2)
    outcomes = []

    def book(ov, hour):
        try:
            barrier.wait()
            with time_machine.travel(
                datetime.datetime(2025, 12, 15, 10, tzinfo=BERLIN), tick=False
            ):
                appointment_book(
                    owned_vehicle=ov,
                    drop_off_at=at + datetime.timedelta(hours=hour),
                    items=[item],
                    handover="wait",
                    via="website",
                )
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(ov, i)) for i, ov in enumerate(cars)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [
        "The workshop is fully booked on this day. Choose another day.",
        "booked",
    ]
    assert ServiceAppointment.objects.count() == 1
