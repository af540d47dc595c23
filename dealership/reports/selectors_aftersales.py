"""The after-sales panel: service reminders sent and the bookings that followed, open recalls
by campaign, complaint resolution times and complaints open now.

Five queries (and the percentiles' SET LOCAL), scoped to the locations the user may report on
through each row's own location (the owned vehicle's service branch for reminders and recalls).
The reminder figures come from the rollup (DailyFigures.reminders_*) as the funnel's do.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, F, FloatField, Func, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import Complaint, RecallVehicle
from dealership.accounts.models import User

from .aggregates import percentiles_by
from .periods import Period
from .selectors import (
    ReportFilters,
    _figure_sums,
    _location_ids,
    _period,
    _ratio,
    rollup_cutoff,
)
from .selectors_orders import change
from .tables import Table, chart_from


class HoursBetween(Func):
    """Hours from the first datetime to the second, as a float."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        # SQL subtracts the first expression from the second: end - start.
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0",
            arg_joiner=" - ",
            **extra,
        )


def _in(period: Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _one_decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _reminders(location_ids: list[int], now: Period, before: Period) -> dict[str, int]:
    """Reminders whose messages went out on each period's days and of those the ones followed
    by a service booking of the car (not cancelled) within REMINDER_BOOKING_WINDOW, by each
    car's service branch's calendar days: from the rollup's daily figures for the days before
    its last run, computed from the reminders for the rest (rollup.py). Two queries (the
    rollup cutoff day, the sums), whatever a year's volume."""
    figures = ("reminders_sent", "reminders_booked")
    by = _figure_sums(
        location_ids,
        ReportFilters(first=before.first, last=now.last),
        before.first,
        now.last,
        cut=rollup_cutoff(location_ids),
        by="current",
        split=now.first,
        figures=figures,
    )
    empty = dict.fromkeys(figures, 0)
    current, previous = by.get(True, empty), by.get(False, empty)
    return {
        "now_sent": current["reminders_sent"],
        "before_sent": previous["reminders_sent"],
        "now_booked": current["reminders_booked"],
        "before_booked": previous["reminders_booked"],
    }


def reminder_conversion(*, user: User, filters: ReportFilters) -> dict[str, int]:
    """Service reminders sent in the filter's period and the previous one of equal length,
    and of those the ones followed by a booking within 60 days: now_sent, now_booked,
    before_sent, before_booked (the user's locations; source and consultant filters do not
    apply). Four queries: the user's roles and locations, the rollup's cutoff day, the sums."""
    period = _period(user, filters)
    return _reminders(_location_ids(user, filters), period, period.previous())


def _recalls(location_ids: list[int], period: Period) -> list[dict]:
    """One query: per campaign with cars at these locations, the cars affected, still open,
    open and never notified, and remedied in the period; most open first."""
    return list(
        RecallVehicle.objects.filter(owned_vehicle__location__in=location_ids)
        .values("campaign__code", "campaign__title")
        .annotate(
            affected=Count("pk"),
            open=Count("pk", filter=Q(remedied_at__isnull=True)),
            not_notified=Count("pk", filter=Q(remedied_at__isnull=True, notified_at__isnull=True)),
            remedied=Count("pk", filter=_in(period, "remedied_at")),
        )
        .order_by("-open", "campaign__code")
    )


def _complaints(location_ids: list[int], now: Period, before: Period, at: datetime.datetime):
    """Two queries: counts (received, resolved per period; open and overdue now) and the
    median and 90th percentile hours from receipt to resolution, per period."""
    complaints = Complaint.objects.filter(location__in=location_ids).order_by()
    is_open = Q(status__in=Complaint.OPEN_STATUSES)
    counts = complaints.aggregate(
        now_received=Count("pk", filter=_in(now, "created_at")),
        before_received=Count("pk", filter=_in(before, "created_at")),
        now_resolved=Count("pk", filter=_in(now, "resolved_at")),
        before_resolved=Count("pk", filter=_in(before, "resolved_at")),
        open=Count("pk", filter=is_open),
        overdue=Count("pk", filter=is_open & Q(target_at__lt=at)),
    )
    resolved = complaints.filter(_in(now, "resolved_at") | _in(before, "resolved_at")).annotate(
        hours=HoursBetween(F("created_at"), F("resolved_at")),
        which=Case(
            When(resolved_at__gte=now.start, then=Value("now")),
            default=Value("before"),
        ),
    )
    hours = percentiles_by(resolved, field="hours", fractions=(0.5, 0.9), group="which")
    return counts, hours


def aftersales_report(
    *, user: User, filters: ReportFilters, now: datetime.datetime | None = None
) -> dict:
    """Reminders sent → bookings within 60 days, open recalls by campaign, complaint
    resolution times (median and 90th percentile in hours) and complaints open now; the
    period's figures beside the previous period's. Source and consultant filters do not apply."""
    now = now or timezone.now()
    period = _period(user, filters)
    previous = period.previous()
    location_ids = _location_ids(user, filters)
    reminders = _reminders(location_ids, period, previous)
    recalls = _recalls(location_ids, period)
    complaints, hours = _complaints(location_ids, period, previous, now)

    def rate(key: str):
        return _ratio(reminders[f"{key}_booked"], reminders[f"{key}_sent"])

    reminder_rows = [
        [_("Reminders sent"), reminders["now_sent"], reminders["before_sent"]],
        [_("Followed by a service booking"), reminders["now_booked"], reminders["before_booked"]],
        [_("Conversion (%)"), rate("now"), rate("before")],
    ]
    reminder_table = Table(
        "reminders",
        _("Service reminders → bookings"),
        [_("Figure"), _("This period"), _("Previous period"), _("Change")],
        [[label, n, b, change(n, b)] for label, n, b in reminder_rows],
    )
    recall_table = Table(
        "open_recalls",
        _("Recalls"),
        [
            _("Campaign"),
            _("Title"),
            _("Vehicles affected"),
            _("Not yet done"),
            _("Open and owner not notified"),
            _("Done in the period"),
        ],
        [
            [
                r["campaign__code"],
                r["campaign__title"],
                r["affected"],
                r["open"],
                r["not_notified"],
                r["remedied"],
            ]
            for r in recalls
        ],
    )
    now_hours = hours.get("now", [None, None])
    before_hours = hours.get("before", [None, None])
    complaint_rows = [
        [_("Received"), complaints["now_received"], complaints["before_received"]],
        [_("Resolved"), complaints["now_resolved"], complaints["before_resolved"]],
        [
            _("Median time to resolve (hours)"),
            _one_decimal(now_hours[0]),
            _one_decimal(before_hours[0]),
        ],
        [
            _("90th percentile time to resolve (hours)"),
            _one_decimal(now_hours[1]),
            _one_decimal(before_hours[1]),
        ],
    ]
    complaint_table = Table(
        "complaints",
        _("Complaints"),
        [_("Figure"), _("This period"), _("Previous period"), _("Change")],
        [[label, n, b, change(n, b)] for label, n, b in complaint_rows],
    )
    open_table = Table(
        "open_complaints",
        _("Complaints open now"),
        [_("Figure"), _("Complaints")],
        [[_("Open"), complaints["open"]], [_("Past their resolve-by time"), complaints["overdue"]]],
    )
    return {
        "period": period,
        "previous": previous,
        "note": _(
            "Recalls and open complaints are figures of today; a reminder counts as "
            "converted when the car is booked in within 60 days. The source and consultant "
            "filters do not apply here."
        ),
        "tables": [reminder_table, recall_table, complaint_table, open_table],
        "charts": [
            chart_from(
                recall_table, label_col=0, value_col=3, title=_("Recalled vehicles not yet done")
            )
        ],
    }
