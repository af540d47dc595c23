"""The managers' figures. Reads only, scoped to the locations the user may see.

The funnel, lead response and leaderboard add up per-day figures: for the days before the
last rollup run (rollup_cutoff) from the summary tables (models.py, filled by
services.rollup_refresh), for the rest computed from the source tables by the same SQL
(rollup.py), in one statement per figure set. Medians and percentiles come from a lossless
histogram of whole business minutes. Each location's figures follow its own calendar days.
Inventory reads the vehicles directly (a few thousand rows).
"""

import datetime
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealership.accounts.models import Location, User
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_for_user
from dealership.routers import read_alias
from inventory.models import PriceChange, Vehicle
from inventory.selectors import vehicles_with_views
from leads.models import Lead
from surveys.scoring import nps

from . import rollup
from .aggregates import percentile_of_counts
from .models import DailyFigures, ResponseMinutes, ResponseMinutesMonthly, RollupState
from .periods import Period
from .selectors_conversations import conversation_response_times
from .tables import BarChart, Table, chart_from


@dataclass(frozen=True)
class ReportFilters:
    first: datetime.date
    last: datetime.date
    location_id: int | None = None
    source: str = ""
    consultant_id: int | None = None
    # The calendar for several locations (default: settings.TIME_ZONE).
    time_zone: str = ""


def report_locations(*, user: User) -> QuerySet[Location]:
    """Locations a manager may report on: administrators all, sales managers their own."""
    if not user.has_role(*MANAGER_ROLES):
        return Location.objects.none()
    return location_list_for_user(user=user).order_by("name", "pk")


