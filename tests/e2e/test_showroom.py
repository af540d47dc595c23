import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.pricing import payment_plan, price_breakdown
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _monthly(vehicle, term):
    location = vehicle.location
    breakdown = price_breakdown(
        price=vehicle.list_price,
        documentation_fee=location.documentation_fee,
        tax_rate=location.sales_tax_rate,
        registration=Decimal("150.00"),
        currency="EUR",
    )
    plan = payment_plan(
        total=breakdown.total,
        down_payment=Decimal(0),
        trade_in=Decimal(0),
        apr=Decimal("4.90"),
        term_months=term,
    )
    return f"€{plan.monthly:,.2f}"


def _settled(page):
    """htmx has swapped and bound the new content (an event before that would be lost)."""
    # A locator, not wait_for_function: the page's CSP (no 'unsafe-eval') refuses a string
    # predicate evaluated in the page.
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)


def test_visitor_filters_opens_a_car_uses_the_calculator_and_compares(page):
    location = LocationFactory(name="Showroom Motors Leipzig")
    cheap = VehicleFactory(location=location, make="BMW", model="X1", list_price=Decimal("21990"))
    VehicleFactory(location=location, make="BMW", model="X3", list_price=Decimal("31990"))
    VehicleFactory(location=location, make="BMW", model="i4", list_price=Decimal("54990"))
    VehicleFactory(location=location, make="Audi", model="A4", list_price=Decimal("25990"))

    page.goto("/")
    page.get_by_role("link", name="Cars", exact=True).click()
    expect(page.get_by_text("4 cars found")).to_be_visible()

    # Filter by make: htmx swaps the results and the URL follows.
    page.get_by_label("Make").select_option("BMW")
    expect(page.get_by_text("3 cars found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"make=BMW"))
    _settled(page)

    # Then by price: the counts follow, the state stays in the address.
    page.get_by_label("Price to").fill("35000")
    page.get_by_label("Price to").press("Tab")
    expect(page.get_by_text("2 cars found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"price_max=35000"))
    _settled(page)

    # Two cars to compare, straight from the results.
    results = page.locator(".vehicle-card")
    expect(results).to_have_count(2)
    results.nth(0).get_by_role("button", name="Compare").click()
    expect(results.nth(0).get_by_role("button", name="Remove from compare")).to_be_visible()
    _settled(page)
    results.nth(1).get_by_role("button", name="Compare").click()
    expect(results.nth(1).get_by_role("button", name="Remove from compare")).to_be_visible()

    # Open the cheaper one and change the term of the payment calculator.
    page.get_by_role("link", name="2022 BMW X1").click()
    expect(page).to_have_url(re.compile(re.escape(cheap.get_absolute_url())))
    expect(page.get_by_role("heading", level=1)).to_have_text("2022 BMW X1")
    monthly = page.locator("#monthly-payment")
    expect(monthly).to_have_text(_monthly(cheap, 60))
    page.get_by_label("Term").select_option("24")
    expect(monthly).to_have_text(_monthly(cheap, 24))
    page.get_by_label("Term").select_option("84")
    expect(monthly).to_have_text(_monthly(cheap, 84))

    # The comparison shows both cars side by side.
    page.goto("/vehicles/compare/")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_count(3)
    expect(table).to_contain_text("2022 BMW X1")
    expect(table).to_contain_text("2022 BMW X3")
    expect(table).to_contain_text("€21,990")
