"""The managers' dashboards over a year of data: REPORTS_BENCH_LEADS leads (default 1,000,000)
at 5 locations with 50 consultants, REPORTS_BENCH_VEHICLES vehicles (default 20,000).
Generated with set-based SQL (INSERT … SELECT generate_series).

Prints p50/p95 of each dashboard page (the whole request: access check, filter form, every
query, template) and of each report's queries alone, and the funnel's ratio to the floor: the
same counts by one hand-written SQL statement. The orders, after-sales and NPS panels' data
comes from bench/reports_panel_data.py.
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


def _insert(model, explicit: dict[str, str], series: str) -> None:
    columns, expressions, params = _defaults_for(model, explicit)
    # Table, columns and expressions are this module's constants; values go as parameters.
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # nosec B608
        f"SELECT {', '.join(expressions)} FROM {series}"
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
        cursor.execute("TRUNCATE leads_lead, leads_customer, inventory_vehicle CASCADE")
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
    _insert(Lead, explicit, series)
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("ANALYZE leads_customer")
        cursor.execute("ANALYZE inventory_vehicle")
    print(
        f"generated {LEADS:,} leads, {customers:,} customers, {VEHICLES:,} vehicles "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return manager, [loc.pk for loc in locations]


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


FLOOR_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE contacted_at IS NOT NULL OR qualified_at IS NOT NULL
                        OR appointment_at IS NOT NULL OR negotiation_at IS NOT NULL
                        OR won_at IS NOT NULL),
       count(*) FILTER (WHERE qualified_at IS NOT NULL OR appointment_at IS NOT NULL
                        OR negotiation_at IS NOT NULL OR won_at IS NOT NULL),
       count(*) FILTER (WHERE appointment_at IS NOT NULL OR negotiation_at IS NOT NULL
                        OR won_at IS NOT NULL),
       count(*) FILTER (WHERE won_at IS NOT NULL)
FROM leads_lead
WHERE location_id = ANY(%s) AND created_at >= %s AND created_at < %s
"""


def main():
    from bench.reports_panel_data import generate, measure_floors
    from dealership.reports.panels import PANELS as ALL_PANELS
    from dealership.reports.selectors import ReportFilters, funnel_counts
    from leads.models import Lead

    manager, location_ids = _setup()
    generate(location_ids=location_ids)
    tz = zoneinfo.ZoneInfo("Europe/Berlin")
    today = timezone.localdate(timezone=tz)
    first = today - datetime.timedelta(days=364)
    filters = ReportFilters(first=first, last=today)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [location_ids, start, end])
            return cursor.fetchone()

    def orm_funnel():
        qs = Lead.objects.filter(
            location__in=location_ids, created_at__gte=start, created_at__lt=end
        ).order_by()
        return funnel_counts(qs)

    assert tuple(orm_funnel().values()) == floor(), "the ORM and the floor disagree"
    # REPORTS_BENCH_PANELS=orders,nps times only those panels (the funnel floor always runs).
    wanted = [n for n in os.environ.get("REPORTS_BENCH_PANELS", "").split(",") if n]
    PANELS = {n: p for n, p in ALL_PANELS.items() if not wanted or n in wanted}
    panel_floors = measure_floors(PANELS, location_ids, start, end, repeat=REPEAT)
    floor_timing = measure("funnel: hand-written SQL (floor)", floor, repeat=REPEAT)
    report(floor_timing)
    report(
        measure("funnel: funnel_counts (ORM, one period)", orm_funnel, repeat=REPEAT), floor_timing
    )

    for name, (_title, build) in PANELS.items():
        report(
            measure(
                f"{name}: report queries",
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
    from bench.reports_panel_data import explain_panels

    explain_panels(PANELS, list(panel_floors), user=manager, filters=filters)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) " + FLOOR_SQL, [location_ids, start, end]
        )
        print("\nEXPLAIN of the funnel floor:")
        for (line,) in cursor.fetchall():
            print("  " + line)
