"""The managers' figures. Reads only: every aggregate is one SQL query over the other apps'
tables (COUNT … FILTER, percentile_cont), scoped to the locations the user may see.

Panels wired to data on main: the sales funnel (leads), lead response (leads), the consultant
leaderboard (leads) and inventory (vehicles, price changes, leads per VIN).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealership.accounts.models import Location, User
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_for_user
from inventory.models import PriceChange, Vehicle
from leads.models import Lead

from .aggregates import percentiles_by
from .periods import Period
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


def _leads(location_ids: list[int], filters: ReportFilters) -> QuerySet[Lead]:
    qs = Lead.objects.filter(location__in=location_ids)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.consultant_id is not None:
        qs = qs.filter(assigned_to=filters.consultant_id)
    return qs.order_by()


def _created_in(qs: QuerySet[Lead], period: Period) -> QuerySet[Lead]:
    return qs.filter(created_at__gte=period.start, created_at__lt=period.end)


def _ratio(part, whole, places: str = "0.1") -> Decimal | None:
    """part / whole as a percentage, rounded once (None when there is no whole)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(places), ROUND_HALF_UP)


def _minutes(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- Sales funnel ---------------------------------------------------------------------------

# Each stage counts the period's leads that reached it or any later stage.
FUNNEL_STAGES = (
    ("leads", gettext_lazy("Leads"), Q()),
    (
        "contacted",
        gettext_lazy("Contacted"),
        Q(contacted_at__isnull=False)
        | Q(qualified_at__isnull=False)
        | Q(appointment_at__isnull=False)
        | Q(negotiation_at__isnull=False)
        | Q(won_at__isnull=False),
    ),
    (
        "qualified",
        gettext_lazy("Qualified"),
        Q(qualified_at__isnull=False)
        | Q(appointment_at__isnull=False)
        | Q(negotiation_at__isnull=False)
        | Q(won_at__isnull=False),
    ),
    (
        "appointment",
        gettext_lazy("Appointment / test drive"),
        Q(appointment_at__isnull=False) | Q(negotiation_at__isnull=False) | Q(won_at__isnull=False),
    ),
    ("won", gettext_lazy("Won (order)"), Q(won_at__isnull=False)),
)


def funnel_counts(qs: QuerySet[Lead]) -> dict[str, int]:
    """One query: how many of the leads reached each stage."""
    return qs.aggregate(
        **{key: Count("pk", filter=q) if q else Count("pk") for key, _label, q in FUNNEL_STAGES}
    )


def funnel_report(*, user: User, filters: ReportFilters) -> dict:
    """Leads of the period through the stages, conversion from the stage before and from the
    first stage, and the same counts for the previous period of equal length."""
    period = _period(user, filters)
    base = _leads(_location_ids(user, filters), filters)
    now_counts = funnel_counts(_created_in(base, period))
    before = funnel_counts(_created_in(base, period.previous()))
    table = Table(
        "funnel",
        _("Sales funnel"),
        [
            _("Stage"),
            _("Leads"),
            _("Conversion from previous stage (%)"),
            _("Conversion from leads (%)"),
            _("Previous period"),
            _("Change"),
        ],
    )
    previous_key = None
    for key, label, _q in FUNNEL_STAGES:
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
    *, user: User, filters: ReportFilters, now: datetime.datetime | None = None
) -> dict:
    """First response in business minutes (median, 90th percentile), the share of the
    period's leads that missed their response target, and leads unanswered right now."""
    now = now or timezone.now()
    period = _period(user, filters)
    base = _leads(_location_ids(user, filters), filters)
    in_period = _created_in(base, period)
    late = Q(response_due_at__isnull=False) & (
        Q(first_response_at__gt=F("response_due_at"))
        | Q(first_response_at__isnull=True, response_due_at__lt=now)
    )
    counts = in_period.aggregate(
        leads=Count("pk"),
        answered=Count("pk", filter=Q(first_response_at__isnull=False)),
        with_target=Count("pk", filter=Q(response_due_at__isnull=False)),
        breached=Count("pk", filter=late),
    )
    median, p90 = percentiles_by(in_period, field="first_response_minutes", fractions=(0.5, 0.9))[
        None
    ]
    unanswered = base.filter(status=Lead.Status.NEW, first_response_at__isnull=True).aggregate(
        now=Count("pk"), overdue=Count("pk", filter=Q(response_due_at__lt=now))
    )
    figures = {
        "leads": counts["leads"],
        "answered": counts["answered"],
        "median_minutes": _minutes(median),
        "p90_minutes": _minutes(p90),
        "breached": counts["breached"],
        "breach_rate": _ratio(counts["breached"], counts["with_target"]),
        "unanswered_now": unanswered["now"],
        "unanswered_overdue": unanswered["overdue"],
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
    return {"period": period, "figures": figures, "tables": [table], "charts": []}


# --- Consultant leaderboard -----------------------------------------------------------------


def leaderboard_report(*, user: User, filters: ReportFilters) -> dict:
    """Per assigned consultant: leads, median first response, appointments and won leads of
    the period, best first. Two queries whatever the number of consultants."""
    period = _period(user, filters)
    in_period = _created_in(_leads(_location_ids(user, filters), filters), period).filter(
        assigned_to__isnull=False
    )
    rows = list(
        in_period.values(
            "assigned_to",
            "assigned_to__first_name",
            "assigned_to__last_name",
            "assigned_to__username",
        ).annotate(
            leads=Count("pk"),
            answered=Count("pk", filter=Q(first_response_at__isnull=False)),
            appointments=Count("pk", filter=FUNNEL_STAGES[3][2]),
            won=Count("pk", filter=Q(won_at__isnull=False)),
        )
    )
    medians = percentiles_by(
        in_period, field="first_response_minutes", fractions=(0.5,), group="assigned_to"
    )
    rows.sort(
        key=lambda r: (
            -r["won"],
            -r["appointments"],
            -r["leads"],
            r["assigned_to__last_name"],
            r["assigned_to"],
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
            _("Appointments / test drives"),
            _("Won (orders)"),
            _("Win rate (%)"),
        ],
    )
    for r in rows:
        name = f"{r['assigned_to__first_name']} {r['assigned_to__last_name']}".strip()
        table.rows.append(
            [
                name or r["assigned_to__username"],
                r["leads"],
                r["answered"],
                _minutes(medians.get(r["assigned_to"], [None])[0]),
                r["appointments"],
                r["won"],
                _ratio(r["won"], r["leads"]),
            ]
        )
    return {
        "period": period,
        "tables": [table],
        "charts": [chart_from(table, label_col=0, value_col=5, title=_("Won leads by consultant"))],
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
    stock at its start and end); the oldest vehicles with their leads; price-drop candidates
    (in stock over 60 days, no lead and no price change in the last 30)."""
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
        in_stock.order_by("in_stock_since", "pk").only(
            "stock_number", "model_year", "make", "model", "status", "in_stock_since", "vin"
        )[:OLDEST_LIMIT]
    )
    leads_by_vin = _lead_counts_by_vin([v.vin for v in oldest])
    oldest_table = Table(
        "oldest",
        _("Oldest vehicles in stock"),
        [_("Stock number"), _("Vehicle"), _("Status"), _("In stock since"), _("Days"), _("Leads")],
        [
            [
                v.stock_number,
                v.title,
                v.get_status_display(),
                v.in_stock_since,
                (today - v.in_stock_since).days,
                leads_by_vin.get(v.vin, 0),
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
        .order_by("in_stock_since", "pk")[:OLDEST_LIMIT]
    )
    candidate_table = Table(
        "price_drop_candidates",
        _("Price-drop candidates"),
        [_("Stock number"), _("Vehicle"), _("Days"), _("Price")],
        [
            [v.stock_number, v.title, (today - v.in_stock_since).days, v.price]
            for v in candidates.only(
                "stock_number", "model_year", "make", "model", "in_stock_since", "price", "vin"
            )
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
