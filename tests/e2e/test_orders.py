"""A customer buys a car online on finance; staff approve it and schedule the delivery."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import DeliverySlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _test_provider(settings):
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"


def log_in(page, user, next_url):
    page.goto(f"/staff/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


def test_a_finance_deal_from_vehicle_page_to_scheduled_delivery(
    browser, live_server, consultant, location
):
    vehicle = VehicleFactory(location=location, list_price="31990.00")
    DeliverySlotFactory(location=location)
    customer = browser.new_context(base_url=live_server.url).new_page()
    staff = browser.new_context(base_url=live_server.url).new_page()

    # The customer builds the deal and watches the breakdown change.
    customer.goto(vehicle.get_absolute_url())
    customer.get_by_role("link", name="Buy online").click()
    customer.get_by_label("Finance").check()
    customer.get_by_label("Down payment").fill("3000")
    customer.get_by_label("Term").select_option("60")
    expect(customer.locator("#breakdown")).to_contain_text("Estimated monthly payment (60 months")
    customer.get_by_label("First name").fill("Clara")
    customer.get_by_label("Last name").fill("Neumann")
    customer.get_by_label("Email").fill("clara@example.de")
    customer.get_by_label("Mobile phone").fill("0151 23456789")
    customer.get_by_label("Street and number").fill("Ring 4")
    customer.get_by_label("Postal code").fill("04109")
    customer.get_by_label("City").fill("Leipzig")
    customer.get_by_role("button", name="Continue").click()
    expect(customer.get_by_role("heading", name=re.compile(r"Your order SO-"))).to_be_visible()

    # Finance application, then the deposit with the test provider.
    customer.get_by_label("Employment").select_option("employed")
    customer.get_by_label("Monthly net income").fill("3800")
    customer.get_by_label("Monthly rent or mortgage").fill("950")
    customer.get_by_label("National ID or passport number").fill("T22000129")
    customer.get_by_label("Date of birth").fill("1985-06-30")
    customer.get_by_label(re.compile("run a credit check")).check()
    customer.get_by_role("button", name="Send the finance application").click()
    expect(customer.get_by_text("your finance application is with us")).to_be_visible()
    customer.get_by_role("button", name="Reserve and pay the deposit").click()
    customer.get_by_role("button", name="Pay the deposit").click()
    expect(customer.locator("#order-status")).to_have_text("Finance decision pending")
    track_url = customer.url

    # Staff record the approval and send the contract.
    order = Order.objects.get()
    log_in(staff, consultant, f"/staff/orders/{order.pk}/")
    staff.get_by_label("Lender's decision").select_option("approved")
    staff.get_by_label("Approved APR (%)").fill("4.90")
    staff.get_by_label("Approved term (months)").fill("60")
    staff.get_by_role("button", name="Record the decision").click()
    expect(staff.locator("#order-status")).to_have_text("Finance approved")
    staff.get_by_role("button", name="Send the contract to sign").click()
    expect(staff.locator("#order-status")).to_have_text("Contract ready to sign")

    # The customer signs.
    customer.goto(track_url)
    customer.get_by_role("link", name="Read and sign the contract").click()
    customer.get_by_label("Type your full name to sign").fill("Clara Neumann")
    customer.get_by_label(re.compile("typing my full name signs it")).check()
    customer.get_by_role("button", name="Sign the contract").click()
    expect(customer.locator("#order-status")).to_have_text("Contract signed")

    # Staff schedule the pickup; the customer sees the window.
    staff.reload()
    staff.get_by_label("Slot").select_option(index=1)
    staff.get_by_role("button", name="Schedule the handover").click()
    expect(staff.locator("#order-status")).to_have_text("Ready for delivery")
    customer.goto(track_url)
    expect(customer.locator("#order-status")).to_have_text("Ready for delivery")
    expect(customer.locator("#delivery-window")).to_contain_text("Scheduled")

    order.refresh_from_db()
    assert order.signatures.get().full_name == "Clara Neumann"
    assert order.payments.get().status == "succeeded"
