"""The SQL that turns the other apps' rows into per-day figures, used twice: to fill the
summary tables (services.rollup_recompute) and, for the days the summary does not cover yet,
straight in the panels' queries (selectors). One definition, so the two cannot disagree.
The statements are built from model table names and constants only; every value is a bound
parameter (hence the `nosec B608` marks here, in selectors.py and in services.py).

A row's day is its location's calendar day (AT TIME ZONE the location's zone). The stages:
- leads: arrived that day; contacted: of those, reached contacted or a later stage;
  answered / with_target / answered_late: the response clock.
- test_drives: kind "drive" bookings that were completed, on the day they started
  (booked, no-show and cancelled drives are not test drives that happened).
- orders: placed orders on the day they were created: not drafts, and not orders cancelled
  before any payment succeeded (an order cancelled after its deposit was paid still counts).
- delivered: orders delivered (handed over), on the delivery day.
- nps_*: customer survey answers with a score, on the day submitted, for the invitation's
  consultant (the survey trigger copies it from the lead, booking or order).
Source: the lead's; for bookings, orders and answers the customer's ("created from").
"""

import datetime

from django.apps import apps

FIGURES = (
    "leads",
    "contacted",
    "answered",
    "with_target",
    "answered_late",
    "test_drives",
    "orders",
    "delivered",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
)
KEY = ("day", "location_id", "consultant_id", "source")


def _table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def _part(select: str, table: str, alias: str, joins: str, stamp: str, where: str) -> str:
    """One source's rows grouped by the key; `stamp` is the column that dates the row."""
    location = _table("accounts.Location")
    return (
        f"SELECT ({alias}.{stamp} AT TIME ZONE loc.time_zone)::date AS day, "  # nosec B608
        f"{alias}.location_id AS location_id, {select} "
        f"FROM {table} {alias} JOIN {location} loc ON loc.id = {alias}.location_id {joins} "
        f"WHERE {alias}.{stamp} >= %(lo)s AND {alias}.{stamp} < %(hi)s "
        f"AND ({alias}.{stamp} AT TIME ZONE loc.time_zone)::date BETWEEN %(first)s AND %(last)s "
        f"{where} "
        "GROUP BY 1, 2, 3, 4"
    )


def _filters(alias: str, consultant: str, source: str, scoped: bool) -> str:
    if not scoped:
        return ""
    return (
        f"AND {alias}.location_id = ANY(%(locations)s) "
        f"AND (%(source)s = '' OR {source} = %(source)s) "
        f"AND (%(consultant)s::bigint IS NULL OR {consultant} = %(consultant)s::bigint)"
    )


def zero(*names: str) -> str:
    return ", ".join(f"0 AS {n}" for n in names)


# Which source gives which figures (figures_sql reads only the sources a report needs).
PARTS = {
    "leads": ("leads", "contacted", "answered", "with_target", "answered_late"),
    "drives": ("test_drives",),
    "placed": ("orders",),
    "delivered": ("delivered",),
    "answers": ("nps_responses", "nps_promoters", "nps_detractors"),
}


