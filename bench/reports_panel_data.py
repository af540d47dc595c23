"""Data for the orders and finance, after-sales and NPS dashboards in bench_reports, by
set-based SQL over what bench_reports made. It makes no orders of its own: bench_reports'
_sales made the year of orders (REPORTS_BENCH_ORDERS, default 100,000; statuses, payment types,
delivery dates, deposits) that every panel reads, and this adds to each of them an accepted
version with the deal's total and, when financed or leased, a finance application, plus two
survey invitations per order (the order's customer, location and consultant; four
touchpoints, two in five answered with a score). Then owned vehicles
(REPORTS_BENCH_OWNED_VEHICLES, default 50,000), service reminders and appointments, recalls
and complaints. (Not a benchmark itself: bench/run.py runs bench_*.py only.)"""

import os
import time

from django.db import connection

from bench.bench_reports import _insert

OWNED = int(os.environ.get("REPORTS_BENCH_OWNED_VEHICLES", "50000"))
REMINDERS = 4 * OWNED
APPOINTMENTS = 2 * OWNED
COMPLAINTS = OWNED // 2
INVITATIONS_PER_ORDER = 2
CAMPAIGNS = 20

ACTIVE = (
    "submitted",
    "deposit_paid",
    "finance_pending",
    "finance_approved",
    "contract_sent",
    "contract_signed",
    "ready_for_delivery",
)


