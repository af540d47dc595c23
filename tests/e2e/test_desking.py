"""A walk-in is desked on the floor: nobody on file, so the consultant enters them, picks the
car, appraises the trade-in, compares cash with finance side by side, emails the quote and
turns the option the customer takes into the checkout's draft order."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Customer, Lead
from orders.models import Order, Quote
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_desking_a_deal_for_a_walk_in(page, staff_log_in):
    location = LocationFactory()
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann")
    golf = VehicleFactory(
        location=location,
        make="Volkswagen",
        model="Golf",
        stock_number="G2207",
        price=Decimal("24990.00"),
    )

    staff_log_in(page, anna, next="/staff/desking/")
    page.get_by_role("link", name="Desk a deal").click()
    page.get_by_label("Find the customer by name, phone or email").fill("Kim Weber")
    page.get_by_label("Find a vehicle by stock number, make or model").fill("g2207")
    page.get_by_role("button", name="Search").click()
    expect(
        page.get_by_text("Nobody found for “Kim Weber”: enter the new customer below.")
    ).to_be_visible()

    page.get_by_label("First name", exact=True).fill("Kim")
    page.get_by_label("Last name", exact=True).fill("Weber")
    page.get_by_label("Email", exact=True).fill("kim.weber@example.de")
    page.get_by_label(re.compile(r"^\s*Vehicle\s*\*?\s*$")).select_option(
        label=f"{golf.title} · G2207"
    )
    page.get_by_label("Trade-in year").fill("2015")
    page.get_by_label("Trade-in make").fill("Opel")
    page.get_by_label("Trade-in model").fill("Astra")
    page.get_by_label("Appraised value").fill("6000")
    page.get_by_label("Loan payoff").fill("1500")
    page.get_by_role("group", name="Option 1").get_by_label(
        re.compile(r"^\s*Payment")
    ).select_option("cash")
    finance = page.get_by_role("group", name="Option 2")
    finance.get_by_label(re.compile(r"^\s*Payment")).select_option("finance")
    finance.get_by_label("Term (months)").fill("48")
    finance.get_by_label("APR (%)").fill("4.90")
    finance.get_by_label("Down payment").fill("3000")
    page.get_by_role("group", name="Option 3").get_by_label(
        re.compile(r"^\s*Payment")
    ).select_option(label="Not used")
    page.get_by_role("button", name="Compare the options").click()

    expect(page.get_by_text(re.compile(r"^Quote \S+ desked\.$"))).to_be_visible()
    quote = Quote.objects.get()
    expect(page.get_by_role("heading", name=f"Quote {quote.reference}")).to_be_visible()
    options = page.locator("table.quote-options")
    expect(options.get_by_role("columnheader")).to_have_text(["Figure", "Option 1", "Option 2"])
    expect(options.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(["Cash", "Finance"])
    expect(page.locator("table.quote-deal")).to_contain_text("Trade-in credit")

    page.get_by_role("button", name="Email the quote to the customer").click()
    expect(page.get_by_text("The quote is emailed to kim.weber@example.de.")).to_be_visible()
    page.get_by_role("button", name="Accept option 2").click()

    expect(page.get_by_text(re.compile(r"^Option 2 accepted: draft order \S+\.$"))).to_be_visible()
    order = Order.objects.get()
    expect(page).to_have_url(re.compile(rf"/staff/orders/{order.pk}/$"))
    kim = Customer.objects.get(email="kim.weber@example.de")
    assert Customer.objects.count() == 2  # Kim, and Lena who was already on file
    assert (order.customer, order.vehicle, order.payment_type) == (kim, golf, "finance")
    assert order.versions.count() == 1
    assert Lead.objects.get(customer=kim).source == Lead.Source.WALK_IN
    assert OutboxMessage.objects.filter(to="kim.weber@example.de").count() == 1
