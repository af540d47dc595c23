"""A car moves between locations end to end: the Leipzig manager asks for a Dresden car for a
lead, the Dresden manager approves and dispatches it with an ETA, the showroom says "in
transit to Leipzig", and the Leipzig manager confirms the arrival: the car is Leipzig's."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from inventory.models import Vehicle, VehicleTransfer
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _label(text: str):
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def test_a_car_is_requested_approved_dispatched_and_arrives(
    page, browser, live_server, staff_log_in
):
    dresden = LocationFactory(slug="dresden", name="Showroom Dresden", city="Dresden")
    leipzig = LocationFactory(slug="leipzig", name="Showroom Leipzig", city="Leipzig")
    car = VehicleFactory(location=dresden, stock_number="D1001", make="Skoda", model="Octavia")
    asker = UserFactory(
        role=Role.SALES_MANAGER, locations=[leipzig], username="lea", first_name="Lea"
    )
    sender = UserFactory(
        role=Role.SALES_MANAGER, locations=[dresden], username="dirk", first_name="Dirk"
    )
    eta = timezone.localdate() + datetime.timedelta(days=3)

    # Leipzig asks for the car, for a lead.
    staff_log_in(page, asker, next="/staff/inventory/transfers/")
    page.get_by_role("link", name="Request a car from another location").click()
    page.get_by_label(_label("Car")).select_option(label=f"{car} · Showroom Dresden")
    page.get_by_label(_label("Bring it to")).select_option(label="Showroom Leipzig")
    page.get_by_label(_label("Why the car is needed")).fill("Frau Krause wants an Octavia")
    page.get_by_label(_label("For lead no.")).fill("42")
    page.get_by_role("button", name="Request transfer").click()
    expect(
        page.get_by_text("Transfer requested: a manager of Showroom Dresden will decide.")
    ).to_be_visible()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Requested")
    # The destination may not approve its own request.
    expect(page.get_by_role("button", name="Approve transfer")).to_have_count(0)
    transfer = VehicleTransfer.objects.get()
    detail = transfer.get_absolute_url()

    # Dresden approves and dispatches it.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    sender_page = context.new_page()
    sender_page.set_default_timeout(15_000)
    try:
        staff_log_in(sender_page, sender, next=detail)
        sender_page.get_by_role("button", name="Approve transfer").click()
        expect(
            sender_page.get_by_text("Transfer approved: dispatch the car when it leaves.")
        ).to_be_visible()
        sender_page.get_by_label(_label("Estimated arrival")).fill(eta.isoformat())
        sender_page.get_by_role("button", name="Dispatch the car").click()
        expect(sender_page.get_by_text("The car is on its way.")).to_be_visible()
        expect(sender_page.get_by_test_id("transfer-status")).to_have_text("In transit")
    finally:
        context.close()

    # The showroom says where it is going and when.
    page.goto(car.get_absolute_url())
    arrives = f"In transit to Leipzig, arrives {eta.day} {eta.strftime('%b')}"
    expect(page.get_by_text(arrives)).to_be_visible()

    # Leipzig confirms the arrival.
    page.goto(detail)
    page.get_by_role("button", name="Confirm arrival").click()
    expect(page.get_by_text("Arrival confirmed: the car is now at this location.")).to_be_visible()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Arrived")
    history = page.get_by_role("list").filter(has_text="Requested")
    expect(history).to_contain_text("Arrived")

    car.refresh_from_db()
    assert (car.location_id, car.transit_to_id) == (leipzig.pk, None)
    assert car.status == Vehicle.Status.AVAILABLE
    page.goto(car.get_absolute_url())
    expect(page.get_by_text(re.compile("In transit to"))).to_have_count(0)
