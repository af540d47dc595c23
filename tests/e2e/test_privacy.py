import re

import pytest
from playwright.sync_api import expect

from dealership.privacy.models import Erasure
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_exports_then_erases_a_customer(page, manager, location, staff_log_in):
    customer = CustomerFactory(
        location=location, first_name="Lena", last_name="Hoffmann", email="lena@example.de"
    )
    LeadFactory(customer=customer, message="Is the Golf still there?")

    staff_log_in(page, manager, next=f"/staff/customers/{customer.pk}/")
    page.get_by_role("link", name="Export data").click()
    expect(page.get_by_role("heading", name="Data held about Lena Hoffmann")).to_be_visible()
    expect(page.get_by_text("Is the Golf still there?")).to_be_visible()

    page.get_by_role("link", name="Back to the customer").click()
    page.get_by_role("link", name="Erase personal data").click()
    page.get_by_label("Type the customer's name to confirm").fill("Lena Hofmann")
    page.get_by_label("Reason").fill("Customer's email of 3 May")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.get_by_text("That is not the customer's name.")).to_be_visible()
    assert not Erasure.objects.exists()

    page.get_by_label("Type the customer's name to confirm").fill("Lena Hoffmann")
    page.get_by_role("button", name="Erase personal data").click()

    expect(page).to_have_url(re.compile(rf"/staff/customers/{customer.pk}/$"))
    expect(page.get_by_text("The customer's personal data has been erased.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{customer.pk}")
    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("", "")
