"""The NPS panel: the trend by month, by location and by touchpoint, with response counts and
the previous period beside each. The invitations come from the surveys app's own selector
(customer surveys only, the user's locations) and the score from its scoring module, so the
panel and the survey results page agree.

Up to four queries whatever the number of responses (after the locations the user may see):
the rollup's cutoff day, the whole months' counts from the summary (NpsMonthly), the other
days' grouped counts from the invitations, and the locations' names.
"""

import datetime
import functools
import operator
import zoneinfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from surveys import scoring
from surveys.models import Invitation, Touchpoint
from surveys.selectors import invitation_list_for_user, results_user_may_see_all

from .models import NpsMonthly, RollupState
from .periods import Period
from .selectors import ReportFilters, _location_ids, _month_end, _period, _whole_months
from .selectors_orders import change
from .tables import Table, chart_from


def _in(period: Period) -> Q:
    # By when the invitation went out, as the survey results page counts.
    return Q(created_at__gte=period.start, created_at__lt=period.end)


COUNTERS = dict.fromkeys(
    [
        f"{when}_{category}"
        for when in ("now", "before")
        for category in ("promoters", "passives", "detractors")
    ],
    0,
)


def _score(row: dict, prefix: str = ""):
    return scoring.nps(
        promoters=row[f"{prefix}promoters"],
        passives=row[f"{prefix}passives"],
        detractors=row[f"{prefix}detractors"],
    )


def _responses(row: dict, prefix: str = "") -> int:
    return sum(row[f"{prefix}{k}"] for k in ("promoters", "passives", "detractors"))


def _invitations(
    location_ids: list[int], user: User, filters: ReportFilters
) -> QuerySet[Invitation]:
    qs = invitation_list_for_user(user=user).filter(location__in=location_ids)
    if filters.consultant_id is not None:
        qs = qs.filter(consultant=filters.consultant_id)
    return qs.order_by()


def _compared(rows: list[dict], label_key: str, labels=None) -> list[list]:
    table_rows = []
    for r in rows:
        score, before = _score(r, "now_"), _score(r, "before_")
        label = r[label_key] if labels is None else labels(r[label_key])
        table_rows.append(
            [
                label,
                _responses(r, "now_"),
                score,
                _responses(r, "before_"),
                before,
                change(score, before),
            ]
        )
    return table_rows


def _by_category(rows) -> list[dict]:
    """The rows per score summed into each month, location and touchpoint's promoters,
    passives and detractors of both periods, and its invitations (answered or not)."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = (row["month"], row["location"], row["touchpoint"])
        group = groups.setdefault(
            key,
            {
                "month": key[0],
                "location": key[1],
                "touchpoint": key[2],
                **COUNTERS,
                "invited_now": 0,
                "invited": 0,
            },
        )
        group["invited_now"] += row["now"]
        group["invited"] += row["now"] + row["before"]
        if row["nps_score"] is not None:
            category = f"{scoring.category(row['nps_score'])}s"
            group[f"now_{category}"] += row["now"]
            group[f"before_{category}"] += row["before"]
    return list(groups.values())


def _rolled_up(groups: list[dict], keys: tuple[str, ...], only: str = "invited") -> list[dict]:
    """The groups' counts summed by `keys`, sorted by them; groups without any invitation
    counted in `only` are left out."""
    totals: dict[tuple, dict] = {}
    for group in groups:
        if not group[only]:
            continue
        key = tuple(group[k] for k in keys)
        row = totals.setdefault(key, {**dict(zip(keys, key, strict=True)), **COUNTERS})
        for counter in COUNTERS:
            row[counter] += group[counter]
    return [totals[key] for key in sorted(totals)]


def _summary_cutoff(location_ids: list[int], tz: zoneinfo.ZoneInfo) -> datetime.date | None:
    """The day of the last rollup run (as selectors.rollup_cutoff), when NpsMonthly can give
    this report's months: every location keeps the report's calendar (its months are the
    locations' months). None otherwise (the invitations are read). One query."""
    if not settings.REPORTS_USE_ROLLUPS or not location_ids:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min((s.started_at AT TIME ZONE loc.time_zone)::date), "  # nosec B608
            "bool_and(loc.time_zone = %s) "
            f"FROM {RollupState._meta.db_table} s, {Location._meta.db_table} loc "
            "WHERE s.id = 1 AND loc.id = ANY(%s)",
            [tz.key, location_ids],
        )
        day, same_calendar = cursor.fetchone()
    return day if day and same_calendar else None


def _split(period: Period, cut: datetime.date | None):
    """The period's whole months that ended before `cut` (first days of the first and the
    last, or None) and the day ranges around them (all of it without `cut`)."""
    months = _whole_months(period.first, period.last) if cut else None
    while months and _month_end(months[1]) >= cut:
        last = (months[1] - datetime.timedelta(days=1)).replace(day=1)
        months = (months[0], last) if last >= months[0] else None
    if not months:
        return None, [(period.first, period.last)]
    ranges = []
    if period.first < months[0]:
        ranges.append((period.first, months[0] - datetime.timedelta(days=1)))
    if _month_end(months[1]) < period.last:
        ranges.append((_month_end(months[1]) + datetime.timedelta(days=1), period.last))
    return months, ranges


