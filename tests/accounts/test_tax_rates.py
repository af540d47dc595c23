"""A new tax rate applies from its day, in the location's own time zone; the job is safe to
run twice; an order keeps the rate it was priced with."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from dealership.accounts.models import TaxRateChange
from dealership.accounts.services import tax_rates_apply
from orders.services import order_breakdown
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db

# 1 September 2024 begins at 21:00 UTC on 31 August in Helsinki (EEST, UTC+3).
BEFORE = datetime.datetime(2024, 8, 31, 20, 30, tzinfo=datetime.UTC)
HELSINKI_MIDNIGHT = datetime.datetime(2024, 8, 31, 21, 1, tzinfo=datetime.UTC)


@pytest.fixture
def helsinki():
    location = LocationFactory(
        time_zone="Europe/Helsinki", sales_tax_rate=Decimal("24.000"), tax_regime="inclusive"
    )
    TaxRateChange.objects.create(
        location=location, rate=Decimal("25.500"), valid_from=datetime.date(2024, 9, 1)
    )
    return location


def test_the_rate_moves_on_its_day_in_the_locations_zone(helsinki):
    assert tax_rates_apply(now=BEFORE) == 0
    helsinki.refresh_from_db()
    assert helsinki.sales_tax_rate == Decimal("24.000")

    assert tax_rates_apply(now=HELSINKI_MIDNIGHT) == 1
    helsinki.refresh_from_db()
    assert helsinki.sales_tax_rate == Decimal("25.500")
    assert TaxRateChange.objects.get().applied_at == HELSINKI_MIDNIGHT


def test_running_the_job_twice_moves_nothing_the_second_time(helsinki):
    assert tax_rates_apply(now=HELSINKI_MIDNIGHT) == 1
    assert tax_rates_apply(now=HELSINKI_MIDNIGHT + datetime.timedelta(hours=1)) == 0


def test_the_latest_change_that_applies_wins(helsinki):
    TaxRateChange.objects.create(
        location=helsinki, rate=Decimal("14.000"), valid_from=datetime.date(2024, 1, 1)
    )
    TaxRateChange.objects.create(
        location=helsinki, rate=Decimal("26.000"), valid_from=datetime.date(2030, 1, 1)
    )

    tax_rates_apply(now=HELSINKI_MIDNIGHT)

    helsinki.refresh_from_db()
    assert helsinki.sales_tax_rate == Decimal("25.500")


def test_an_order_keeps_the_rate_it_was_priced_with(helsinki):
    with time_machine.travel(BEFORE, tick=False):
        order = make_order(VehicleFactory(location=helsinki, list_price=Decimal("31000.00")))

    tax_rates_apply(now=HELSINKI_MIDNIGHT)
    order.refresh_from_db()
    helsinki.refresh_from_db()
    later = make_order(VehicleFactory(location=helsinki, list_price=Decimal("31000.00")))

    assert order.tax_rate == Decimal("24.000")
    assert order_breakdown(order).tax_rate == Decimal("24.000")
    assert order.versions.get().deal.tax_rate == Decimal("24.000")
    assert order_breakdown(later).tax_rate == Decimal("25.500")


def test_the_job_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-tax-rates-apply"]
    assert entry["task"] == "accounts.tax_rates_apply"
