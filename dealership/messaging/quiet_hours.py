"""Quiet hours: when an SMS may go out, in the recipient's location time zone.

Pure functions over aware datetimes, so they can be checked exhaustively (see the hypothesis
test) across time zones and DST changes.
"""

import datetime
import zoneinfo

ONE_MINUTE = datetime.timedelta(minutes=1)


def is_quiet(
    moment: datetime.datetime,
    *,
    tz: zoneinfo.ZoneInfo,
    start: datetime.time,
    end: datetime.time,
) -> bool:
    """Whether `moment` falls in the quiet window [start, end) of local wall-clock time."""
    if start == end:
        return False
    local = moment.astimezone(tz).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


def next_allowed(
    moment: datetime.datetime,
    *,
    tz: zoneinfo.ZoneInfo,
    start: datetime.time,
    end: datetime.time,
) -> datetime.datetime:
    """The earliest instant at or after `moment` outside quiet hours (in UTC).

    The end of the window is a wall-clock time: "08:00" is 08:00 on the local calendar day,
    whatever the UTC offset that day. When that wall-clock time does not exist (the spring
    DST gap), the window ends at the first instant after the gap that is no longer quiet.
    """
    utc = datetime.UTC
    if not is_quiet(moment, tz=tz, start=start, end=end):
        return moment.astimezone(utc)
    local = moment.astimezone(tz)
    day = local.date()
    if start > end and local.time() >= start:
        day += datetime.timedelta(days=1)  # evening part of a window spanning midnight
    candidate = datetime.datetime.combine(day, end, tzinfo=tz).astimezone(utc)
    # In a DST gap or fold the wall-clock end maps to an instant that can be off by up to the
    # DST shift; walk to the exact boundary minute by minute (at most a couple of hours).
    for _ in range(180):
        if is_quiet(candidate, tz=tz, start=start, end=end):
            candidate += ONE_MINUTE
            continue
        earlier = candidate - ONE_MINUTE
        if earlier >= moment and not is_quiet(earlier, tz=tz, start=start, end=end):
            candidate = earlier
            continue
        break
    return max(candidate, moment.astimezone(utc))
