"""Service visits booked by staff for an existing customer (on the phone), and check-in
only on the appointment's day."""

import datetime
import zoneinfo

import pytest
import time_machine

from aftersales.models import ServiceAppointment
from aftersales.services import appointment_book
from dealership.accounts.roles import Role
from leads.models import Customer
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, WorkshopCapacityFactory, owned_vehicle

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = datetime.datetime(2025, 12, 15, 10, tzinfo=BERLIN)
URL = "/staff/service/appointments/new/"


@pytest.fixture
def advisor(location):
    return UserFactory(role=Role.SERVICE_ADVISOR, locations=[location])


@pytest.fixture
def advisor_client(client, advisor):
    client.force_login(advisor)
    return client


@pytest.fixture
def car(location):
    WorkshopCapacityFactory(location=location, appointments_per_day=4)
    ServiceItemFactory(name="Annual service")
    customer = CustomerFactory(
        location=location,
        first_name="Lena",
        last_name="Hoffmann",
        email="lena.hoffmann@example.de",
        mobile_phone="+4915123456789",
    )
    return owned_vehicle(customer, make="Skoda", model="Octavia", year=2021)


@pytest.mark.parametrize("query", ["Hoffmann", "0151 23456789", "lena.hoffmann@example.de"])
def test_the_caller_is_found_by_name_phone_or_email(advisor_client, car, query):
    CustomerFactory(location=LocationFactory(), first_name="Lena", last_name="Hoffmann")

    response = advisor_client.get(URL, {"customer_q": query})

    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="?customer={car.customer_id}"' in page
    assert page.count("Lena Hoffmann · lena.hoffmann@example.de · +4915123456789") == 1
    assert page.count('aria-label="Book for Lena Hoffmann"') == 1
    assert page.count("Book for this customer") == 1


def test_nobody_found_says_so(advisor_client, car):
    page = advisor_client.get(URL, {"customer_q": "Zimmermann"}).content.decode()

    assert "Nobody found for “Zimmermann”." in page
    assert "Book for this customer" not in page


def test_the_visit_is_booked_on_the_customers_own_car(advisor_client, car, location):
    item = car.plan.items.get()
    with time_machine.travel(MONDAY, tick=False):
        page = advisor_client.get(URL, {"customer": car.customer_id}).content.decode()
        response = advisor_client.post(
            f"{URL}?customer={car.customer_id}",
            {
                "owned_vehicle": car.pk,
                "location": location.pk,
                "drop_off_at": "2025-12-17T09:00",
                "items": [item.pk],
                "handover": "wait",
                "notes": "Rattle at the front left",
            },
        )

    assert f"2021 Skoda Octavia · {car.vin}" in page
    appt = ServiceAppointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/service/appointments/{appt.pk}/"
    assert (appt.owned_vehicle, appt.customer_id, appt.location) == (car, car.customer_id, location)
    assert appt.drop_off_at == datetime.datetime(2025, 12, 17, 8, 0, tzinfo=datetime.UTC)
    assert appt.day == datetime.date(2025, 12, 17)
    assert appt.booked_via == ServiceAppointment.BookedVia.STAFF
    assert list(appt.items.all()) == [item]
    assert appt.customer_notes == "Rattle at the front left"
    assert Customer.objects.count() == 1


def test_a_time_not_offered_is_refused_with_the_reason(advisor_client, car, location):
    with time_machine.travel(MONDAY, tick=False):
        response = advisor_client.post(
            f"{URL}?customer={car.customer_id}",
            {
                "owned_vehicle": car.pk,
                "location": location.pk,
                "drop_off_at": "2025-12-17T07:00",
                "handover": "drop_off",
            },
        )

    assert response.status_code == 400
    assert "This drop-off time is not offered. Choose another." in response.content.decode()
    assert ServiceAppointment.objects.count() == 0


def test_another_locations_customer_or_car_is_not_reachable(advisor_client, car, location):
    foreign = owned_vehicle(CustomerFactory(location=LocationFactory()))

    page = advisor_client.get(URL, {"customer": foreign.customer_id})
    post = advisor_client.post(
        f"{URL}?customer={foreign.customer_id}",
        {"owned_vehicle": foreign.pk, "location": location.pk, "drop_off_at": "2025-12-17T09:00"},
    )
    wrong_car = advisor_client.post(
        f"{URL}?customer={car.customer_id}",
        {"owned_vehicle": foreign.pk, "location": location.pk, "drop_off_at": "2025-12-17T09:00"},
    )

    assert page.status_code == 404
    assert post.status_code == 404
    assert wrong_car.status_code == 400
    assert ServiceAppointment.objects.count() == 0


def test_a_customer_without_a_car_is_offered_to_add_one(advisor_client, location):
    customer = CustomerFactory(location=location)

    page = advisor_client.get(URL, {"customer": customer.pk}).content.decode()

    assert "No car of this customer is registered with your workshops yet." in page
    assert f'href="/staff/service/vehicles/new/?customer={customer.pk}"' in page


def _booked(car):
    with time_machine.travel(MONDAY, tick=False):
        return appointment_book(
            owned_vehicle=car,
            drop_off_at=datetime.datetime(2025, 12, 17, 9, tzinfo=BERLIN),
            items=[],
            handover="drop_off",
            via="staff",
        )


@pytest.mark.parametrize(
    "when",
    [
        datetime.datetime(2025, 12, 16, 17, tzinfo=BERLIN),
        datetime.datetime(2025, 12, 18, 0, 5, tzinfo=BERLIN),
    ],
)
def test_check_in_on_another_day_is_refused_with_the_reason(advisor_client, car, when):
    appt = _booked(car)

    with time_machine.travel(when, tick=False):
        response = advisor_client.post(
            f"/staff/service/appointments/{appt.pk}/check-in/", {"odometer_km": 12000}
        )

    assert response.status_code == 400
    assert (
        "A car can be checked in only on the day of its appointment (17 Dec 2025)."
        in response.content.decode()
    )
    appt.refresh_from_db()
    assert appt.status == ServiceAppointment.Status.BOOKED
    assert appt.checkin_odometer_km is None


def test_check_in_on_the_day_is_allowed(advisor_client, car):
    appt = _booked(car)

    with time_machine.travel(datetime.datetime(2025, 12, 17, 8, 45, tzinfo=BERLIN), tick=False):
        response = advisor_client.post(
            f"/staff/service/appointments/{appt.pk}/check-in/", {"odometer_km": 12000}
        )

    assert response.status_code == 302
    appt.refresh_from_db()
    assert appt.status == ServiceAppointment.Status.CHECKED_IN
    assert appt.checkin_odometer_km == 12000
