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
- reminders_sent: service reminders whose messages went out (queued_at) that day, at the
  car's service branch; reminders_booked: of those, the ones followed by a service booking
  of the car (not cancelled) made within REMINDER_BOOKING_WINDOW (60 days) after. A later
  booking or cancellation changes an old day's figure: services._touched_days finds those
  days through the appointments' created_at and status_changed_at.
Source: the lead's; for bookings, orders and answers the customer's ("created from"); for
reminders '' and consultant NULL (neither applies).
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
    "reminders_sent",
    "reminders_booked",
)
# The figures of the sales dashboards (funnel, response, leaderboard): all but after-sales'.
SALES_FIGURES = FIGURES[: FIGURES.index("reminders_sent")]
# A service booking made this long after a reminder went out counts as the reminder's.
REMINDER_BOOKING_WINDOW = datetime.timedelta(days=60)
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


# Which source gives which figures (figures_sql reads only the sources a report needs).
PARTS = {
    "leads": ("leads", "contacted", "answered", "with_target", "answered_late"),
    "drives": ("test_drives",),
    "placed": ("orders",),
    "delivered": ("delivered",),
    "answers": ("nps_responses", "nps_promoters", "nps_detractors"),
    "reminders": ("reminders_sent", "reminders_booked"),
}


def _counts(consultant: str, source: str, **counts: str) -> str:
    """The select list of one source: its key columns, then every figure in FIGURES order
    (UNION ALL pairs columns by position), 0 for the figures the source does not give."""
    figures = ", ".join(f"{counts.get(f, '0')} AS {f}" for f in FIGURES)
    return f"{consultant} AS consultant_id, {source} AS source, {figures}"


def _reminders_sql(scoped: bool) -> str:
    """Reminders whose messages went out (queued_at) on the day, at the car's service branch,
    and of those the ones followed by a service booking of the car (not cancelled) made
    within REMINDER_BOOKING_WINDOW after it. Consultant NULL and source '': a reminder has
    neither (so a consultant or source filter leaves these rows out)."""
    reminder, owned = _table("aftersales.ServiceReminder"), _table("aftersales.OwnedVehicle")
    appointment = _table("aftersales.ServiceAppointment")
    booked = (
        f"EXISTS (SELECT 1 FROM {appointment} a WHERE a.owned_vehicle_id = r.owned_vehicle_id "  # nosec B608
        "AND a.created_at >= r.queued_at AND a.created_at < r.queued_at + %(booking_window)s "
        "AND a.status <> 'cancelled')"
    )
    cars = (
        f"(SELECT r.queued_at, v.location_id, {booked} AS booked "  # nosec B608
        f"FROM {reminder} r JOIN {owned} v ON v.id = r.owned_vehicle_id "
        "WHERE r.queued_at >= %(lo)s AND r.queued_at < %(hi)s)"
    )
    return _part(
        _counts(
            "NULL::bigint",
            "''",
            reminders_sent="count(*)",
            reminders_booked="count(*) FILTER (WHERE s.booked)",
        ),
        cars,
        "s",
        "",
        "queued_at",
        _filters("s", "NULL::bigint", "''", scoped),
    )


def figures_sql(*, scoped: bool = False, figures: tuple[str, ...] = FIGURES) -> str:
    """SELECT day, location_id, consultant_id, source, <FIGURES…> computed from the sources
    for local days %(first)s..%(last)s (%(lo)s/%(hi)s: a UTC range around them that lets
    the created_at-style indexes narrow the scan; %(booking_window)s: the reminders'
    booking window, see day_range_params). With `scoped`, also only %(locations)s,
    %(source)s ('' = any) and %(consultant)s (NULL = anyone)."""
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
        _counts(
            "l.assigned_to_id",
            "l.source",
            leads="count(*)",
            contacted=f"count(*) FILTER (WHERE {reached})",
            answered="count(l.first_response_at)",
            with_target="count(l.response_due_at)",
            answered_late="count(*) FILTER (WHERE l.first_response_at > l.response_due_at)",
        ),
        lead,
        "l",
        "",
        "created_at",
        _filters("l", "l.assigned_to_id", "l.source", scoped),
    )
    drives = _part(
        _counts("b.consultant_id", "c.source", test_drives="count(*)"),
        booking,
        "b",
        f"JOIN {customer} c ON c.id = b.customer_id",
        "start_at",
        "AND b.kind = 'drive' AND b.status = 'completed' "
        + _filters("b", "b.consultant_id", "c.source", scoped),
    )
    placed = _part(
        _counts("o.consultant_id", "c.source", orders="count(*)"),
        order,
        "o",
        f"JOIN {customer} c ON c.id = o.customer_id",
        "created_at",
        "AND o.status <> 'draft' AND (o.status <> 'cancelled' OR EXISTS ("  # nosec B608
        f"SELECT 1 FROM {payment} p WHERE p.order_id = o.id AND p.status = 'succeeded')) "
        + _filters("o", "o.consultant_id", "c.source", scoped),
    )
    delivered = _part(
        _counts("o.consultant_id", "c.source", delivered="count(*)"),
        order,
        "o",
        f"JOIN {customer} c ON c.id = o.customer_id",
        "delivered_at",
        "AND o.status = 'delivered' " + _filters("o", "o.consultant_id", "c.source", scoped),
    )
    answers = _part(
        _counts(
            "i.consultant_id",
            "c.source",
            nps_responses="count(*)",
            nps_promoters="count(*) FILTER (WHERE i.nps_score >= 9)",
            nps_detractors="count(*) FILTER (WHERE i.nps_score <= 6)",
        ),
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
        "reminders": _reminders_sql(scoped),
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


def nps_months_sql() -> str:
    """SELECT month, location_id, touchpoint, nps_score, invitations: customer survey
    invitations by the calendar month (of their location) they went out in, for local days
    %(first)s..%(last)s (whole months: the caller's; %(lo)s/%(hi)s as figures_sql)."""
    invitation, location = _table("surveys.Invitation"), _table("accounts.Location")
    return (
        "SELECT date_trunc('month', i.created_at AT TIME ZONE loc.time_zone)::date AS month, "  # nosec B608
        "i.location_id, i.touchpoint, i.nps_score, count(*) AS invitations "
        f"FROM {invitation} i JOIN {location} loc ON loc.id = i.location_id "
        "WHERE i.created_at >= %(lo)s AND i.created_at < %(hi)s "
        "AND (i.created_at AT TIME ZONE loc.time_zone)::date BETWEEN %(first)s AND %(last)s "
        "AND i.touchpoint <> 'staff_pulse' GROUP BY 1, 2, 3, 4"
    )


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
        "booking_window": REMINDER_BOOKING_WINDOW,
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
