import datetime
import functools
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealership.messaging.quiet_hours import is_quiet, next_allowed

UTC = datetime.UTC
# Zones with DST in both hemispheres, half-hour offsets and a 30-minute DST shift.
ZONES = [
    "Europe/Berlin",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "America/New_York",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
]
# Every DST change between 2024 and 2027 is in these instants' neighbourhood.
moments = st.datetimes(
    min_value=datetime.datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime.datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
ONE_MINUTE = datetime.timedelta(minutes=1)


@functools.cache
def transitions(zone: str) -> list[datetime.datetime]:
    """The DST changes of a zone, found by comparing UTC offsets hour by hour."""
    tz = zoneinfo.ZoneInfo(zone)
    found = []
    moment = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment.year < 2028:
        moment += datetime.timedelta(hours=1)
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(moment)
            previous = offset
    return found


@st.composite
def near_dst_changes(draw):
    zone = draw(st.sampled_from([z for z in ZONES if z not in ("UTC", "Asia/Kolkata")]))
    change = draw(st.sampled_from(transitions(zone)))
    offset = draw(st.integers(min_value=-36 * 60, max_value=36 * 60))
    return zone, change + datetime.timedelta(minutes=offset)


def check(moment, zone, start, end):
    tz = zoneinfo.ZoneInfo(zone)
    sent_at = next_allowed(moment, tz=tz, start=start, end=end)

    assert sent_at >= moment
    assert not is_quiet(sent_at, tz=tz, start=start, end=end)
    if not is_quiet(moment, tz=tz, start=start, end=end):
        assert sent_at == moment
    else:
        # The earliest allowed minute: one minute earlier is still quiet (or before `moment`).
        earlier = sent_at - ONE_MINUTE
        assert earlier < moment or is_quiet(earlier, tz=tz, start=start, end=end)


@settings(max_examples=400, deadline=None)
@given(moment=moments, zone=st.sampled_from(ZONES), start=times, end=times)
def test_no_sms_is_sent_in_quiet_hours_in_any_zone(moment, zone, start, end):
    check(moment, zone, start, end)


@settings(max_examples=400, deadline=None)
@given(near=near_dst_changes(), start=times, end=times)
def test_no_sms_is_sent_in_quiet_hours_around_dst_changes(near, start, end):
    zone, moment = near
    check(moment, zone, start, end)


@settings(max_examples=200, deadline=None)
@given(near=near_dst_changes())
def test_default_window_around_dst_changes(near):
    zone, moment = near
    check(moment, zone, datetime.time(21, 0), datetime.time(8, 0))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 22:30 CET on the evening before spring forward → 08:00 CEST = 06:00 UTC.
        (datetime.datetime(2026, 3, 28, 21, 30, tzinfo=UTC), "2026-03-29 06:00"),
        # 22:30 CEST on the evening before fall back → 08:00 CET = 07:00 UTC.
        (datetime.datetime(2026, 10, 24, 20, 30, tzinfo=UTC), "2026-10-25 07:00"),
        # 07:59 CET → 08:00 CET.
        (datetime.datetime(2026, 1, 5, 6, 59, tzinfo=UTC), "2026-01-05 07:00"),
        # 20:59 CET is not quiet: goes at once.
        (datetime.datetime(2026, 1, 5, 19, 59, tzinfo=UTC), "2026-01-05 19:59"),
    ],
)
def test_berlin_examples(moment, expected):
    tz = zoneinfo.ZoneInfo("Europe/Berlin")

    sent_at = next_allowed(moment, tz=tz, start=datetime.time(21), end=datetime.time(8))

    assert sent_at.strftime("%Y-%m-%d %H:%M") == expected


def test_a_window_ending_in_the_spring_gap_ends_when_the_clocks_jump():
    # 02:30 does not exist in Berlin on 29 March 2026 (02:00 CET → 03:00 CEST at 01:00 UTC).
    tz = zoneinfo.ZoneInfo("Europe/Berlin")
    moment = datetime.datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 CET

    sent_at = next_allowed(moment, tz=tz, start=datetime.time(0), end=datetime.time(2, 30))

    assert sent_at == datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
