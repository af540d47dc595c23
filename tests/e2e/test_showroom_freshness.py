"""A visitor's showroom follows other people's orders at once: a car another buyer reserves
leaves the results and the counts on the next page load, and comes back when the order is
cancelled (not when the facet index next expires)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.services import order_cancel, order_reserve
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _payments(settings):
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"


def test_a_car_reserved_by_another_buyer_leaves_the_results_and_the_counts(page):
    location = LocationFactory(name="Showroom Motors Leipzig")
    wanted = VehicleFactory(location=location, make="BMW", model="X1", list_price=Decimal("21990"))
    VehicleFactory(location=location, make="BMW", model="X3", list_price=Decimal("31990"))
    VehicleFactory(location=location, make="Audi", model="A4", list_price=Decimal("25990"))

    page.goto("/vehicles/?make=BMW")
    expect(page.get_by_text("2 cars found")).to_be_visible()
    expect(page.get_by_label("Make").get_by_role("option", name="BMW (2)")).to_have_count(1)
    expect(page.get_by_role("link", name="2022 BMW X1", exact=True)).to_have_count(1)

    # Another buyer reserves the X1 (their own request, committed).
    order = make_order(wanted)
    order_reserve(order=order)

    page.reload()
    expect(page.get_by_text("1 car found")).to_be_visible()
    expect(page.get_by_label("Make").get_by_role("option", name="BMW (1)")).to_have_count(1)
    expect(page.get_by_role("link", name="2022 BMW X1", exact=True)).to_have_count(0)

    # The buyer changes their mind: the X1 is back for the next visitor.
    order_cancel(order=order, by=None, reason="Changed my mind", by_customer=True)

    page.reload()
    expect(page.get_by_text("2 cars found")).to_be_visible()
    expect(page.get_by_label("Make").get_by_role("option", name="BMW (2)")).to_have_count(1)
    expect(page.get_by_role("link", name="2022 BMW X1", exact=True)).to_have_count(1)
