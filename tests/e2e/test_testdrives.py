"""A customer books a test drive from a vehicle page, reads the confirmation email, opens the
manage link and moves the drive: all in headless Chromium against the live server."""

import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVERY_DAY = dict.fromkeys(range(7), ("06:00", "22:00"))


@pytest.fixture(autouse=True)
def morning():
    """The server's clock (the live server runs in this process) at 07:00 UTC today, ticking:
    today still has many free times whatever time of day the suite runs (in the evening the
    first open day had a single time left, and the reschedule step needs two)."""
    start = timezone.now().replace(hour=7, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=True):
        yield


def test_customer_books_from_the_vehicle_page_and_reschedules_by_the_emailed_link(page):
    location = LocationFactory(weekday_hours=EVERY_DAY)
    UserFactory(role=Role.CONSULTANT, locations=[location])
    vehicle = VehicleFactory(location=location, stock_number="G2207")

    page.goto(vehicle.get_absolute_url())
    page.get_by_role("link", name="Book a test drive").click()
    expect(page.get_by_role("heading", name="Book a test drive")).to_be_visible()
    times = page.get_by_role("group", name="Choose a time")
    times.locator("details[open] label").first.click()
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Last name").fill("Hoffmann")
    page.get_by_role("textbox", name="Email").fill("lena@example.de")
    page.get_by_label("Mobile phone").fill("+49 151 23456789")
    page.get_by_label("I hold a valid driving licence and will bring it.").check()
    page.get_by_role("button", name="Book the test drive").click()

    expect(page.get_by_role("heading", name="Your test drive is booked")).to_be_visible()
    booking = Booking.objects.get()
    first_start = booking.start_at
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["lena@example.de"]
    assert email.attachments[0][0] == "test-drive.ics"
    link = re.search(r"https?://[^/\s]+(/test-drives/manage/[^/\s]+/)", email.body).group(1)

    page.goto(link)
    expect(page.get_by_role("heading", name="Your test drive")).to_be_visible()
    new_times = page.get_by_role("group", name="Choose the new time")
    new_times.locator("details[open] label").nth(1).click()
    page.get_by_role("button", name="Move my test drive").click()

    expect(page.get_by_text("Your test drive has moved.")).to_be_visible()
    booking.refresh_from_db()
    assert Booking.objects.count() == 1
    assert booking.version == 2
    assert booking.start_at != first_start
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("Your test drive has moved:")