def figures_sql(*, scoped: bool = False, figures: tuple[str, ...] = FIGURES) -> str:
    """SELECT day, location_id, consultant_id, source, <FIGURES…> computed from the sources
    for local days %(first)s..%(last)s (%(lo)s/%(hi)s: a UTC range around them that lets
    the created_at-style indexes narrow the scan). With `scoped`, also only
    %(locations)s, %(source)s ('' = any) and %(consultant)s (NULL = anyone)."""
    lead, booking, order = (
        _table("leads.Lead"),
        _table("testdrives.Booking"),
        _table("orders.Order"),
    )
    payment, invitation = _table("orders.Payment"), _table("surveys.Invitation")
    customer = _table("leads.Customer")
    reached = (
        "l.contacted_at IS NOT NULL OR l.qualified_at IS NOT NULL OR l.appointment_at IS NOT NULL"
        " OR l.negotiation_at IS NOT NULL OR l.won_at IS NOT NULL"
    )
    leads = _part(
        "l.assigned_to_id AS consultant_id, l.source AS source, count(*) AS leads, "
        f"count(*) FILTER (WHERE {reached}) AS contacted, "
        "count(l.first_response_at) AS answered, count(l.response_due_at) AS with_target, "
        "count(*) FILTER (WHERE l.first_response_at > l.response_due_at) AS answered_late, "
        + zero("test_drives", "orders", "delivered", "nps_responses", "nps_promoters")
        + ", 0 AS nps_detractors",
        lead,
        "l",
        "",
        "created_at",
        _filters("l", "l.assigned_to_id", "l.source", scoped),
    )
    lead_zeros = zero("leads", "contacted", "answered", "with_target", "answered_late")
    drives = _part(
        f"b.consultant_id AS consultant_id, c.source AS source, {lead_zeros}, "
        "count(*) AS test_drives, "
        + zero("orders", "delivered", "nps_responses", "nps_promoters", "nps_detractors"),
        booking,
        "b",
        f"JOIN {customer} c ON c.id = b.customer_id",
        "start_at",
        "AND b.kind = 'drive' AND b.status = 'completed' "
        + _filters("b", "b.consultant_id", "c.source", scoped),
    )
    placed = _part(
        f"o.consultant_id AS consultant_id, c.source AS source, {lead_zeros}, "
        "0 AS test_drives, count(*) AS orders, "
        + zero("delivered", "nps_responses", "nps_promoters", "nps_detractors"),
        order,
        "o",
        f"JOIN {customer} c ON c.id = o.customer_id",
        "created_at",
        "AND o.status <> 'draft' AND (o.status <> 'cancelled' OR EXISTS ("  # nosec B608
        f"SELECT 1 FROM {payment} p WHERE p.order_id = o.id AND p.status = 'succeeded')) "
        + _filters("o", "o.consultant_id", "c.source", scoped),
    )
    delivered = _part(
        f"o.consultant_id AS consultant_id, c.source AS source, {lead_zeros}, "
        "0 AS test_drives, 0 AS orders, count(*) AS delivered, "
        + zero("nps_responses", "nps_promoters", "nps_detractors"),
        order,
        "o",
        f"JOIN {customer} c ON c.id = o.customer_id",
        "delivered_at",
        "AND o.status = 'delivered' " + _filters("o", "o.consultant_id", "c.source", scoped),
    )
    answers = _part(
        f"i.consultant_id AS consultant_id, c.source AS source, {lead_zeros}, "
        + zero("test_drives", "orders", "delivered")
        + ", count(*) AS nps_responses, count(*) FILTER (WHERE i.nps_score >= 9) AS nps_promoters,"
        " count(*) FILTER (WHERE i.nps_score <= 6) AS nps_detractors",
        invitation,
        "i",
        f"JOIN {customer} c ON c.id = i.customer_id",
        "submitted_at",
        "AND i.nps_score IS NOT NULL AND i.touchpoint <> 'staff_pulse' "
        + _filters("i", "i.consultant_id", "c.source", scoped),
    )
    sums = ", ".join(f"sum({f})::int AS {f}" for f in FIGURES)
    chosen = {
        "leads": leads,
        "drives": drives,
        "placed": placed,
        "delivered": delivered,
        "answers": answers,
    }
    union = " UNION ALL ".join(
        f"({sql})" for name, sql in chosen.items() if set(PARTS[name]) & set(figures)
    )
    return (
        f"SELECT day, location_id, consultant_id, source, {sums} "  # nosec B608
        f"FROM ({union}) parts GROUP BY day, location_id, consultant_id, source"
    )


def minutes_sql(*, scoped: bool = False) -> str:
    """SELECT day, location_id, consultant_id, source, minutes, leads: the first-response
    histogram computed from the leads (parameters as figures_sql)."""
    return _part(
        "l.assigned_to_id AS consultant_id, l.source AS source, "
        "l.first_response_minutes AS minutes, count(*) AS leads",
        _table("leads.Lead"),
        "l",
        "",
        "created_at",
        "AND l.first_response_minutes IS NOT NULL "
        + _filters("l", "l.assigned_to_id", "l.source", scoped),
    ).replace("GROUP BY 1, 2, 3, 4", "GROUP BY 1, 2, 3, 4, 5")


def day_range_params(first: datetime.date, last: datetime.date) -> dict:
    """The local-day bounds and the UTC range that holds them anywhere (zones are within
    UTC−12 … UTC+14)."""
    return {
        "first": first,
        "last": last,
        "lo": datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
        - datetime.timedelta(hours=14),
        "hi": datetime.datetime.combine(last, datetime.time.min, tzinfo=datetime.UTC)
        + datetime.timedelta(hours=24 + 12),
    }


def unanswered_sql() -> str:
    """Leads without a first response (parameters as figures_sql(scoped=True) and %(now)s):
    new ones now, new ones past their target now, and those of days %(first)s..%(last)s past
    their target now (they count as breaches). Reads the covering partial index
    reports_lead_unanswered alone (an index-only scan): the rows come in its order, which
    makes that index the planner's choice over the narrower lead_unanswered_due."""
    lead, location = _table("leads.Lead"), _table("accounts.Location")
    in_days = (
        "u.created_at >= %(lo)s AND u.created_at < %(hi)s "
        "AND (u.created_at AT TIME ZONE loc.time_zone)::date BETWEEN %(first)s AND %(last)s"
    )
    rows = (
        "SELECT l.location_id, l.created_at, l.status, l.response_due_at "  # nosec B608
        f"FROM {lead} l WHERE l.first_response_at IS NULL "
        + _filters("l", "l.assigned_to_id", "l.source", True)
        + " ORDER BY l.location_id, l.created_at"
    )
    return (
        "SELECT count(*) FILTER (WHERE u.status = 'new') AS now, "  # nosec B608
        "count(*) FILTER (WHERE u.status = 'new' AND u.response_due_at < %(now)s) AS overdue, "
        f"count(*) FILTER (WHERE u.response_due_at < %(now)s AND {in_days}) AS breached "
        f"FROM ({rows}) u JOIN {location} loc ON loc.id = u.location_id"
    )
