"""Test drives booked by staff on the phone for an existing customer: find the caller by
name, phone or email, the chosen location's vehicles (searchable), its consultants by name;
check-in only on the day."""

import datetime

import pytest

from dealership.accounts.models import AuditEvent
from dealership.accounts.roles import Role
from leads.models import Customer, Lead
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory
from tests.testdrives.conftest import utc
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
URL = "/staff/test-drives/new/"


@pytest.fixture
def lena(location):
    return CustomerFactory(
        location=location,
        first_name="Lena",
        last_name="Hoffmann",
        email="lena.hoffmann@example.de",
        mobile_phone="+4915123456789",
    )


def _choices(page: str, name: str) -> str:
    start = page.index(f'name="{name}"')
    return page[start : page.index("</div>", start)]


@pytest.mark.parametrize(
    "query", ["hoffmann le", "lena hoff", "0151 23456789", "LENA.HOFFMANN@example.de"]
)
def test_the_caller_is_found_by_name_phone_or_email(consultant_client, lena, query):
    CustomerFactory(location=lena.location, first_name="Paul", last_name="Wagner")
    CustomerFactory(location=LocationFactory(), first_name="Lena", last_name="Hoffmann")

    response = consultant_client.get(URL, {"customer_q": query})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Lena Hoffmann · lena.hoffmann@example.de · +49 1512 3456789") == 1
    assert f'value="{lena.pk}"' in page
    assert "Paul Wagner" not in page
    # The other location's Lena Hoffmann is not this user's customer.
    assert page.count("Lena Hoffmann") == 1


def test_nobody_found_says_so_and_offers_a_new_customer(consultant_client, lena):
    page = consultant_client.get(URL, {"customer_q": "Zimmermann"}).content.decode()

    assert "Nobody found for “Zimmermann”: enter the new customer below." in page
    assert "New customer (enter the details below)" in page
    assert "Lena Hoffmann" not in page


def test_booking_for_the_customer_found_uses_their_record(
    consultant_client, frozen, vehicle, consultant, lena
):
    response = consultant_client.post(
        f"{URL}?customer_q=Lena",
        {
            "customer": lena.pk,
            "vehicle": vehicle.pk,
            "start": "2026-03-04T10:10",
            "consultant": consultant.pk,
            "licence_confirmed": "on",
        },
    )

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/test-drives/{booking.pk}/"
    assert booking.customer == lena
    assert booking.lead.customer == lena
    assert booking.channel == Booking.Channel.PHONE
    assert booking.consultant == consultant
    assert Customer.objects.count() == 1
    assert Lead.objects.count() == 1


def test_a_new_customer_whose_phone_is_known_is_matched_and_the_staff_member_audited(
    consultant_client, frozen, vehicle, consultant, location
):
    known = CustomerFactory(location=location, email="", mobile_phone="+4915123456789")

    response = consultant_client.post(
        URL,
        {
            "customer": "",
            "vehicle": vehicle.pk,
            "start": "2026-03-04T10:10",
            "first_name": "Lena",
            "last_name": "Hoffmann",
            "phone": "0151 / 234 567 89",
            "email": "lena.h@example.org",
        },
    )

    assert response.status_code == 302
    assert Customer.objects.count() == 1
    assert Booking.objects.get().customer == known
    known.refresh_from_db()
    assert known.email == "lena.h@example.org"
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_id=str(known.pk))
    assert event.actor == consultant
    assert event.changes == {"email": ["", "lena.h@example.org"], "via": "phone"}


def test_another_locations_customer_cannot_be_booked(consultant_client, frozen, vehicle):
    foreign = CustomerFactory(location=LocationFactory())

    response = consultant_client.post(
        URL, {"customer": foreign.pk, "vehicle": vehicle.pk, "start": "2026-03-04T10:10"}
    )

    assert response.status_code == 400
    assert "Select a valid choice. That choice is not one of the available choices." in (
        response.content.decode()
    )
    assert Booking.objects.count() == 0