def report_consultants(*, user: User) -> QuerySet[User]:
    """Staff who hold leads at the user's locations (the leaderboard's rows, the filter)."""
    return (
        User.objects.filter(is_staff=True, locations__in=report_locations(user=user))
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def _location_ids(user: User, filters: ReportFilters) -> list[int]:
    allowed = list(report_locations(user=user).values_list("pk", flat=True))
    if filters.location_id is not None:
        return [filters.location_id] if filters.location_id in allowed else []
    return allowed


def _period(user: User, filters: ReportFilters) -> Period:
    # One location: its own calendar days. Several: the project's time zone.
    tz = filters.time_zone
    if filters.location_id is not None:
        tz = (
            Location.objects.filter(pk=filters.location_id)
            .values_list("time_zone", flat=True)
            .first()
        ) or ""
    return Period.of(filters.first, filters.last, tz)


def _ratio(part, whole, places: str = "0.1") -> Decimal | None:
    """part / whole as a percentage, rounded once (None when there is no whole)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(places), ROUND_HALF_UP)


def _minutes(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- Rolled-up figures: summary tables for closed days, source tables for the rest ---------


def rollup_cutoff(location_ids: list[int]) -> datetime.date:
    """Days before this are read from the summary tables, this day and later straight from
    the source tables (so a lead that arrived a minute ago is counted). It is the day the
    last rollup run started (services.rollup_refresh, every 10 minutes), in the zone of
    whichever of the locations is furthest behind: every earlier day had ended, at every
    location, when that run recomputed it. A lead's later progress (contacted, say) reaches
    the summary with the next run. No run yet or REPORTS_USE_ROLLUPS off: every day is
    read live (exact, slow over a year). One query."""
    if not settings.REPORTS_USE_ROLLUPS or not location_ids:
        return datetime.date.min
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            "SELECT min((s.started_at AT TIME ZONE loc.time_zone)::date) "  # nosec B608
            f"FROM {RollupState._meta.db_table} s, {Location._meta.db_table} loc "
            "WHERE s.id = 1 AND loc.id = ANY(%s)",
            [location_ids],
        )
        day = cursor.fetchone()[0]
    return day or datetime.date.min


def _rows_sql(
    location_ids: list[int],
    filters: ReportFilters,
    first: datetime.date,
    last: datetime.date,
    *,
    cut: datetime.date,
    minutes: bool = False,
    figures: tuple[str, ...] = rollup.FIGURES,
) -> tuple[str, dict]:
    """SQL for the figure rows (or histogram rows) of local days first..last of the filter's
    locations, source and consultant: summary rows before the cutoff, computed rows after
    (from the source tables that give `figures` only)."""
    model = ResponseMinutes if minutes else DailyFigures
    columns = ", ".join((*rollup.KEY, *(("minutes", "leads") if minutes else rollup.FIGURES)))
    params = {
        "locations": location_ids,
        "source": filters.source,
        "consultant": filters.consultant_id,
    }
    parts = []
    scope = (
        "AND location_id = ANY(%(locations)s) AND (%(source)s = '' OR source = %(source)s) "
        "AND (%(consultant)s::bigint IS NULL OR consultant_id = %(consultant)s::bigint)"
    )
    if not minutes and set(figures) <= set(rollup.PARTS["reminders"]):
        # Only the reminder rows can have them: the partial index daily_figures_reminders.
        scope += " AND reminders_sent > 0"
    if first < cut:
        r_last = min(last, cut - datetime.timedelta(days=1))
        params.update(r_first=first, r_last=r_last)
        months = _whole_months(first, r_last) if minutes else None
        daily = f"SELECT {columns} FROM {model._meta.db_table} WHERE day BETWEEN "  # nosec B608
        if months:
            # Whole months from the monthly histogram, the days around them from the daily
            # one (two plain day ranges: its key index serves each).
            params.update(m_first=months[0], m_last=months[1])
            parts.append(
                f"SELECT month AS {columns} FROM {ResponseMinutesMonthly._meta.db_table} "  # nosec B608
                f"WHERE month BETWEEN %(m_first)s AND %(m_last)s {scope}"
            )
            if first < months[0]:
                params["head_last"] = months[0] - datetime.timedelta(days=1)
                parts.append(f"{daily} %(r_first)s AND %(head_last)s {scope}")
            if _month_end(months[1]) < r_last:
                params["tail_first"] = _month_end(months[1]) + datetime.timedelta(days=1)
                parts.append(f"{daily} %(tail_first)s AND %(r_last)s {scope}")
        else:
            parts.append(f"{daily} %(r_first)s AND %(r_last)s {scope}")
    if last >= cut:
        params.update(rollup.day_range_params(max(first, cut), last))
        if minutes:
            parts.append(rollup.minutes_sql(scoped=True))
        else:
            parts.append(rollup.figures_sql(scoped=True, figures=figures))
    return " UNION ALL ".join(f"({p})" for p in parts), params


def _month_end(month: datetime.date) -> datetime.date:
    """The last day of the month that starts on `month`."""
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _whole_months(
    first: datetime.date, last: datetime.date
) -> tuple[datetime.date, datetime.date] | None:
    """The first days of the first and last calendar months lying wholly in first..last."""
    start = first if first.day == 1 else _month_end(first.replace(day=1)) + datetime.timedelta(1)
    end_month = last.replace(day=1)
    if _month_end(end_month) != last:
        end_month = (end_month - datetime.timedelta(days=1)).replace(day=1)
    return (start, end_month) if start <= end_month else None


def _fetch(sql: str, params: dict) -> list[dict]:
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _figure_sums(
    location_ids: list[int],
    filters: ReportFilters,
    first: datetime.date,
    last: datetime.date,
    *,
    cut: datetime.date,
    by: str = "",
    split: datetime.date | None = None,
    figures: tuple[str, ...] = rollup.FIGURES,
) -> dict:
    """{group: {figure: sum}} over the days first..last. Groups: by="" one (None),
    by="consultant_id" each consultant (nobody left out), by="current" whether the day is
    on or after `split`. One query."""
    rows_sql, params = _rows_sql(location_ids, filters, first, last, cut=cut, figures=figures)
    sums = ", ".join(f"coalesce(sum({f}), 0)::int AS {f}" for f in figures)
    if by == "current":
        params["split"] = split
        group, where = "day >= %(split)s", ""
    elif by:
        group, where = by, f"WHERE {by} IS NOT NULL"
    else:
        group, where = "NULL::int", ""
    rows = _fetch(f"SELECT {group} AS grp, {sums} FROM ({rows_sql}) r {where} GROUP BY 1", params)  # nosec B608
    return {row.pop("grp"): row for row in rows}


def _histograms(
    location_ids: list[int],
    filters: ReportFilters,
    first: datetime.date,
    last: datetime.date,
    *,
    cut: datetime.date,
    by: str = "",
) -> dict:
    """{group: [(business minutes, leads)]}: the first-response histogram of the days'
    leads, whole (group None) or per consultant (by="consultant_id"). One query."""
    histograms: dict = {}
    minutes_sql, params = _rows_sql(location_ids, filters, first, last, cut=cut, minutes=True)
    group, where = (by, f"WHERE {by} IS NOT NULL") if by else ("NULL::int", "")
    for row in _fetch(
        f"SELECT {group} AS grp, minutes, sum(leads)::int AS n FROM ({minutes_sql}) r "  # nosec B608
        f"{where} GROUP BY 1, 2",
        params,
    ):
        histograms.setdefault(row["grp"], []).append((row["minutes"], row["n"]))
    return histograms


def _unanswered(
    location_ids: list[int], filters: ReportFilters, period: Period, now: datetime.datetime
) -> dict:
    """Leads without a first response: new ones now, new ones overdue now, and those of the
    period's days overdue now (breaches). Few rows (a partial index): always read live."""
    params = {
        **rollup.day_range_params(period.first, period.last),
        "now": now,
        "locations": location_ids,
        "source": filters.source,
        "consultant": filters.consultant_id,
    }
    return _fetch(rollup.unanswered_sql(), params)[0]


def _nps(row: dict) -> Decimal | None:
    promoters, detractors = row["nps_promoters"], row["nps_detractors"]
    return nps(
        promoters=promoters,
        passives=row["nps_responses"] - promoters - detractors,
        detractors=detractors,
    )


# --- Sales funnel ---------------------------------------------------------------------------

# leads and contacted follow the period's leads (a cohort: contacted = those of them that
# reached contacted or a later stage); test drives, orders and deliveries are what happened
# in the period (completed drives, placed orders, handovers; see rollup.py), since a drive or
# an order is not tied to one lead. So a stage may exceed the one before it (above 100 %).
FUNNEL_STAGES = (
    ("leads", gettext_lazy("Leads")),
    ("contacted", gettext_lazy("Contacted")),
    ("test_drives", gettext_lazy("Test drives (completed)")),
    ("orders", gettext_lazy("Orders (placed)")),
    ("delivered", gettext_lazy("Delivered")),
)


def funnel_counts(
    location_ids: list[int], filters: ReportFilters, period: Period, previous: Period
) -> tuple[dict[str, int], dict[str, int]]:
    """One query: each stage's count in the period and in the previous one."""
    keys = tuple(key for key, _label in FUNNEL_STAGES)
    by = _figure_sums(
        location_ids,
        filters,
        previous.first,
        period.last,
        cut=rollup_cutoff(location_ids),
        by="current",
        split=period.first,
        figures=keys,
    )
    empty = dict.fromkeys(keys, 0)
    return by.get(True, empty), by.get(False, empty)


def funnel_report(*, user: User, filters: ReportFilters) -> dict:
    """The period through the stages, conversion from the stage before and from the first
    stage, and the same counts for the previous period of equal length."""
    period = _period(user, filters)
    now_counts, before = funnel_counts(
        _location_ids(user, filters), filters, period, period.previous()
    )
    table = Table(
        "funnel",
        _("Sales funnel"),
        [
            _("Stage"),
            _("Count"),
            _("Conversion from previous stage (%)"),
            _("Conversion from leads (%)"),
            _("Previous period"),
            _("Change"),
        ],
    )
    previous_key = None
    for key, label in FUNNEL_STAGES:
        n = now_counts[key]
        table.rows.append(
            [
                str(label),
                n,
                _ratio(n, now_counts[previous_key]) if previous_key else None,
                _ratio(n, now_counts["leads"]),
                before[key],
                n - before[key],
            ]
        )
        previous_key = key
    return {
        "period": period,
        "previous": period.previous(),
        "counts": now_counts,
        "previous_counts": before,
        "tables": [table],
        "charts": [chart_from(table, label_col=0, value_col=1)],
    }


# --- Lead response --------------------------------------------------------------------------


def response_report(
    *,
    user: User,
    filters: ReportFilters,
    now: datetime.datetime | None = None,
    with_conversations: bool = True,
) -> dict:
    """First response in business minutes (median, 90th percentile), the share of the
    period's leads that missed their response target (answered late, or unanswered past
    it now), and leads unanswered right now. Three queries: the counts and the minutes
    histogram (summary tables + today's leads), and the unanswered leads (live, on the
    partial index of unanswered leads)."""
    now = now or timezone.now()
    period = _period(user, filters)
    location_ids = _location_ids(user, filters)
    response_figures = ("leads", "answered", "with_target", "answered_late")
    cut = rollup_cutoff(location_ids)
    counts = _figure_sums(
        location_ids, filters, period.first, period.last, cut=cut, figures=response_figures
    ).get(None, dict.fromkeys(response_figures, 0))
    pairs = _histograms(location_ids, filters, period.first, period.last, cut=cut).get(None, [])
    median = percentile_of_counts(pairs, 0.5)
    p90 = percentile_of_counts(pairs, 0.9)
    live = _unanswered(location_ids, filters, period, now)
    breached = counts["answered_late"] + live["breached"]
    figures = {
        "leads": counts["leads"],
        "answered": counts["answered"],
        "median_minutes": _minutes(median),
        "p90_minutes": _minutes(p90),
        "breached": breached,
        "breach_rate": _ratio(breached, counts["with_target"]),
        "unanswered_now": live["now"],
        "unanswered_overdue": live["overdue"],
    }
    table = Table(
        "response",
        _("Lead response"),
        [_("Figure"), _("Value")],
        [
            [_("Leads received"), figures["leads"]],
            [_("Answered"), figures["answered"]],
            [_("Median first response (business minutes)"), figures["median_minutes"]],
            [_("90th percentile (business minutes)"), figures["p90_minutes"]],
            [_("Missed the response target"), figures["breached"]],
            [_("Response target breach rate (%)"), figures["breach_rate"]],
            [_("Unanswered now"), figures["unanswered_now"]],
            [_("Unanswered and overdue now"), figures["unanswered_overdue"]],
        ],
    )
    result = {
        "period": period,
        "figures": figures,
        "tables": [table],
        "charts": [response_chart(pairs)],
    }
    if with_conversations:
        # The dashboard's conversation response times (one query more; the weekly summary,
        # which reads only the figures, leaves them out).
        everyone, consultants = conversation_response_times(
            location_ids=location_ids,
            start=period.start,
            end=period.end,
            consultant_id=filters.consultant_id,
        )
        result["tables"].append(conversation_response_table(everyone, consultants))
        result["conversations"] = {"everyone": everyone, "consultants": consultants}
    return result


def conversation_response_table(everyone, consultants) -> Table:
    """Customers' waits for a consultant's answer in their thread (selectors_conversations)."""
    rows = [[c.name, c.replies, c.median_minutes, c.p90_minutes] for c in consultants]
    rows.append(
        [_("All consultants"), everyone.replies, everyone.median_minutes, everyone.p90_minutes]
    )
    return Table(
        "conversation_response",
        _("Conversation response times (minutes from the customer's message to the first reply)"),
        [_("Consultant"), _("Replies"), _("Median (minutes)"), _("90th percentile (minutes)")],
        rows,
    )


# Upper bounds (business minutes, inclusive) of the first-response chart's bars.
RESPONSE_BUCKETS = (5, 15, 60, 240)


def response_chart(pairs: list[tuple[int, int]]) -> BarChart:
    """Answered leads by first-response time, from the histogram the median is taken from."""
    counts = [0] * (len(RESPONSE_BUCKETS) + 1)
    for minutes, n in pairs:
        index = next(
            (i for i, top in enumerate(RESPONSE_BUCKETS) if minutes <= top), len(RESPONSE_BUCKETS)
        )
        counts[index] += n
    labels = [_("Within %(m)d min") % {"m": RESPONSE_BUCKETS[0]}]
    labels += [
        _("%(low)d–%(high)d min") % {"low": low + 1, "high": high}
        for low, high in itertools.pairwise(RESPONSE_BUCKETS)
    ]
    labels.append(_("Over %(m)d min") % {"m": RESPONSE_BUCKETS[-1]})
    table = Table(
        "response_times",
        _("Answered leads by first response (business minutes)"),
        [_("First response"), _("Leads")],
        [[label, n] for label, n in zip(labels, counts, strict=True)],
    )
    return chart_from(table, label_col=0, value_col=1)


# --- Consultant leaderboard -----------------------------------------------------------------


def leaderboard_report(*, user: User, filters: ReportFilters) -> dict:
    """Per consultant: leads assigned (arrived in the period), answered, median first
    response, completed test drives, placed orders, delivered units and NPS (answers to
    surveys whose invitation names the consultant), most orders first. Three queries
    whatever the number of consultants."""
    period = _period(user, filters)
    location_ids = _location_ids(user, filters)
    cut = rollup_cutoff(location_ids)
    sums = _figure_sums(
        location_ids,
        filters,
        period.first,
        period.last,
        cut=cut,
        by="consultant_id",
        figures=rollup.SALES_FIGURES,
    )
    rows = [{"consultant_id": pk, **figures} for pk, figures in sums.items()]
    histograms = _histograms(
        location_ids, filters, period.first, period.last, cut=cut, by="consultant_id"
    )
    people = (
        User.objects.in_bulk([r["consultant_id"] for r in rows], field_name="pk") if rows else {}
    )
    for r in rows:
        person = people.get(r["consultant_id"])
        r["name"] = (person.get_full_name().strip() or person.username) if person else "?"
        r["last_name"] = person.last_name if person else ""
    rows.sort(
        key=lambda r: (
            -r["orders"],
            -r["delivered"],
            -r["test_drives"],
            -r["leads"],
            r["last_name"],
            r["consultant_id"],
        )
    )
    table = Table(
        "leaderboard",
        _("Consultant leaderboard"),
        [
            _("Consultant"),
            _("Leads handled"),
            _("Answered"),
            _("Median first response (business minutes)"),
            _("Test drives"),
            _("Orders"),
            _("Delivered"),
            _("NPS"),
            _("NPS answers"),
        ],
    )
    for r in rows:
        table.rows.append(
            [
                r["name"],
                r["leads"],
                r["answered"],
                _minutes(percentile_of_counts(histograms.get(r["consultant_id"], []), 0.5)),
                r["test_drives"],
                r["orders"],
                r["delivered"],
                _nps(r),
                r["nps_responses"],
            ]
        )
    return {
        "period": period,
        "tables": [table],
        "charts": [chart_from(table, label_col=0, value_col=5, title=_("Orders by consultant"))],
    }


# --- Inventory ------------------------------------------------------------------------------

IN_STOCK = (Vehicle.Status.DRAFT, Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED)
AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))
OLDEST_LIMIT = 10
PRICE_DROP_AFTER_DAYS = 60
PRICE_DROP_QUIET_DAYS = 30


