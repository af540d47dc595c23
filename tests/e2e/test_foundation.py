import re

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_with_bootstrap_styles(page):
    LocationFactory(name="Showroom Motors Leipzig")

    page.goto("/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Find your next car")
    locations = page.get_by_role("region", name="Our locations")
    expect(locations.get_by_role("heading", name="Showroom Motors Leipzig")).to_be_visible()
    # Bootstrap's stylesheet is applied: its .card has a 1px border and rounded corners.
    card = page.locator(".card").first
    assert card.evaluate("el => getComputedStyle(el).borderTopLeftRadius") != "0px"
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")


def test_staff_user_logs_in_by_labels_and_sees_staff_navigation(page, consultant):
    page.goto("/staff/")

    expect(page).to_have_url(re.compile(r"/staff/accounts/login/\?next=/staff/$"))
    page.get_by_label("Username").fill(consultant.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/staff/$"))
    nav = page.get_by_role("navigation", name="Staff")
    for label in ("Leads", "Test drives", "Orders", "Service", "Surveys"):
        expect(nav.get_by_text(label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_staff_navigation_collapses_on_a_phone(phone_page, consultant):
    phone_page.context.add_cookies([])
    phone_page.goto("/staff/accounts/login/")
    phone_page.get_by_label("Username").fill(consultant.username)
    phone_page.get_by_label("Password").fill("correct horse battery")
    phone_page.get_by_role("button", name="Log in").click()

    toggle = phone_page.get_by_role("button", name="Toggle navigation")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(
        phone_page.get_by_role("navigation", name="Staff").get_by_text("Leads", exact=True)
    ).to_be_visible()