def test_a_new_customer_needs_a_name_and_a_way_to_reach_them(consultant_client, frozen, vehicle):
    response = consultant_client.post(
        URL, {"customer": "", "vehicle": vehicle.pk, "start": "2026-03-04T10:10"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Enter the new customer&#x27;s name.") == 2
    assert "Choose the customer found, or give an email address or a phone number." in page
    assert Booking.objects.count() == 0
    assert Customer.objects.count() == 0


def test_vehicles_are_the_chosen_locations_and_searchable(client, location, vehicle):
    other = LocationFactory(name="Dresden")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[location, other])
    client.force_login(manager)
    VehicleFactory(location=location, make="Skoda", model="Octavia", stock_number="S1001")
    VehicleFactory(location=other, make="Volkswagen", model="Golf", stock_number="D2207")

    everything = _choices(client.get(URL, {"location": location.pk}).content.decode(), "vehicle")
    by_stock = _choices(
        client.get(URL, {"location": location.pk, "vehicle_q": "s10"}).content.decode(), "vehicle"
    )
    by_model = _choices(
        client.get(URL, {"location": location.pk, "vehicle_q": "volkswagen golf"}).content.decode(),
        "vehicle",
    )
    dresden = _choices(client.get(URL, {"location": other.pk}).content.decode(), "vehicle")

    assert "· G2207" in everything
    assert "· S1001" in everything
    assert "D2207" not in everything
    assert "S1001" in by_stock
    assert "G2207" not in by_stock
    assert "G2207" in by_model
    assert "S1001" not in by_model
    assert "D2207" in dresden
    assert "G2207" not in dresden


def test_consultants_are_listed_by_full_name_and_only_those_of_the_location(
    client, location, consultant
):
    other = LocationFactory(name="Dresden")
    manager = UserFactory(
        role=Role.SALES_MANAGER,
        locations=[location, other],
        first_name="Maria",
        last_name="Keller",
    )
    UserFactory(role=Role.CONSULTANT, locations=[other], first_name="Jonas", last_name="Becker")
    UserFactory(role=Role.SERVICE_ADVISOR, locations=[location], first_name="Tim", last_name="Roth")
    client.force_login(manager)

    here = _choices(client.get(URL, {"location": location.pk}).content.decode(), "consultant")
    there = _choices(client.get(URL, {"location": other.pk}).content.decode(), "consultant")

    assert f'<option value="{consultant.pk}">Anna Schmidt</option>' in here
    assert "Jonas Becker" not in here
    assert "Maria Keller" not in here
    assert "Tim Roth" not in here
    assert consultant.username not in here
    assert "Jonas Becker" in there
    assert "Anna Schmidt" not in there


@pytest.fixture
def tuesday_drive(frozen, vehicle, consultant):
    return BookingFactory(vehicle=vehicle, consultant=consultant, start_at=utc(2026, 3, 3, 9))


def test_check_in_the_day_before_is_refused_with_the_reason(consultant_client, tuesday_drive):
    response = consultant_client.post(
        f"/staff/test-drives/{tuesday_drive.pk}/status/", {"to_status": "checked_in"}
    )

    assert response.status_code == 400
    assert "A test drive can be checked in only on its day (3 Mar 2026)." in (
        response.content.decode()
    )
    tuesday_drive.refresh_from_db()
    assert tuesday_drive.status == Booking.Status.CONFIRMED
    assert tuesday_drive.history.count() == 0


def test_check_in_the_day_after_is_refused(consultant_client, frozen, tuesday_drive):
    frozen.move_to(utc(2026, 3, 3, 23, 5))  # Wednesday 00:05 in Berlin

    response = consultant_client.post(
        f"/staff/test-drives/{tuesday_drive.pk}/status/", {"to_status": "checked_in"}
    )

    assert response.status_code == 400
    tuesday_drive.refresh_from_db()
    assert tuesday_drive.status == Booking.Status.CONFIRMED


def test_check_in_on_the_day_in_the_locations_zone_is_allowed(
    consultant_client, frozen, tuesday_drive, consultant
):
    frozen.move_to(utc(2026, 3, 2, 23, 30))  # Tuesday 00:30 in Berlin, Monday in UTC

    response = consultant_client.post(
        f"/staff/test-drives/{tuesday_drive.pk}/status/", {"to_status": "checked_in"}
    )

    assert response.status_code == 302
    tuesday_drive.refresh_from_db()
    assert tuesday_drive.status == Booking.Status.CHECKED_IN
    assert list(tuesday_drive.history.values_list("from_status", "to_status", "changed_by")) == [
        ("confirmed", "checked_in", consultant.pk)
    ]
    assert (
        datetime.date(2026, 3, 3) == tuesday_drive.location.localtime(tuesday_drive.start_at).date()
    )