def _stock_on(day_end: datetime.datetime, day: datetime.date) -> Q:
    """Vehicles in stock at the end of a day: arrived by then and not sold by then."""
    return Q(in_stock_since__lte=day) & (
        Q(sold_at__gte=day_end) | (Q(sold_at__isnull=True) & ~Q(status=Vehicle.Status.ARCHIVED))
    )


def _lead_counts_by_vin(vins: list[str]) -> dict[str, int]:
    """Leads that named each VIN (one grouped query on the lead VIN index)."""
    if not vins:
        return {}
    rows = Lead.objects.filter(vin__in=vins).order_by().values("vin").annotate(n=Count("pk"))
    return {row["vin"]: row["n"] for row in rows}


def inventory_report(
    *, user: User, filters: ReportFilters, today: datetime.date | None = None
) -> dict:
    """Stock by status and age now; turnover (units sold in the period / average of the
    stock at its start and end); the oldest vehicles with their leads and page views;
    price-drop candidates (in stock over 60 days, no lead and no price change in the last 30),
    with their page views: the rule leaves views out on purpose, the column tells the manager
    which kind of candidate it is — many views and no lead: priced too high; few views: the
    listing (photos, description) needs work before the price does."""
    period = _period(user, filters)
    today = today or timezone.localdate(timezone=period.tz)
    vehicles = Vehicle.objects.filter(location__in=_location_ids(user, filters)).order_by()

    by_status = dict(vehicles.values_list("status").annotate(n=Count("pk")))
    status_table = Table(
        "stock_by_status",
        _("Stock by status"),
        [_("Status"), _("Vehicles")],
        [[label, by_status.get(value, 0)] for value, label in Vehicle.Status.choices],
    )

    def since(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    bucket_filters = {}
    for low, high in AGE_BUCKETS:
        q = Q(in_stock_since__lte=since(low))
        if high is not None:
            q &= Q(in_stock_since__gte=since(high))
        bucket_filters[f"b{low}"] = Count("pk", filter=q)
    day_before = period.first - datetime.timedelta(days=1)
    figures = vehicles.aggregate(
        sold=Count("pk", filter=Q(sold_at__gte=period.start, sold_at__lt=period.end)),
        stock_start=Count("pk", filter=_stock_on(period.start, day_before)),
        stock_end=Count("pk", filter=_stock_on(period.end, period.last)),
    )
    in_stock = vehicles.filter(status__in=IN_STOCK)
    ages = in_stock.aggregate(**bucket_filters)
    age_table = Table(
        "days_in_stock",
        _("Days in stock"),
        [_("Days"), _("Vehicles")],
        [
            [f"{low}–{high}" if high is not None else f"{low - 1}+", ages[f"b{low}"]]
            for low, high in AGE_BUCKETS
        ],
    )
    average_stock = (Decimal(figures["stock_start"]) + Decimal(figures["stock_end"])) / 2
    turnover = (
        (Decimal(figures["sold"]) / average_stock).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if average_stock
        else None
    )
    turnover_table = Table(
        "turnover",
        _("Turnover"),
        [_("Figure"), _("Value")],
        [
            [_("Units sold"), figures["sold"]],
            [_("Stock at the start"), figures["stock_start"]],
            [_("Stock at the end"), figures["stock_end"]],
            [_("Average stock"), average_stock.quantize(Decimal("0.1"), ROUND_HALF_UP)],
            [_("Turnover (units sold / average stock)"), turnover],
        ],
    )

    oldest = list(
        vehicles_with_views(
            in_stock.order_by("in_stock_since", "pk").only(
                "stock_number", "model_year", "make", "model", "status", "in_stock_since", "vin"
            ),
            today=today,
        )[:OLDEST_LIMIT]
    )
    leads_by_vin = _lead_counts_by_vin([v.vin for v in oldest])
    oldest_table = Table(
        "oldest",
        _("Oldest vehicles in stock"),
        [
            _("Stock number"),
            _("Vehicle"),
            _("Status"),
            _("In stock since"),
            _("Days"),
            _("Leads"),
            _("Views (30 days)"),
            _("Views since in stock"),
        ],
        [
            [
                v.stock_number,
                v.title,
                v.get_status_display(),
                v.in_stock_since,
                (today - v.in_stock_since).days,
                leads_by_vin.get(v.vin, 0),
                v.views_recent,
                v.views_in_stock,
            ]
            for v in oldest
        ],
    )

    quiet_since = timezone.now() - datetime.timedelta(days=PRICE_DROP_QUIET_DAYS)
    candidates = (
        in_stock.filter(in_stock_since__lt=since(PRICE_DROP_AFTER_DAYS))
        .exclude(Exists(Lead.objects.filter(vin=OuterRef("vin"), created_at__gte=quiet_since)))
        .exclude(
            Exists(PriceChange.objects.filter(vehicle=OuterRef("pk"), changed_at__gte=quiet_since))
        )
        .order_by("in_stock_since", "pk")
    )
    candidate_table = Table(
        "price_drop_candidates",
        _("Price-drop candidates"),
        [
            _("Stock number"),
            _("Vehicle"),
            _("Days"),
            _("Price"),
            _("Views (30 days)"),
            _("Views since in stock"),
        ],
        [
            [
                v.stock_number,
                v.title,
                (today - v.in_stock_since).days,
                v.price,
                v.views_recent,
                v.views_in_stock,
            ]
            for v in vehicles_with_views(
                candidates.only(
                    "stock_number", "model_year", "make", "model", "in_stock_since", "price", "vin"
                ),
                today=today,
            )[:OLDEST_LIMIT]
        ],
    )
    return {
        "period": period,
        "figures": {**figures, "turnover": turnover, **{f"age_{k}": v for k, v in ages.items()}},
        "tables": [status_table, age_table, turnover_table, oldest_table, candidate_table],
        "charts": [
            chart_from(age_table, label_col=0, value_col=1),
            chart_from(status_table, label_col=0, value_col=1),
        ],
    }


PANELS = {
    "funnel": (gettext_lazy("Sales funnel"), funnel_report),
    "response": (gettext_lazy("Lead response"), response_report),
    "leaderboard": (gettext_lazy("Consultants"), leaderboard_report),
    "inventory": (gettext_lazy("Inventory"), inventory_report),
}

__all__ = ["PANELS", "BarChart", "ReportFilters", "Table"]
