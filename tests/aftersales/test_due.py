"""Due computation at the time and mileage boundaries; odometer readings late or backwards."""

import datetime
from decimal import Decimal

import pytest

from aftersales.due import ItemRule, add_months, item_due, next_due
from aftersales.models import OdometerReading
from aftersales.services import odometer_record

from .factories import ServiceItemFactory, owned_vehicle

RULE = ItemRule(
    id=1, interval_months=12, interval_km=15000, remind_days_ahead=30, remind_km_ahead=1000
)
DELIVERED = datetime.date(2025, 1, 15)


def _due(km_per_day: str, *, odometer_km=0, odometer_on=DELIVERED):
    return item_due(
        RULE,
        base_on=DELIVERED,
        base_km=0,
        odometer_km=odometer_km,
        odometer_on=odometer_on,
        km_per_day=Decimal(km_per_day),
    )


def test_time_wins_when_the_km_interval_comes_later():
    # 15,000 km at 40 km/day takes 375 days: the 12 months (365 days) come first.
    due = _due("40")
    assert (due.due_on, due.by, due.remind_on) == (
        datetime.date(2026, 1, 15),
        "time",
        datetime.date(2025, 12, 16),
    )


def test_km_wins_when_it_comes_a_day_earlier():
    # 15,000 km in 364 days: 41.21 km/day reaches it on day 364.
    due = _due("41.21")
    assert (due.due_on, due.by) == (datetime.date(2026, 1, 14), "km")


def test_on_a_tie_the_date_counts():
    # 15,000 / 365 days = 41.0959 km/day: both fall on the same day.
    due = _due("41.0959")
    assert (due.due_on, due.by) == (datetime.date(2026, 1, 15), "time")


def test_km_reminder_starts_1000_km_ahead():
    # 14,000 km at 100 km/day: day 140 → 4 June 2025; the km due day is 150 → 14 June.
    due = _due("100")
    assert (due.due_on, due.remind_on, due.due_km) == (
        datetime.date(2025, 6, 14),
        datetime.date(2025, 6, 4),
        15000,
    )


def test_month_end_is_clamped():
    assert add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert add_months(datetime.date(2025, 11, 30), 3) == datetime.date(2026, 2, 28)


def test_next_due_picks_the_earliest_item_and_uses_the_last_service():
    oil = ItemRule(
        id=2, interval_months=None, interval_km=10000, remind_days_ahead=30, remind_km_ahead=500
    )
    due = next_due(
        [RULE, oil],
        last_done={2: (datetime.date(2025, 6, 1), 8000)},
        delivered_on=DELIVERED,
        delivery_km=0,
        odometer_km=8000,
        odometer_on=datetime.date(2025, 6, 1),
        km_per_day=Decimal("20"),
    )
    # Oil: 18,000 km at 20/day from 8,000 on 1 June = 500 days → 14 Oct 2026; annual service first.
    assert (due.item_id, due.due_on) == (1, datetime.date(2026, 1, 15))


@pytest.mark.django_db
def test_a_reading_lowers_the_estimate_and_learns_the_rate():
    item = ServiceItemFactory(interval_months=24, interval_km=20000)
    ov = owned_vehicle(delivered_on=DELIVERED)
    assert (ov.next_item_id, ov.next_due_on, ov.next_due_by) == (
        item.pk,
        datetime.date(2026, 5, 30),
        "km",
    )  # 500 days at 40

    odometer_record(
        owned_vehicle=ov,
        km=10000,
        read_on=datetime.date(2025, 4, 25),
        source=OdometerReading.Source.STAFF,
    )

    ov.refresh_from_db()
    # 10,000 km in 100 days = 100 km/day: 20,000 km on 3 Aug 2025.
    assert (ov.km_per_day, ov.odometer_km, ov.next_due_on, ov.next_due_by) == (
        Decimal("100.00"),
        10000,
        datetime.date(2025, 8, 3),
        "km",
    )


@pytest.mark.django_db
def test_backwards_and_late_readings_are_ignored_with_a_warning(caplog):
    ServiceItemFactory()
    ov = owned_vehicle(delivered_on=DELIVERED)
    odometer_record(owned_vehicle=ov, km=5000, read_on=datetime.date(2025, 3, 1), source="staff")
    ov.refresh_from_db()
    before = (ov.odometer_km, ov.odometer_on, ov.km_per_day, ov.next_due_on)

    backwards = odometer_record(
        owned_vehicle=ov, km=4000, read_on=datetime.date(2025, 4, 1), source="check_in"
    )
    late = odometer_record(
        owned_vehicle=ov, km=6000, read_on=datetime.date(2025, 2, 1), source="staff"
    )

    ov.refresh_from_db()
    assert (ov.odometer_km, ov.odometer_on, ov.km_per_day, ov.next_due_on) == before
    assert (backwards.accepted, backwards.warning) == (
        False,
        "Ignored: lower than the latest reading (5000 km on 2025-03-01).",
    )
    assert (late.accepted, late.warning) == (
        False,
        "Ignored: older than the latest reading (5000 km on 2025-03-01).",
    )
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 2
