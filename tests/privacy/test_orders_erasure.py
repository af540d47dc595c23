"""Erasing a buyer: the order, its payments and the finance decision stay (the law keeps
them), without the delivery address and the applicant's personal figures; a buyer is never
a lead the retention job erases."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from dealership.privacy.models import Erasure
from dealership.privacy.services import customer_erase, privacy_retention_run
from leads.models import Lead
from orders.models import FinanceApplication, Order
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import LeadFactory
from tests.orders.factories import FINANCE, advance, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _orders_settings(settings):
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    settings.ORDERS_DEPOSIT = Decimal("500.00")


def test_erasing_a_buyer_keeps_the_order_and_finance_decision_pseudonymised(
    location, consultant, manager
):
    order = advance(
        make_order(VehicleFactory(location=location), deal=FINANCE),
        "finance_pending",
        staff=consultant,
    )
    application = FinanceApplication.objects.get(order=order)
    assert application.national_id_encrypted != ""

    customer_erase(customer=order.customer, by=manager, reason="Request")

    order.refresh_from_db()
    application.refresh_from_db()
    assert (order.status, order.payment_type) == (Order.Status.FINANCE_PENDING, "finance")
    assert (order.delivery_street, order.delivery_postal_code, order.delivery_city) == ("", "", "")
    assert order.customer.email == ""
    assert (application.employer, application.national_id_encrypted) == ("", "")
    assert application.date_of_birth_encrypted == ""
    assert application.monthly_income_encrypted == ""
    assert application.employment_status == "employed"
    assert Erasure.objects.get().counts["orders.FinanceApplication"] == 1


def test_the_retention_job_never_erases_a_buyer(location):
    with time_machine.travel(datetime.datetime(2023, 1, 10, tzinfo=datetime.UTC), tick=False):
        order = make_order(VehicleFactory(location=location))
        LeadFactory(customer=order.customer, status=Lead.Status.LOST)

    with time_machine.travel(datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC), tick=False):
        assert privacy_retention_run() == 0
        order.delete()  # without the order, the same customer is due
        assert privacy_retention_run() == 1