def _ids(table: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        # Table names are this module's constants.
        cursor.execute(f"SELECT min(id), count(*) FROM {table}")  # nosec B608
        return cursor.fetchone()


def _array(values) -> str:
    return "ARRAY[" + ",".join(str(v) for v in values) + "]"


def _order_details() -> None:
    """An accepted version (the deal's total) for every order bench_reports made, and a
    finance application for each financed or leased one."""
    from orders.models import FinanceApplication, OrderVersion

    _insert(
        OrderVersion,
        {
            "order_id": "o.id",
            "number": "1",
            "breakdown": "jsonb_build_object('total', o.deal_total::text)",
            "reason": "''",
            "created_at": "o.created_at",
            "accepted_at": "o.created_at",
        },
        "orders_order AS o",
    )
    _insert(
        FinanceApplication,
        {
            "order_id": "o.id",
            "employment_status": "'employed'",
            "housing_cost": "900",
            "credit_check_consent_wording": "'I agree to a credit check.'",
            "credit_check_consent_at": "o.created_at",
            "decision": "(ARRAY['approved','approved','approved','declined','counter_offer',"
            "'pending'])[1 + o.id % 6]",
            "submitted_at": "o.created_at",
        },
        "orders_order AS o WHERE o.payment_type <> 'cash'",
    )


def _aftersales(locations: str) -> None:
    from aftersales.models import (
        Complaint,
        MaintenancePlan,
        OwnedVehicle,
        RecallCampaign,
        RecallVehicle,
        ServiceAppointment,
        ServiceItem,
        ServiceReminder,
    )

    plan, _ = MaintenancePlan.objects.get_or_create(name="Bench plan")
    item, _ = ServiceItem.objects.get_or_create(
        plan=plan, name="Annual service", defaults={"interval_months": 12}
    )
    first_customer, customers = _ids("leads_customer")
    _insert(
        OwnedVehicle,
        {
            "customer_id": f"{first_customer} + n % {customers}",
            "location_id": f"({locations})[1 + n % 5]",
            "vin": "'BOWN' || lpad(n::text, 13, '0')",
            "make": "'Volkswagen'",
            "model": "'Golf'",
            "delivered_on": "current_date - (n % 1500)",
            "origin": "'ours'",
            "first_odometer_on": "current_date - (n % 1500)",
            "odometer_on": "current_date",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"generate_series(1, {OWNED}) AS n",
    )
    first_owned, owned = _ids("aftersales_ownedvehicle")
    car = f"{first_owned} + g.n % {owned}"
    _insert(
        ServiceReminder,
        {
            "owned_vehicle_id": car,
            "item_id": str(item.pk),
            "due_on": "current_date + (g.n % 97)",
            "number": "1 + g.n % 2",
            "created_at": "g.sent",
            "queued_at": "g.sent",
        },
        "(SELECT n, now() - random() * interval '365 days' AS sent "
        f"FROM generate_series(1, {REMINDERS}) AS n) AS g",
    )
    _insert(
        ServiceAppointment,
        {
            "owned_vehicle_id": car,
            "customer_id": f"(SELECT customer_id FROM aftersales_ownedvehicle WHERE id = {car})",
            "location_id": f"(SELECT location_id FROM aftersales_ownedvehicle WHERE id = {car})",
            "day": "g.booked::date + 7",
            "drop_off_at": "g.booked + interval '7 days'",
            "handover": "'drop_off'",
            "status": "(ARRAY['completed','completed','completed','cancelled','booked'])"
            "[1 + g.n % 5]",
            "booked_via": "(ARRAY['reminder','website','staff'])[1 + g.n % 3]",
            "created_at": "g.booked",
            "updated_at": "g.booked",
        },
        "(SELECT n, now() - random() * interval '365 days' AS booked "
        f"FROM generate_series(1, {APPOINTMENTS}) AS n) AS g",
    )
    campaigns = [
        RecallCampaign.objects.get_or_create(
            code=f"BENCH-{i}",
            defaults={"title": f"Campaign {i}", "description": "-", "remedy": "-"},
        )[0].pk
        for i in range(CAMPAIGNS)
    ]
    _insert(
        RecallVehicle,
        {
            "campaign_id": f"({_array(campaigns)})[1 + n % {CAMPAIGNS}]",
            "vin": "'BOWN' || lpad(n::text, 13, '0')",
            "owned_vehicle_id": f"{first_owned} + n - 1",
            "notified_at": "CASE WHEN n % 3 > 0 THEN now() - interval '60 days' END",
            "remedied_at": "CASE WHEN n % 2 = 0 THEN now() - (n % 300) * interval '1 day' END",
        },
        f"generate_series(1, {min(OWNED, 20000)}) AS n",
    )
    _insert(
        Complaint,
        {
            "customer_id": f"{first_customer} + g.n % {customers}",
            "location_id": f"({locations})[1 + g.n % 5]",
            "channel": "'phone'",
            "category": "'service'",
            "severity": "'medium'",
            "subject": "'Bench complaint'",
            "description": "'-'",
            "status": "CASE WHEN g.n % 10 = 0 THEN 'in_progress' ELSE 'resolved' END",
            "target_at": "g.created + interval '5 days'",
            "resolved_at": "CASE WHEN g.n % 10 > 0 "
            "THEN g.created + random() * interval '20 days' END",
            "created_at": "g.created",
        },
        "(SELECT n, now() - random() * interval '365 days' AS created "
        f"FROM generate_series(1, {COMPLAINTS}) AS n) AS g",
    )


def _invitations() -> None:
    """Two invitations per order, sent after it for its customer, location and consultant (so
    the NPS panel and the leaderboard's NPS agree with the orders), over four touchpoints;
    two in five answered with a score."""
    from surveys.models import Invitation, Survey
    from surveys.services import survey_create_standard

    touchpoints = ("purchase", "test_drive", "delivery", "service")
    surveys = []
    for touchpoint in touchpoints:
        survey = Survey.objects.filter(touchpoint=touchpoint, is_active=True).first()
        surveys.append(
            survey or survey_create_standard(name=f"Bench {touchpoint}", touchpoint=touchpoint)
        )
    sent = "least(g.created_at + interval '1 day' * (1 + 6 * g.k), now())"
    answered = f"least({sent} + interval '20 hours', now())"
    _insert(
        Invitation,
        {
            "survey_id": f"({_array(s.pk for s in surveys)})[1 + g.t]",
            "touchpoint": f"({_array(repr(t) for t in touchpoints)})[1 + g.t]",
            "source_id": "g.id::text",
            "customer_id": "g.customer_id",
            "location_id": "g.location_id",
            "consultant_id": "g.consultant_id",
            "occurred_at": sent,
            "dedupe_key": "'bench:' || g.id || ':' || g.k",
            "status": "CASE WHEN g.r < 0.4 THEN 'completed' ELSE 'sent' END",
            "created_at": sent,
            "expires_at": f"{sent} + interval '14 days'",
            "submitted_at": f"CASE WHEN g.r < 0.4 THEN {answered} END",
            "first_answer_at": f"CASE WHEN g.r < 0.4 THEN {answered} END",
            "nps_score": "CASE WHEN g.r < 0.4 THEN floor(g.r * 27.5)::int END",
            "token_hash": "NULL",
        },
        "(SELECT o.id, o.customer_id, o.location_id, o.consultant_id, o.created_at, k, "
        f"mod(o.id * {INVITATIONS_PER_ORDER} + k, {len(touchpoints)}) AS t, random() AS r "
        f"FROM orders_order o CROSS JOIN generate_series(0, {INVITATIONS_PER_ORDER - 1}) AS k) "
        "AS g",
        order=sent,
    )


def generate(*, location_ids: list[int]) -> None:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE aftersales_recallcampaign, surveys_invitation CASCADE")
    locations = _array(location_ids)
    _order_details()
    _aftersales(locations)
    _invitations()
    with connection.cursor() as cursor:
        for table in (
            "orders_order",
            "orders_orderversion",
            "orders_financeapplication",
            "aftersales_ownedvehicle",
            "aftersales_servicereminder",
            "aftersales_serviceappointment",
            "aftersales_recallvehicle",
            "aftersales_complaint",
            "surveys_invitation",
        ):
            cursor.execute(f"ANALYZE {table}")  # nosec B608
    counts = {}
    with connection.cursor() as cursor:
        for table in ("orders_orderversion", "orders_financeapplication", "surveys_invitation"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # nosec B608
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(nps_score) FROM surveys_invitation")
        answers = cursor.fetchone()[0]
    print(
        f"added {counts['orders_orderversion']:,} order versions, "
        f"{counts['orders_financeapplication']:,} finance applications to the orders; "
        f"{OWNED:,} owned vehicles, {REMINDERS:,} reminders, "
        f"{APPOINTMENTS:,} service appointments, {COMPLAINTS:,} complaints, "
        f"{counts['surveys_invitation']:,} survey invitations ({answers:,} answered) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def explain_panels(panels, names, *, user, filters) -> None:
    """Each query of the named panels over the year, with its time and the plan's top line."""
    from django.test.utils import CaptureQueriesContext

    for name in names:
        with CaptureQueriesContext(connection) as captured:
            panels[name][1](user=user, filters=filters)
        print(f"\nQueries of the {name} panel (1 year):")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "set_config" in sql:
                continue
            with connection.cursor() as cursor:
                # The SQL was just run by the ORM, parameters inlined by Django's capture.
                cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql)  # nosec B608
                plan = [line for (line,) in cursor.fetchall()]
            top = next((line.strip() for line in plan if "->" in line), plan[0].strip())
            print(f"  {float(query['time']) * 1000:8.1f} ms  {sql[:90]}…")
            print(f"             {plan[0].strip()[:110]}")
            print(f"             {top[:110]} | {plan[-1].strip()}")


# The cheapest way to read the rows each new panel reads: one hand-written statement over the
# year, the floor its page and queries are compared with.
PANEL_FLOORS = {
    "orders": """
        SELECT status, payment_type, count(*) FROM orders_order
        WHERE location_id = ANY(%s) AND created_at >= %s AND created_at < %s
          AND status <> 'draft'
        GROUP BY 1, 2
    """,
    # The rows the after-sales panel reads: the reminder rows of the daily summary (reports
    # 0004's partial index), the cars' recalls and the complaints, each counted once.
    "aftersales": """
        WITH p(locations, start_at, end_at) AS (SELECT %s::bigint[], %s::timestamptz,
                                                       %s::timestamptz)
        SELECT
          (SELECT sum(reminders_sent) FROM reports_dailyfigures, p
           WHERE reminders_sent > 0 AND location_id = ANY(p.locations)
             AND day BETWEEN p.start_at::date AND p.end_at::date),
          (SELECT count(*) FROM aftersales_recallvehicle rv
           JOIN aftersales_ownedvehicle v ON v.id = rv.owned_vehicle_id, p
           WHERE v.location_id = ANY(p.locations) AND rv.remedied_at IS NULL),
          (SELECT count(*) FROM aftersales_complaint c, p
           WHERE c.location_id = ANY(p.locations) AND c.resolved_at >= p.start_at
             AND c.resolved_at < p.end_at)
    """,
    "nps": """
        SELECT count(*) FILTER (WHERE nps_score >= 9), count(*) FILTER (WHERE nps_score <= 6),
               count(nps_score)
        FROM surveys_invitation
        WHERE location_id = ANY(%s) AND created_at >= %s AND created_at < %s
    """,
}


def measure_floors(panels, location_ids, start, end, *, repeat: int) -> dict:
    from bench.common import measure, report

    floors = {}
    for name, sql in PANEL_FLOORS.items():
        if name not in panels:
            continue

        def run(sql=sql):
            with connection.cursor() as cursor:
                cursor.execute(sql, [location_ids, start, end])
                return cursor.fetchall()

        floors[name] = measure(f"{name}: hand-written SQL (floor)", run, repeat=repeat)
        report(floors[name])
    return floors
