"""The managers' dashboards over a year of data: REPORTS_BENCH_LEADS leads (default 1,000,000)
and REPORTS_BENCH_ORDERS orders (default 100,000) at 5 locations with 50 consultants, plus
REPORTS_BENCH_DRIVES test-drive bookings (default 120,000), REPORTS_BENCH_VEHICLES vehicles
(default 20,000), and through bench/reports_panel_data.py the orders' versions and finance
applications, two survey invitations per order (two in five answered), and the after-sales
data (REPORTS_BENCH_OWNED_VEHICLES owned vehicles, default 50,000). Generated with set-based SQL
(INSERT … SELECT generate_series), then the summary tables are backfilled (timed).

Prints p50/p95 of each dashboard page (the whole request: access check, filter form, every
query, template) and of each report's queries alone, with DEBUG off as production runs; the
funnel's ratio to the floor: the same figures by one hand-written SQL statement over the
summary table (and, for scale, the same by hand-written SQL over the source tables); each
orders, after-sales and NPS panel's ratio to its own hand-written floor; the EXPLAIN of each
panel's main statements; and the load average of the shared machine.

One set of orders serves every panel: _sales makes them (statuses, payment types, delivery
dates, deposits); bench/reports_panel_data.py adds their accepted versions, finance
applications and survey invitations, and the after-sales data.
REPORTS_BENCH_PANELS=orders,nps times only those panels (the funnel floor always runs).

The branches keep Europe/Berlin time. Run with TIME_ZONE=Europe/Berlin (a group whose reports
keep its branches' calendar) to measure the NPS months from their summary (NpsMonthly); with
the default UTC the NPS panel counts every invitation of both periods (a Berlin month is not
a UTC month), as a group whose branches span several zones does.
"""

import datetime
import os
import time
import zoneinfo

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.common import measure, report

LEADS = int(os.environ.get("REPORTS_BENCH_LEADS", "1000000"))
VEHICLES = int(os.environ.get("REPORTS_BENCH_VEHICLES", "20000"))
ORDERS = int(os.environ.get("REPORTS_BENCH_ORDERS", "100000"))
DRIVES = int(os.environ.get("REPORTS_BENCH_DRIVES", "120000"))
LOCATIONS = 5
CONSULTANTS = 50
REPEAT = int(os.environ.get("REPORTS_BENCH_REPEAT", "10"))


def _defaults_for(model, explicit: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Column names and SQL expressions: ours where given, else each field's default (so
    columns added by other apps later still get a value)."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        columns.append(f'"{field.column}"')
        if field.column in explicit:
            # Our expressions have no placeholders: their modulo signs are escaped.
            expressions.append(explicit[field.column].replace("%", "%%"))
        elif field.null:
            expressions.append("NULL")
        else:
            default = field.get_default()
            expressions.append("%s")
            params.append(field.get_db_prep_save(default, connection))
    return columns, expressions, params


