import datetime
import re

import pytest
from playwright.sync_api import expect

from aftersales.models import ServiceAppointment
from aftersales.tokens import booking_token
from dealership.messaging.models import OutboxMessage
from tests.accounts.factories import LocationFactory
from tests.aftersales.factories import ServiceItemFactory, WorkshopCapacityFactory, owned_vehicle
from tests.leads.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_opens_the_reminder_link_and_books_a_service_slot(page):
    location = LocationFactory(weekday_hours=dict.fromkeys(range(7), ("08:00", "17:00")))
    WorkshopCapacityFactory(location=location, appointments_per_day=4)
    item = ServiceItemFactory(name="Annual service")
    ServiceItemFactory(plan=item.plan, name="Brake fluid", interval_months=24, interval_km=None)
    ov = owned_vehicle(CustomerFactory(location=location, first_name="Lena"))

    page.goto(f"/service/book/{booking_token(owned_vehicle=ov)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Book a service for your Volkswagen Golf"
    )
    # The item due next is pre-selected.
    expect(page.get_by_label("Annual service")).to_be_checked()
    page.get_by_label("Brake fluid").check()
    slots = page.get_by_label("Day and drop-off time")
    slots.select_option(index=2)
    chosen = slots.input_value()
    page.get_by_label("I wait at the dealership").check()
    page.get_by_label("I would like a courtesy car").check()
    page.get_by_role("button", name="Book appointment").click()

    expect(page).to_have_url(re.compile(r"/service/appointment/[^/]+/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Your appointment is booked. We have sent you a confirmation."
    )
    appt = ServiceAppointment.objects.get()
    assert appt.drop_off_at == datetime.datetime.fromisoformat(chosen)
    assert (appt.handover, appt.courtesy_car, sorted(i.name for i in appt.items.all())) == (
        "wait",
        True,
        ["Annual service", "Brake fluid"],
    )
    assert (
        OutboxMessage.objects.filter(template_key="aftersales.appointment_confirmation").count()
        == 2
    )
