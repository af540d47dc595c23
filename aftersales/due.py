"""When a car needs its next service: pure date and mileage maths, no database.

Each item is due at its interval in months or in km after it was last done (or after
delivery), whichever comes first. The date the km interval is reached is estimated from the
latest odometer reading and the car's km per day, so it only changes when a reading, a
service or the plan changes; the nightly job then only compares stored dates with today.
"""

import calendar
import datetime
import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ItemRule:
    id: int
    interval_months: int | None
    interval_km: int | None
    remind_days_ahead: int
    remind_km_ahead: int
    position: int = 0


@dataclass(frozen=True)
class Due:
    item_id: int
    due_on: datetime.date
    due_km: int | None
    by: str  # "time" or "km": which interval comes first (time on a tie)
    remind_on: datetime.date


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def date_at_km(
    *, km: int, odometer_km: int, odometer_on: datetime.date, km_per_day: Decimal
) -> datetime.date | None:
    """The day the odometer is estimated to show `km` (in the past when it already has)."""
    if km_per_day <= 0:
        return None
    days = (Decimal(km) - Decimal(odometer_km)) / km_per_day
    return odometer_on + datetime.timedelta(days=math.ceil(days))


def item_due(
    rule: ItemRule,
    *,
    base_on: datetime.date,
    base_km: int,
    odometer_km: int,
    odometer_on: datetime.date,
    km_per_day: Decimal,
) -> Due | None:
    time_due = add_months(base_on, rule.interval_months) if rule.interval_months else None
    time_remind = time_due - datetime.timedelta(days=rule.remind_days_ahead) if time_due else None
    due_km = base_km + rule.interval_km if rule.interval_km else None
    km_due_on = km_remind = None
    if due_km is not None:
        km_due_on = date_at_km(
            km=due_km, odometer_km=odometer_km, odometer_on=odometer_on, km_per_day=km_per_day
        )
        km_remind = date_at_km(
            km=max(due_km - rule.remind_km_ahead, base_km),
            odometer_km=odometer_km,
            odometer_on=odometer_on,
            km_per_day=km_per_day,
        )
    candidates = [d for d in (time_due, km_due_on) if d is not None]
    if not candidates:
        return None
    due_on = min(candidates)
    by = "time" if time_due is not None and time_due == due_on else "km"
    remind_on = min(d for d in (time_remind, km_remind) if d is not None)
    return Due(item_id=rule.id, due_on=due_on, due_km=due_km, by=by, remind_on=remind_on)


def next_due(
    rules: list[ItemRule],
    *,
    last_done: dict[int, tuple[datetime.date, int | None]],
    delivered_on: datetime.date,
    delivery_km: int,
    odometer_km: int,
    odometer_on: datetime.date,
    km_per_day: Decimal,
) -> Due | None:
    """The item due first (ties: plan position). `last_done` maps item id → (date, km)."""
    best: tuple | None = None
    for rule in rules:
        base_on, base_km = last_done.get(rule.id, (delivered_on, delivery_km))
        due = item_due(
            rule,
            base_on=base_on,
            base_km=base_km if base_km is not None else delivery_km,
            odometer_km=odometer_km,
            odometer_on=odometer_on,
            km_per_day=km_per_day,
        )
        if due is None:
            continue
        key = (due.due_on, rule.position, rule.id)
        if best is None or key < best[0]:
            best = (key, due)
    return best[1] if best else None


def learned_km_per_day(
    *, first_km: int, first_on: datetime.date, km: int, read_on: datetime.date
) -> Decimal | None:
    """km per day between the delivery reading and the latest one; None on the same day."""
    days = (read_on - first_on).days
    if days <= 0:
        return None
    return (Decimal(km - first_km) / Decimal(days)).quantize(Decimal("0.01"))
