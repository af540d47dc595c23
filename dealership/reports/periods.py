"""The reporting period: local calendar days turned into a half-open UTC range."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Period:
    """Days `first`..`last` (inclusive) in `tz`, as [start, end) aware datetimes."""

    first: datetime.date
    last: datetime.date
    tz: zoneinfo.ZoneInfo

    @classmethod
    def of(cls, first: datetime.date, last: datetime.date, tz_name: str = "") -> "Period":
        return cls(first, last, zoneinfo.ZoneInfo(tz_name or settings.TIME_ZONE))

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first, datetime.time.min, tzinfo=self.tz)

    @property
    def end(self) -> datetime.datetime:
        return datetime.datetime.combine(
            self.last + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.tz
        )

    @property
    def zone_label(self) -> str:
        """The zone with the abbreviations in force at the period's start and end:
        "Europe/Berlin, CET–CEST" for a March that crosses the switch, "…, CEST" otherwise."""
        names = [self.start.tzname(), (self.end - datetime.timedelta(seconds=1)).tzname()]
        return f"{self.tz.key}, {'–'.join(dict.fromkeys(names))}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        length = datetime.timedelta(days=self.days)
        return Period(self.first - length, self.last - length, self.tz)

    def start_of(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.tz)

    def day_end(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.tz
        )