def _insert(model, explicit: dict[str, str], series: str, order: str = "") -> None:
    """INSERT … SELECT over `series`; `order`: rows arrive in time order, as they do live
    (the table is then physically ordered by time, as a real one is)."""
    columns, expressions, params = _defaults_for(model, explicit)
    # Table, columns and expressions are this module's constants; values go as parameters.
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # nosec B608
        f"SELECT {', '.join(expressions)} FROM {series}" + (f" ORDER BY {order}" if order else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _setup():
    from django.contrib.auth.models import Group

    from dealership.accounts.models import Location, OpeningHours, User
    from dealership.accounts.roles import Role
    from inventory.models import Vehicle
    from leads.models import Customer, Lead

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_lead, leads_customer, inventory_vehicle, reports_dailyfigures, "
            "reports_responseminutes, reports_rollupstate CASCADE"
        )
    locations = []
    for i in range(LOCATIONS):
        location, _ = Location.objects.get_or_create(
            slug=f"bench-{i}",
            defaults={
                "name": f"Bench {i}",
                "street": "Street 1",
                "postal_code": "04107",
                "city": "Leipzig",
                "country": "DE",
                "phone": "+49 341 555 0100",
                "email": f"bench{i}@example.de",
                "time_zone": "Europe/Berlin",
                "sales_tax_rate": 19,
            },
        )
        for weekday in range(5):
            OpeningHours.objects.get_or_create(
                location=location,
                weekday=weekday,
                defaults={"opens": datetime.time(9), "closes": datetime.time(18)},
            )
        locations.append(location)
    consultant_group, _ = Group.objects.get_or_create(name=Role.CONSULTANT.value)
    consultants = []
    for i in range(CONSULTANTS):
        user, _ = User.objects.get_or_create(
            username=f"bench-consultant-{i}",
            defaults={"is_staff": True, "first_name": "C", "last_name": str(i)},
        )
        user.groups.add(consultant_group)
        user.locations.set([locations[i % LOCATIONS]])
        consultants.append(user)
    manager, _ = User.objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True, "email": "m@example.de"}
    )
    manager.groups.add(Group.objects.get_or_create(name=Role.SALES_MANAGER.value)[0])
    manager.locations.set(locations)

    location_ids = "ARRAY[" + ",".join(str(loc.pk) for loc in locations) + "]"
    consultant_ids = "ARRAY[" + ",".join(str(u.pk) for u in consultants) + "]"
    customers = max(LEADS // 5, 1)
    _insert(
        Customer,
        {
            "first_name": "'Bench'",
            "last_name": "'Customer ' || n",
            "email": "'c' || n || '@example.de'",
            "location_id": f"({location_ids})[1 + n % {LOCATIONS}]",
            "source": "'website'",
            "created_at": "now() - interval '400 days'",
            "updated_at": "now()",
        },
        f"generate_series(1, {customers}) AS n",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM leads_customer")
        first_customer = cursor.fetchone()[0]
    # r decides how far each lead got: 80 % contacted, 50 % qualified, 30 % appointment,
    # 10 % won, 15 % lost; 3 % still new and unanswered.
    stage = "g.created + interval '1 day' * {k}"
    explicit = {
        "customer_id": f"{first_customer} + (g.n % {customers})",
        "location_id": f"({location_ids})[1 + g.n % {LOCATIONS}]",
        "source": "(ARRAY['website','phone','walk_in','marketplace'])[1 + g.n % 4]",
        "type": "'vehicle_enquiry'",
        "status": "CASE WHEN g.r < 0.10 THEN 'won' WHEN g.r < 0.30 THEN 'appointment' "
        "WHEN g.r < 0.50 THEN 'qualified' WHEN g.r < 0.80 THEN 'contacted' "
        "WHEN g.r < 0.97 THEN 'lost' ELSE 'new' END",
        "lost_reason": "CASE WHEN g.r >= 0.80 AND g.r < 0.97 THEN 'price' ELSE '' END",
        "vin": "''",
        "assigned_to_id": f"({consultant_ids})[1 + (g.n * 7) % {CONSULTANTS}]",
        "response_due_at": "g.created + interval '15 minutes'",
        "first_response_at": "CASE WHEN g.r < 0.97 THEN g.created + g.wait END",
        "first_response_minutes": "CASE WHEN g.r < 0.97 "
        "THEN (extract(epoch FROM g.wait) / 60)::int END",
        "contacted_at": f"CASE WHEN g.r < 0.80 THEN {stage.format(k=1)} END",
        "qualified_at": f"CASE WHEN g.r < 0.50 THEN {stage.format(k=2)} END",
        "appointment_at": f"CASE WHEN g.r < 0.30 THEN {stage.format(k=3)} END",
        "won_at": f"CASE WHEN g.r < 0.10 THEN {stage.format(k=5)} END",
        "lost_at": f"CASE WHEN g.r >= 0.80 AND g.r < 0.97 THEN {stage.format(k=4)} END",
        "created_at": "g.created",
        "updated_at": "g.created",
    }
    # LEADS is an integer from the environment, no input.
    series = (
        "(SELECT n, random() AS r, now() - random() * interval '365 days' AS created, "  # nosec B608
        "random() * interval '90 minutes' AS wait "
        f"FROM generate_series(1, {LEADS}) AS n) AS g"
    )
    _insert(Lead, explicit, series, order="g.created")
    _insert(
        Vehicle,
        {
            "vin": "'BENCH' || lpad(n::text, 12, '0')",
            "stock_number": "'B' || n",
            "slug": "'bench-' || n",
            "location_id": f"({location_ids})[1 + n % {LOCATIONS}]",
            "condition": "'used'",
            "make": "'Volkswagen'",
            "model": "'Golf'",
            "model_year": "2022",
            "body_type": "'hatchback'",
            "fuel": "'petrol'",
            "transmission": "'manual'",
            "drivetrain": "'fwd'",
            "exterior_colour": "'blue'",
            "list_price": "15000 + n % 20000",
            "status": "CASE WHEN n % 3 = 0 THEN 'sold' ELSE 'available' END",
            "in_stock_since": "current_date - (n % 400)",
            "sold_at": "CASE WHEN n % 3 = 0 THEN now() - (n % 300) * interval '1 day' END",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"generate_series(1, {VEHICLES}) AS n",
    )
    _sales(first_customer, customers, location_ids, consultant_ids)
    with connection.cursor() as cursor:
        for table in (
            "leads_lead",
            "leads_customer",
            "inventory_vehicle",
            "orders_order",
            "orders_payment",
            "testdrives_booking",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"generated {LEADS:,} leads, {customers:,} customers, {VEHICLES:,} vehicles, "
        f"{ORDERS:,} orders, {DRIVES:,} test drives "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return manager, [loc.pk for loc in locations]


def _sales(first_customer: int, customers: int, location_ids: str, consultant_ids: str) -> None:
    """Orders, deposits and test drives over the same year: the one set of orders every
    panel reads (bench/reports_panel_data.py adds their versions, finance applications and
    survey invitations; it makes no orders of its own)."""
    from bench.reports_panel_data import ACTIVE
    from orders.models import Order, Payment
    from testdrives.models import Booking

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM inventory_vehicle")
        first_vehicle = cursor.fetchone()[0]
    customer = f"{first_customer} + (n * 13) % {customers}"
    location = f"({location_ids})[1 + n % {LOCATIONS}]"
    # A consultant works at one location: the i-th consultant at location i % LOCATIONS.
    consultant = f"({consultant_ids})[1 + (n % {LOCATIONS}) + {LOCATIONS} * ((n / 7) % 10)]"
    # 10 % cancelled (half of them after the deposit was paid), 10 % still under way in one
    # of the live statuses (one live order per car: only the first VEHICLES orders may be),
    # the rest delivered. 60 % financed or leased; (n / 10) spreads the payment types and
    # cancel reasons independently of the status (n % 10) and the location (n % 5).
    active = "ARRAY[" + ",".join(f"'{s}'" for s in ACTIVE) + "]"
    live = f"n % 10 IN (1, 2) AND n <= {VEHICLES}"
    _insert(
        Order,
        {
            "reference": "'B' || lpad(n::text, 10, '0')",
            "customer_id": customer,
            "vehicle_id": f"{first_vehicle} + n % {VEHICLES}",
            "location_id": location,
            "consultant_id": consultant,
            "status": f"CASE WHEN n % 10 = 0 THEN 'cancelled' "
            f"WHEN {live} THEN ({active})[1 + (n / 10) % {len(ACTIVE)}] ELSE 'delivered' END",
            "status_changed_at": "CASE WHEN n % 10 = 0 THEN o.created + interval '3 days' "
            "ELSE o.created END",
            "payment_type": "(ARRAY['cash','cash','finance','finance','lease'])[1 + (n / 10) % 5]",
            "term_months": "CASE WHEN (n / 10) % 5 < 2 THEN 0 ELSE 48 END",
            "cancel_reason": "CASE WHEN n % 10 = 0 THEN (ARRAY['Found a cheaper car', "
            "'Financing declined', 'Changed my mind', 'Deposit not paid'])[1 + (n / 10) % 4] "
            "ELSE '' END",
            "delivered_at": f"CASE WHEN n % 10 = 0 OR ({live}) "
            "THEN NULL ELSE o.created + interval '10 days' END",
            # Order.deal_total: the accepted version's total (reports_panel_data copies it into
            # the version's breakdown), as the orders services keep it.
            "deal_total": "18000 + n % 25000 + 0.50",
            "created_at": "o.created",
        },
        # A car is handed over 10 days after the order: orders up to 10 days ago.
        "(SELECT n, now() - interval '10 days' - random() * interval '355 days' AS created "
        f"FROM generate_series(1, {ORDERS}) AS n) AS o",
        order="o.created",
    )
    # A paid deposit on every 20th order (all of them cancelled: n % 10 = 0), found by its
    # reference: the orders went in by time, so ids do not follow n.
    _insert(
        Payment,
        {
            "order_id": "p.id",
            "kind": "'deposit'",
            "provider": "'bench'",
            "amount": "500",
            "currency": "'EUR'",
            "status": "'succeeded'",
            "idempotency_key": "'bench-' || p.n",
            "created_at": "p.created_at + interval '1 day'",
        },
        "(SELECT id, created_at, substr(reference, 2)::int AS n FROM orders_order "
        "WHERE left(reference, 1) = 'B' AND mod(substr(reference, 2)::int, 20) = 0) AS p",
    )
    # Each consultant's drives an hour apart (the exclusion constraints), 8 a day.
    _insert(
        Booking,
        {
            "kind": "'drive'",
            "location_id": f"({location_ids})[1 + (n % {CONSULTANTS}) % {LOCATIONS}]",
            "vehicle_id": f"{first_vehicle} + n % {VEHICLES}",
            "consultant_id": f"({consultant_ids})[1 + n % {CONSULTANTS}]",
            "customer_id": customer,
            "start_at": "b.start",
            "end_at": "b.start + interval '45 minutes'",
            "busy_until": "b.start + interval '1 hour'",
            "status": "CASE WHEN n % 10 < 7 THEN 'completed' WHEN n % 10 = 7 THEN 'no_show' "
            "ELSE 'cancelled' END",
            "channel": "'website'",
            "created_at": "b.start - interval '2 days'",
            "updated_at": "b.start",
        },
        f"(SELECT n, date_trunc('day', now() - interval '365 days') "
        f"+ interval '1 day' * ((n / {CONSULTANTS}) / 8) "
        f"+ interval '1 hour' * (9 + mod(n / {CONSULTANTS}, 8)) AS start "
        f"FROM generate_series(0, {DRIVES - 1}) AS n) AS b",
    )


def _logged_in(user) -> Client:
    """A client past the login and the second factor managers must pass."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dealership.accounts.middleware import SESSION_KEY

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Bench", defaults={"confirmed": True}
    )
    session = client.session
    session[SESSION_KEY] = True
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# The funnel's figures for both periods, written by hand over the summary table: the floor.
FLOOR_SQL = """
SELECT day >= %(first)s AS current, sum(leads), sum(contacted), sum(test_drives), sum(orders),
       sum(delivered)
FROM reports_dailyfigures
WHERE day BETWEEN %(previous)s AND %(last)s AND location_id = ANY(%(locations)s)
GROUP BY 1
"""

# The same figures of one period by hand over the source tables (what a page without the
# summary would pay at least), for scale.
SOURCE_SQL = """
SELECT
  (SELECT count(*) FROM leads_lead WHERE location_id = ANY(%(locations)s)
     AND created_at >= %(start)s AND created_at < %(end)s),
  (SELECT count(*) FROM leads_lead WHERE location_id = ANY(%(locations)s)
     AND created_at >= %(start)s AND created_at < %(end)s
     AND (contacted_at IS NOT NULL OR qualified_at IS NOT NULL OR appointment_at IS NOT NULL
          OR negotiation_at IS NOT NULL OR won_at IS NOT NULL)),
  (SELECT count(*) FROM testdrives_booking WHERE location_id = ANY(%(locations)s)
     AND kind = 'drive' AND status = 'completed' AND start_at >= %(start)s AND start_at < %(end)s),
  (SELECT count(*) FROM orders_order o WHERE location_id = ANY(%(locations)s)
     AND created_at >= %(start)s AND created_at < %(end)s AND status <> 'draft'
     AND (status <> 'cancelled' OR EXISTS (SELECT 1 FROM orders_payment p
                                           WHERE p.order_id = o.id AND p.status = 'succeeded'))),
  (SELECT count(*) FROM orders_order WHERE location_id = ANY(%(locations)s)
     AND status = 'delivered' AND delivered_at >= %(start)s AND delivered_at < %(end)s)
"""


def _explain(title: str, sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
        lines = [line for (line,) in cursor.fetchall()]
    print(f"\nEXPLAIN {title}:")
    for line in lines:
        print("  " + line)


class _Capture:
    """The SQL the report functions send (to EXPLAIN each panel's statements)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        self.queries.append((sql, params))
        return execute(sql, params, many, context)


def main():
    from django.conf import settings
    from django.template import engines

    from bench.reports_panel_data import explain_panels, generate, measure_floors
    from dealership.reports.panels import PANELS as ALL_PANELS
    from dealership.reports.selectors import ReportFilters
    from dealership.reports.services import rollup_backfill, rollup_refresh

    manager, location_ids = _setup()
    generate(location_ids=location_ids)
    tz = zoneinfo.ZoneInfo("Europe/Berlin")
    today = timezone.localdate(timezone=tz)
    first = today - datetime.timedelta(days=364)
    previous = first - datetime.timedelta(days=365)

    started = time.perf_counter()
    rows = rollup_backfill(first=previous - datetime.timedelta(days=1), last=today)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_dailyfigures")
        cursor.execute("VACUUM ANALYZE reports_responseminutes")
    print(
        f"rollup backfill of {(today - previous).days + 2} days: {rows:,} summary rows "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    rollup_refresh()  # the periodic job: the last 35 days (+ touched days; none here)
    print(
        f"the periodic job (reports-rollup) ran in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    with connection.cursor() as cursor:
        for table in ("reports_dailyfigures", "reports_responseminutes"):
            cursor.execute(
                f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}"
            )
            count, size = cursor.fetchone()
            print(f"{table}: {count:,} rows, {size}")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('leads_lead'))")
        print(f"leads_lead: {cursor.fetchone()[0]}")

    # Measure as production serves (see bench_showroom): no query logger, no template debug.
    settings.DEBUG = False
    engines["django"].engine.debug = False

    filters = ReportFilters(first=first, last=today)
    floor_params = {
        "first": first,
        "previous": previous,
        "last": today,
        "locations": location_ids,
    }
    source_params = {
        "locations": location_ids,
        "start": datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        "end": datetime.datetime.combine(
            today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        ),
    }

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, floor_params)
            return cursor.fetchall()

    def source_floor():
        with connection.cursor() as cursor:
            cursor.execute(SOURCE_SQL, source_params)
            return cursor.fetchone()

    # REPORTS_BENCH_PANELS=orders,nps times only those panels (the funnel floor always runs).
    wanted = [n for n in os.environ.get("REPORTS_BENCH_PANELS", "").split(",") if n]
    PANELS = {n: p for n, p in ALL_PANELS.items() if not wanted or n in wanted}

    print(f"\nload average before measuring: {os.getloadavg()}", flush=True)
    panel_floors = measure_floors(
        PANELS, location_ids, source_params["start"], source_params["end"], repeat=REPEAT
    )
    floor_timing = measure("funnel: hand-written SQL on the summary (floor)", floor, repeat=REPEAT)
    report(floor_timing)
    report(
        measure("funnel: hand-written SQL on the sources", source_floor, repeat=REPEAT),
        floor_timing,
    )

    for name, (_title, build) in PANELS.items():
        report(
            measure(
                f"{name}: report queries (1 year)",
                lambda build=build: build(user=manager, filters=filters),
                repeat=REPEAT,
            ),
            floor_timing if name == "funnel" else panel_floors.get(name),
        )

    client = _logged_in(manager)
    params = {"first": first.isoformat(), "last": today.isoformat()}
    for name in PANELS:
        url = "/staff/reports/" if name == "funnel" else f"/staff/reports/{name}/"
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        report(
            measure(
                f"{name}: whole page (1 year)",
                lambda url=url: client.get(url, params),
                repeat=REPEAT,
            ),
            floor_timing if name == "funnel" else panel_floors.get(name),
        )
    month = {"first": (today - datetime.timedelta(days=29)).isoformat(), "last": today.isoformat()}
    for name in PANELS:
        url = "/staff/reports/" if name == "funnel" else f"/staff/reports/{name}/"
        report(
            measure(
                f"{name}: whole page (30 days)",
                lambda url=url: client.get(url, month),
                repeat=REPEAT,
            )
        )
    print(f"load average after measuring: {os.getloadavg()}", flush=True)

    _explain("of the funnel floor", FLOOR_SQL, floor_params)
    for name in ("funnel", "response", "leaderboard"):
        if name not in PANELS:
            continue
        capture = _Capture()
        with connection.execute_wrapper(capture):
            PANELS[name][1](user=manager, filters=filters)
        for n, (sql, sql_params) in enumerate(capture.queries, start=1):
            if "reports_" in sql or "leads_lead" in sql:
                _explain(f"{name} query {n}", sql, sql_params)
    explain_panels(PANELS, list(panel_floors), user=manager, filters=filters)
