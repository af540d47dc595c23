import pytest
from playwright.sync_api import expect

from tests.accounts.factories import LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_a_vin_in_admin_fills_the_empty_fields(page, admin_user, staff_log_in):
    LocationFactory()
    # The admin's login is the staff login, with the second factor an administrator needs.
    staff_log_in(page, admin_user, next="/admin/inventory/vehicle/add/", password="password")

    page.get_by_label("Model:").fill("Model 3 Long Range")
    page.get_by_label("VIN:").fill("5YJ3E1EA8JF000000")
    page.get_by_label("VIN:").press("Tab")

    expect(page.get_by_label("Make:")).to_have_value("Tesla")
    expect(page.get_by_label("Model year:")).to_have_value("2018")
    expect(page.get_by_label("Fuel:")).to_have_value("electric")
    # What staff typed themselves is kept.
    expect(page.get_by_label("Model:")).to_have_value("Model 3 Long Range")
    expect(page.get_by_role("status")).to_contain_text("Filled from the VIN: Make")
