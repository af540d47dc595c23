"""Business-hours arithmetic for response clocks.

A location's opening hours are wall-clock times in its own time zone; a day without a row is
closed. Working in local dates and converting each opening interval to UTC keeps the sums right
across weekends and daylight-saving changes (a 09:00–18:00 day is nine hours either side).
"""

import datetime
from collections.abc import Iterator

from dealership.accounts.models import Location

# A location with no opening hours at all would never reach a due time: look this far ahead.
MAX_DAYS = 60


def _intervals(
    location: Location, start: datetime.datetime
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """The location's open intervals (aware, UTC) from the local day of `start` onwards."""
    tz = location.tzinfo
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        hours = location.hours_on(day.weekday())
        if hours is not None:
            opens = datetime.datetime.combine(day, hours.opens, tzinfo=tz)
            closes = datetime.datetime.combine(day, hours.closes, tzinfo=tz)
            yield opens.astimezone(datetime.UTC), closes.astimezone(datetime.UTC)
        day += datetime.timedelta(days=1)


def add_business_minutes(
    location: Location, start: datetime.datetime, minutes: int
) -> datetime.datetime | None:
    """The moment `minutes` of opening time have passed since `start` (None: never open)."""
    remaining = datetime.timedelta(minutes=minutes)
    for opens, closes in _intervals(location, start):
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    return None


def business_minutes_between(
    location: Location, start: datetime.datetime, end: datetime.datetime
) -> int:
    """Whole minutes of opening time between two moments (0 if end is before start)."""
    if end <= start:
        return 0
    total = datetime.timedelta()
    for opens, closes in _intervals(location, start):
        if opens >= end:
            break
        begin, finish = max(opens, start), min(closes, end)
        if finish > begin:
            total += finish - begin
    return int(total.total_seconds() // 60)
