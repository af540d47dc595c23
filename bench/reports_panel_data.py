"""Data for the orders and finance, after-sales and NPS dashboards in bench_reports: a year of
orders (REPORTS_BENCH_ORDERS, default 100,000) with versions and finance applications, owned
vehicles, service reminders and appointments, recalls, complaints and survey invitations, all
by set-based SQL over the customers, vehicles, locations and consultants bench_reports made.
(Not a benchmark itself: bench/run.py runs bench_*.py only.)"""

import os
import time

from django.db import connection

from bench.bench_reports import _insert

ORDERS = int(os.environ.get("REPORTS_BENCH_ORDERS", "100000"))
OWNED = int(os.environ.get("REPORTS_BENCH_OWNED_VEHICLES", "50000"))
REMINDERS = 4 * OWNED
APPOINTMENTS = 2 * OWNED
COMPLAINTS = OWNED // 2
INVITATIONS = 2 * ORDERS
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


def _orders(locations: str, consultants: str, n_consultants: int) -> None:
    from orders.models import FinanceApplication, Order, OrderVersion

    first_customer, customers = _ids("leads_customer")
    first_vehicle, vehicles = _ids("inventory_vehicle")
    active = "ARRAY[" + ",".join(f"'{s}'" for s in ACTIVE) + "]"
    # r decides the order's fate: 30 % of the first `vehicles` orders are still under way
    # (one live order per car, as the constraint wants), 15 % are cancelled, the rest
    # delivered; 60 % are financed or leased.
    _insert(
        Order,
        {
            "reference": "'SO-B' || g.n",
            "customer_id": f"{first_customer} + g.n % {customers}",
            "vehicle_id": f"{first_vehicle} + g.n % {vehicles}",
            "location_id": f"({locations})[1 + g.n % 5]",
            "consultant_id": f"({consultants})[1 + (g.n * 3) % {n_consultants}]",
            "status": f"CASE WHEN g.n <= {vehicles} AND g.r < 0.30 "
            f"THEN ({active})[1 + g.n % {len(ACTIVE)}] "
            "WHEN g.r > 0.85 THEN 'cancelled' ELSE 'delivered' END",
            "status_changed_at": "g.created + interval '3 days'",
            "payment_type": "(ARRAY['cash','cash','finance','finance','lease'])[1 + g.n % 5]",
            "term_months": "CASE WHEN g.n % 5 < 2 THEN 0 ELSE 48 END",
            "cancel_reason": "CASE WHEN g.r > 0.85 THEN (ARRAY['Found a cheaper car', "
            "'Financing declined', 'Changed my mind', 'Deposit not paid'])[1 + g.n % 4] "
            "ELSE '' END",
            "delivered_at": f"CASE WHEN g.r <= 0.85 AND NOT (g.n <= {vehicles} AND g.r < 0.30) "
            "THEN g.created + interval '14 days' END",
            # Order.deal_total: the accepted version's total (below), as the services keep it.
            "deal_total": "18000 + g.n % 25000 + 0.50",
            "created_at": "g.created",
        },
        "(SELECT n, random() AS r, now() - random() * interval '365 days' AS created "
        f"FROM generate_series(1, {ORDERS}) AS n) AS g",
    )
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


def _invitations(locations: str, consultants: str, n_consultants: int) -> None:
    from surveys.models import Invitation, Survey
    from surveys.services import survey_create_standard

    touchpoints = ("purchase", "test_drive", "delivery", "service")
    surveys = []
    for touchpoint in touchpoints:
        survey = Survey.objects.filter(name=f"Bench {touchpoint}").first()
        surveys.append(
            survey or survey_create_standard(name=f"Bench {touchpoint}", touchpoint=touchpoint)
        )
    first_customer, customers = _ids("leads_customer")
    _insert(
        Invitation,
        {
            "survey_id": f"({_array(s.pk for s in surveys)})[1 + g.n % 4]",
            "touchpoint": "(ARRAY['purchase','test_drive','delivery','service'])[1 + g.n % 4]",
            "source_id": "g.n::text",
            "customer_id": f"{first_customer} + g.n % {customers}",
            "location_id": f"({locations})[1 + g.n % 5]",
            "consultant_id": f"({consultants})[1 + (g.n * 7) % {n_consultants}]",
            "occurred_at": "g.created",
            "dedupe_key": "'bench:' || g.n",
            "status": "CASE WHEN g.r < 0.4 THEN 'completed' ELSE 'sent' END",
            "created_at": "g.created",
            "expires_at": "g.created + interval '14 days'",
            "submitted_at": "CASE WHEN g.r < 0.4 THEN g.created + interval '1 day' END",
            "nps_score": "CASE WHEN g.r < 0.4 THEN floor(g.r * 27.5)::int END",
        },
        "(SELECT n, random() AS r, now() - random() * interval '365 days' AS created "
        f"FROM generate_series(1, {INVITATIONS}) AS n) AS g",
    )


def generate(*, location_ids: list[int]) -> None:
    from dealership.accounts.models import User

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE aftersales_recallcampaign, surveys_invitation CASCADE")
    consultant_ids = list(
        User.objects.filter(username__startswith="bench-consultant-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locations, consultants = _array(location_ids), _array(consultant_ids)
    _orders(locations, consultants, len(consultant_ids))
    _aftersales(locations)
    _invitations(locations, consultants, len(consultant_ids))
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
    print(
        f"generated {ORDERS:,} orders, {OWNED:,} owned vehicles, {REMINDERS:,} reminders, "
        f"{APPOINTMENTS:,} service appointments, {COMPLAINTS:,} complaints, "
        f"{INVITATIONS:,} survey invitations in {time.perf_counter() - started:.1f} s",
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
    "aftersales": """
        SELECT count(*) FROM aftersales_servicereminder r
        JOIN aftersales_ownedvehicle v ON v.id = r.owned_vehicle_id
        WHERE v.location_id = ANY(%s) AND r.queued_at >= %s AND r.queued_at < %s
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
