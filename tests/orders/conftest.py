import pytest

from tests.inventory.factories import VehicleFactory


@pytest.fixture(autouse=True)
def _orders_settings(settings):
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    settings.ORDERS_DEPOSIT = __import__("decimal").Decimal("500.00")


@pytest.fixture
def vehicle(location):
    return VehicleFactory(location=location)