def _nps_rows(
    user: User, location_ids: list[int], filters: ReportFilters, period: Period, previous: Period
) -> list[dict]:
    """Invitations per month, location, touchpoint and score, counted in each period: whole
    months before the last rollup run from NpsMonthly, the days around them and since from
    the invitations. The summary serves managers' reports without a consultant filter whose
    locations keep the report's calendar; other reports read every invitation. Up to three
    queries (the cutoff, the summary, the invitations) whatever the number of invitations."""
    cut = None
    if filters.consultant_id is None and results_user_may_see_all(user):
        cut = _summary_cutoff(location_ids, period.tz)
    months, live = {}, []
    for which, p in (("now", period), ("before", previous)):
        months[which], ranges = _split(p, cut)
        live += [
            Q(created_at__gte=p.start_of(first), created_at__lt=p.day_end(last))
            for first, last in ranges
        ]
    rows: list[dict] = []
    chosen = {which: m for which, m in months.items() if m}
    if chosen:
        params: dict = {"locations": location_ids}
        counts, ranges = [], []
        for which, (first, last) in chosen.items():
            params.update({f"{which}_first": first, f"{which}_last": last})
            within = f"month BETWEEN %({which}_first)s AND %({which}_last)s"
            counts.append(f"coalesce(sum(invitations) FILTER (WHERE {within}), 0) AS {which}")
            ranges.append(within)
        counts += [f"0 AS {which}" for which in ("now", "before") if which not in chosen]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT month, location_id AS location, touchpoint, nps_score, "  # nosec B608
                f"{', '.join(counts)} FROM {NpsMonthly._meta.db_table} "
                f"WHERE location_id = ANY(%(locations)s) AND ({' OR '.join(ranges)}) "
                "GROUP BY 1, 2, 3, 4",
                params,
            )
            names = [c.name for c in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                row["month"] = period.start_of(row["month"])
                rows.append(row)
    if live:
        rows += (
            _invitations(location_ids, user, filters)
            .filter(functools.reduce(operator.or_, live))
            .annotate(month=TruncMonth("created_at", tzinfo=period.tz))
            .values("month", "location", "touchpoint", "nps_score")
            .annotate(now=Count("pk", filter=_in(period)), before=Count("pk", filter=_in(previous)))
        )
    return rows


def nps_report(*, user: User, filters: ReportFilters) -> dict:
    """NPS (% promoters − % detractors, one decimal) of the period's customer survey
    invitations by month (in the period's time zone), by location and by touchpoint, each
    with its number of responses and the previous period's score."""
    period = _period(user, filters)
    previous = period.previous()
    # One scan: the invitations per month, location, touchpoint and score in each period
    # (two counts, not a filtered count per category: fewer aggregates per row); the three
    # tables are sums of these few thousand groups at most.
    location_ids = _location_ids(user, filters)
    groups = _by_category(_nps_rows(user, location_ids, filters, period, previous))
    months = _rolled_up(groups, ("month",), only="invited_now")
    # The names by one small query: joining them in makes the big grouping sort wider.
    names = dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "name"))
    by_location = sorted(
        ({**row, "name": names[row["location"]]} for row in _rolled_up(groups, ("location",))),
        key=lambda row: (row["name"], row["location"]),
    )
    by_touchpoint = _rolled_up(groups, ("touchpoint",))
    for row in months:
        for category in ("promoters", "passives", "detractors"):
            row[category] = row[f"now_{category}"]

    trend = Table(
        "nps_trend",
        _("NPS by month"),
        [
            _("Month"),
            _("Responses"),
            _("Promoters"),
            _("Passives"),
            _("Detractors"),
            _("NPS"),
            _("Change from the month before"),
        ],
    )
    last_score = None
    for r in months:
        score = _score(r)
        trend.rows.append(
            [
                f"{r['month']:%Y-%m}",
                _responses(r),
                r["promoters"],
                r["passives"],
                r["detractors"],
                score,
                change(score, last_score),
            ]
        )
        last_score = score
    columns = [
        _("Responses"),
        _("NPS"),
        _("Responses, previous period"),
        _("NPS, previous period"),
        _("Change"),
    ]
    location_table = Table(
        "nps_by_location",
        _("NPS by location"),
        [_("Location"), *columns],
        _compared(by_location, "name"),
    )
    totals = {key: sum(r[key] for r in by_location) for key in COUNTERS}
    location_table.rows.append(_compared([{**totals, "label": _("All locations")}], "label")[0])
    touchpoint_table = Table(
        "nps_by_touchpoint",
        _("NPS by touchpoint"),
        [_("Touchpoint"), *columns],
        _compared(by_touchpoint, "touchpoint", labels=lambda v: str(Touchpoint(v).label)),
    )
    return {
        "period": period,
        "previous": previous,
        "note": _(
            "Survey invitations are counted by the day they went out (as on the survey "
            "results page); NPS is the share of promoters (9–10) minus the share of "
            "detractors (0–6), in points. The source filter does not apply here."
        ),
        "figures": {
            "responses": _responses(totals, "now_"),
            "nps": _score(totals, "now_"),
            "previous_nps": _score(totals, "before_"),
        },
        "tables": [trend, location_table, touchpoint_table],
        "charts": [chart_from(trend, label_col=0, value_col=5, title=_("NPS by month"))],
    }
