import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from leads.models import Activity, Lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_asks_about_a_car_and_the_consultant_works_the_lead(page, consultant, location):
    cache.clear()
    # A visitor asks about a car from its page.
    page.goto("/enquiries/new/?vehicle=G2207")
    expect(page.get_by_text("About vehicle G2207")).to_be_visible()
    page.get_by_label("What can we do for you?").select_option(label="Ask a question")
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Last name").fill("Hoffmann")
    page.get_by_label("Email", exact=True).fill("lena.hoffmann@example.de")
    page.get_by_label("Phone", exact=True).fill("0151 23456789")
    page.get_by_label("Your message").fill("Is a test drive possible on Saturday?")
    expect(page.get_by_label("Trade-in make")).to_be_hidden()
    expect(page.get_by_role("checkbox", name=re.compile("send me offers"))).not_to_be_checked()
    page.get_by_role("button", name="Send enquiry").click()
    expect(page.get_by_role("heading", name="Thank you, Lena!")).to_be_visible()

    # The consultant it was assigned to finds it in the inbox.
    page.goto("/staff/accounts/login/?next=/staff/leads/")
    page.get_by_label("Username").fill(consultant.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Lead inbox")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Lena Hoffmann")
    expect(row).to_contain_text("Vehicle enquiry")
    expect(row).to_contain_text("left")
    row.get_by_role("link", name="Lena Hoffmann").click()

    # Logs a call…
    page.get_by_label(re.compile(r"^\s*Activity")).select_option(label="Call")
    page.get_by_label("Call outcome").select_option(label="Reached")
    page.get_by_label("Notes", exact=True).fill("Test drive on Saturday at 10:00")
    page.get_by_role("button", name="Log activity").click()
    expect(page.get_by_text("Activity logged.")).to_be_visible()
    expect(page.locator("#lead-status")).to_have_text("Contacted")

    # …and moves it to qualified.
    page.get_by_label("Move to").select_option(label="Qualified")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved to Qualified.")).to_be_visible()
    expect(page.locator("#lead-status")).to_have_text("Qualified")

    lead = Lead.objects.get()
    assert lead.assigned_to == consultant
    assert lead.status == Lead.Status.QUALIFIED
    assert lead.first_response_at is not None
    assert Activity.objects.get().body == "Test drive on Saturday at 10:00"


def test_the_trade_in_fields_appear_for_a_valuation(page, location):
    page.goto("/enquiries/contact/")

    expect(page.get_by_label("Trade-in make")).to_be_hidden()
    page.get_by_label("What can we do for you?").select_option(label="Value my trade-in")

    expect(page.get_by_label("Trade-in make")).to_be_visible()
    expect(page.get_by_label("Trade-in mileage (km)")).to_be_visible()
