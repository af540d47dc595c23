"""Slot arithmetic: pure functions over aware datetimes, no database.

A slot is a drive of `slot` length starting on the location's grid: from opening time every
`slot + buffer`, as long as the drive ends by closing time. It holds the vehicle and a
consultant over [start, start + slot + buffer), the same half-open range the exclusion
constraints use, so a free slot here is one the database will accept."""

import bisect
import datetime
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UTC = datetime.UTC


@dataclass(frozen=True)
class Slot:
    start: datetime.datetime  # UTC
    end: datetime.datetime  # UTC, end of the drive
    busy_until: datetime.datetime  # UTC, end of the buffer

    def local(self, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
        return self.start.astimezone(tz)


def _wall_clock(day: datetime.date, time: datetime.time, tz) -> datetime.datetime | None:
    """The instant of a local wall-clock time, or None when it does not exist (DST gap)."""
    local = datetime.datetime.combine(day, time, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def slot_grid(
    *,
    tz: zoneinfo.ZoneInfo,
    hours: Mapping[int, tuple[datetime.time, datetime.time]],
    slot: datetime.timedelta,
    buffer: datetime.timedelta,
    start_day: datetime.date,
    days: int,
) -> list[Slot]:
    """Every slot of the opening hours from `start_day` (local) for `days` days, in order.

    Works in real elapsed time from the opening instant, so a day with a DST change still
    has drives of the right length and none that ends after closing."""
    slots = []
    step = slot + buffer
    for offset in range(days):
        day = start_day + datetime.timedelta(days=offset)
        opening = hours.get(day.weekday())
        if opening is None:
            continue
        opens = _wall_clock(day, opening[0], tz)
        closes = _wall_clock(day, opening[1], tz)
        if opens is None or closes is None:
            continue
        start = opens
        while start + slot <= closes:
            slots.append(Slot(start=start, end=start + slot, busy_until=start + step))
            start += step
    return slots


class BusyRanges:
    """Sorted half-open ranges of one resource, answering "overlaps [a, b)?" in O(log n)."""

    def __init__(self, ranges: Iterable[tuple[datetime.datetime, datetime.datetime]]):
        ordered = sorted(ranges)
        self.starts = [r[0] for r in ordered]
        # Running maximum of ends, so one bisect finds whether any earlier range reaches b.
        self.max_ends = []
        latest = None
        for _start, end in ordered:
            latest = end if latest is None or end > latest else latest
            self.max_ends.append(latest)

    def overlaps(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        i = bisect.bisect_left(self.starts, end)  # ranges starting before `end`
        return i > 0 and self.max_ends[i - 1] > start


def free_slots(
    *,
    grid: list[Slot],
    not_before: datetime.datetime,
    vehicle_busy: BusyRanges,
    consultants_busy: Mapping[int, BusyRanges],
) -> list[tuple[Slot, list[int]]]:
    """The grid slots at or after `not_before` where the vehicle and at least one consultant
    are free, each with the free consultants' ids (in the mapping's order)."""
    result = []
    for slot in grid:
        if slot.start < not_before or vehicle_busy.overlaps(slot.start, slot.busy_until):
            continue
        free = [
            consultant_id
            for consultant_id, busy in consultants_busy.items()
            if not busy.overlaps(slot.start, slot.busy_until)
        ]
        if free:
            result.append((slot, free))
    return result


def nearest(slots: list[Slot], target: datetime.datetime, *, count: int = 3) -> list[Slot]:
    """The `count` slots closest in time to `target`, in time order."""
    closest = sorted(slots, key=lambda s: (abs((s.start - target).total_seconds()), s.start))
    return sorted(closest[:count], key=lambda s: s.start)
