"""A consultant takes a test drive booking on the phone for a customer who is already on
file: finds them by phone number, finds the car by stock number, picks a colleague by name."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from leads.models import Customer
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVERY_DAY = dict.fromkeys(range(7), ("06:00", "22:00"))


def test_a_phone_booking_for_an_existing_customer(page, staff_log_in):
    location = LocationFactory(weekday_hours=EVERY_DAY)
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    jonas = UserFactory(
        role=Role.CONSULTANT, locations=[location], first_name="Jonas", last_name="Becker"
    )
    UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()], first_name="Eva")
    lena = CustomerFactory(
        location=location,
        first_name="Lena",
        last_name="Hoffmann",
        email="lena.hoffmann@example.de",
        mobile_phone="+4915123456789",
    )
    golf = VehicleFactory(location=location, make="Volkswagen", model="Golf", stock_number="G2207")
    VehicleFactory(location=location, make="Skoda", model="Octavia", stock_number="S1001")
    start = (location.localtime() + datetime.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )

    staff_log_in(page, anna, next="/staff/test-drives/")
    page.get_by_role("link", name="Book by phone").click()
    expect(page.get_by_role("heading", name="Book a test drive by phone")).to_be_visible()
    page.get_by_label("Find the customer by name, phone or email").fill("0151 23456789")
    page.get_by_label("Find a vehicle by stock number, make or model").fill("g2207")
    page.get_by_role("button", name="Search").click()

    page.get_by_label("Lena Hoffmann · lena.hoffmann@example.de · +49 1512 3456789").check()
    # Required fields' labels end in crispy's "*".
    vehicle = page.get_by_label(re.compile(r"^\s*Vehicle\s*\*?\s*$"))
    expect(vehicle.locator("option")).to_have_text(["---------", f"{golf.title} · G2207"])
    vehicle.select_option(label=f"{golf.title} · G2207")
    page.get_by_label(re.compile(r"^\s*Starts \(location's local time\)")).fill(
        start.strftime("%Y-%m-%dT%H:%M")
    )
    consultant = page.get_by_label("Consultant", exact=True)
    expect(consultant.locator("option")).to_have_text(
        ["Any free consultant", "Anna Schmidt", "Jonas Becker"]
    )
    consultant.select_option(label="Jonas Becker")
    page.get_by_label("Customer confirmed a valid driving licence").check()
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_text("Test drive booked.")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.customer == lena
    assert booking.vehicle == golf
    assert booking.consultant == jonas
    assert booking.start_at == start
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.channel == Booking.Channel.PHONE
    assert Customer.objects.count() == 1
