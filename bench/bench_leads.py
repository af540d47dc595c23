"""The lead inbox (several filters, two roles), the customer 360 page and the suspected-duplicates
page at 1,000,000 leads and 500,000 customers (LEADS_BENCH_LEADS / LEADS_BENCH_CUSTOMERS), each against a hand-written SQL
floor that fetches the same rows the cheapest way. Prints p50/p95, the ratio to the floor and
the plan of each inbox query.

The data is generated with set-based SQL: three locations, ten consultants each; customers
spread over the locations; leads over two years, most answered, the newest few hundred still
new and unanswered (as in a real inbox); one customer in 200 shares the email address of the
customer three before (same location), one in 333 their mobile number (suspected duplicates).

Pages are measured with DEBUG off (bench/run.py loads the settings with DEBUG on for the
local defaults; main() turns query logging and template debugging off before measuring).
"""

import os
import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from bench.common import insert_select, measure, report, staff_client
from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from leads.models import Activity, Customer, Lead, Task
from leads.selectors import (
    _DUPLICATE_KEYS_SQL,
    DUPLICATES_WINDOW,
    InboxFilters,
    duplicate_keys_params,
    lead_inbox,
)

LEADS = int(os.environ.get("LEADS_BENCH_LEADS", "1000000"))
CUSTOMERS = int(os.environ.get("LEADS_BENCH_CUSTOMERS", "500000"))
CONSULTANTS_PER_LOCATION = 10
REPEAT = 30
# A comma-separated list of substrings: only the inbox cases whose name contains one of them
# (the duplicates and customer 360 cases run when "duplicates" / "360" is listed).
CASES = [c.strip() for c in os.environ.get("LEADS_BENCH_CASES", "").split(",") if c.strip()]
# LEADS_BENCH_PROFILE=1: after timing a case, profile 20 requests of it (cProfile) and print
# the functions that take the time.
PROFILE = os.environ.get("LEADS_BENCH_PROFILE", "") not in ("", "0")


def _selected(name: str) -> bool:
    return not CASES or any(case in name for case in CASES)


def _profile(name: str, fn) -> None:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    print(f"    profile of 20 requests ({name}), by own time:", flush=True)
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(40)
    for line in out.getvalue().splitlines():
        if line.strip() and not line.startswith(("   Ordered by", "   List reduced")):
            print(f"      {line[:150]}", flush=True)


def _setup() -> dict:
    from tests.accounts.factories import LocationFactory, UserFactory

    locations = [LocationFactory(slug=f"bench-{i}") for i in range(3)]
    consultants = [
        UserFactory(username=f"bench-c{i}-{n}", role=Role.CONSULTANT, locations=[loc])
        for i, loc in enumerate(locations)
        for n in range(CONSULTANTS_PER_LOCATION)
    ]
    manager = UserFactory(username="bench-manager", role=Role.SALES_MANAGER, locations=locations)
    loc_ids = [loc.pk for loc in locations]
    consultant_ids = [c.pk for c in consultants]
    start = time.perf_counter()

    insert_select(
        Customer,
        CUSTOMERS,
        {
            "first_name": "'Kunde' || g",
            "last_name": "'Nachname' || g",
            "email": "'c' || (CASE WHEN g %% 200 = 0 THEN g - 3 ELSE g END) || '@bench.example'",
            "mobile_phone": "'+49151' || lpad((CASE WHEN g %% 333 = 0 THEN g - 3 ELSE g END)::text,"
            " 8, '0')",
            "country": "'DE'",
            "location": "(%s::bigint[])[1 + g %% 3]",
            "source": "'website'",
            "search_name": "'kunde' || g || ' nachname' || g",
            "search_name_reversed": "'nachname' || g || ' kunde' || g",
            "created_at": "now() - (g || ' minutes')::interval",
            "updated_at": "now()",
        },
        [loc_ids],
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM leads_customer")
        first_customer = cursor.fetchone()[0]
    # Lead g belongs to customer (g % CUSTOMERS): same location as that customer. Age grows
    # with g (about two years over the whole set); the newest 300 are new and unanswered.
    statuses = "(ARRAY['contacted','qualified','appointment','negotiation','won','lost'])"
    insert_select(
        Lead,
        LEADS,
        {
            "customer": f"{first_customer} + (g %% {CUSTOMERS})",
            "location": f"(%s::bigint[])[1 + ((g %% {CUSTOMERS}) + 1) %% 3]",
            "source": "(ARRAY['website','adf','phone','marketplace','walk_in'])[1 + g %% 5]",
            "type": "(ARRAY['vehicle_enquiry','e_price','trade_in','finance','general'])"
            "[1 + (g / 5) %% 5]",
            "status": f"CASE WHEN g <= 300 THEN 'new' ELSE {statuses}[1 + g %% 6] END",
            "lost_reason": f"CASE WHEN g > 300 AND {statuses}[1 + g %% 6] = 'lost' THEN 'price' ELSE '' END",
            "vin": "CASE WHEN g %% 4 = 0 THEN 'WVWZZZ1KZ' || lpad(g::text, 8, '0') ELSE '' END",
            "make": "'Volkswagen'",
            "model": "'Golf'",
            "year": "2022",
            "assigned_to": (
                f"(%s::bigint[])[1 + (((g %% {CUSTOMERS}) + 1) %% 3) * "
                f"{CONSULTANTS_PER_LOCATION} + (g / 3) %% {CONSULTANTS_PER_LOCATION}]"
            ),
            "created_at": "now() - (g * interval '63 seconds')",
            "updated_at": "now() - (g * interval '63 seconds')",
            "response_due_at": "now() - (g * interval '63 seconds') + interval '15 minutes'",
            "reassign_due_at": "now() - (g * interval '63 seconds') + interval '75 minutes'",
            "first_response_at": "CASE WHEN g <= 300 THEN NULL ELSE now() - (g * interval '63 seconds') + interval '9 minutes' END",
            "escalated_at": "NULL",
            "cadence_position": "0",
            "external_sequence": "NULL",
        },
        [loc_ids, consultant_ids],
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_customer")
        cursor.execute("VACUUM ANALYZE leads_lead")
    # One customer with a full history for the 360 page.
    customer = Customer.objects.filter(location=locations[0]).order_by("pk").first()
    now = timezone.now()
    Activity.objects.bulk_create(
        Activity(customer=customer, kind="call", outcome="reached", occurred_at=now, body="x")
        for _ in range(40)
    )
    Task.objects.bulk_create(
        Task(customer=customer, title="Call back", due_at=now, owner=consultants[0])
        for _ in range(10)
    )
    print(
        f"generated {CUSTOMERS:,} customers and {LEADS:,} leads in "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    return {"consultant": consultants[0], "manager": manager, "customer": customer}


INBOX_ROWS_SQL = """
SELECT l.id, l.status, l.type, l.source, l.make, l.model, l.year, l.created_at,
       l.response_due_at, l.first_response_at, c.first_name, c.last_name, c.email,
       c.mobile_phone, loc.name, loc.time_zone, u.first_name, u.last_name
FROM leads_lead l
JOIN leads_customer c ON c.id = l.customer_id
JOIN accounts_location loc ON loc.id = l.location_id
LEFT JOIN accounts_user u ON u.id = l.assigned_to_id
WHERE {where}
ORDER BY {order}
LIMIT 51
"""


# The narrow shape, as the page does it: the 51 ids first from the lead table alone (filtered
# and sorted on its indexes), then their rows joined. Used where the filter is on the lead
# alone and the planner would otherwise join every matching lead before the top-51 sort
# (7 days of leads: ~9,600 customer look-ups, slower than the page's own query).
INBOX_NARROW_SQL = """
SELECT l.id, l.status, l.type, l.source, l.make, l.model, l.year, l.created_at,
       l.response_due_at, l.first_response_at, c.first_name, c.last_name, c.email,
       c.mobile_phone, loc.name, loc.time_zone, u.first_name, u.last_name
FROM (SELECT id FROM leads_lead l WHERE {where} ORDER BY {order} LIMIT 51) ids
JOIN leads_lead l ON l.id = ids.id
JOIN leads_customer c ON c.id = l.customer_id
JOIN accounts_location loc ON loc.id = l.location_id
LEFT JOIN accounts_user u ON u.id = l.assigned_to_id
ORDER BY {order}
"""


def _floor(
    where: str, params, order: str = "l.created_at DESC, l.id DESC", *, narrow: bool = False
):
    sql = (INBOX_NARROW_SQL if narrow else INBOX_ROWS_SQL).format(where=where, order=order)

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def _explain(user: User, filters: InboxFilters) -> str:
    # The page first selects its ids (the filtered, sorted part), then loads 51 rows by pk.
    ids = lead_inbox(user=user, filters=filters).values_list("pk", flat=True)[:51]
    plan = ids.explain(analyze=True)
    lines = [line.strip() for line in plan.splitlines()]
    top = lines[0][:110]
    timing = next((line for line in lines if line.startswith("Execution Time")), "")
    nodes = [f"\n      {line[:140]}" for line in lines[1:] if "->" in line][:8]
    return f"    plan: {top} … {timing}{''.join(nodes)}"


def _params(after: str, location_ids: list[int]) -> list:
    return duplicate_keys_params(
        after=after, location_params=[location_ids], window=DUPLICATES_WINDOW, limit=26
    )


def _duplicates_floor(location_ids: list[int], after: str):
    """The same page the cheapest way: the keys by hand-written SQL (locations as a literal
    array, no subquery), then their customers' displayed columns."""
    where = " AND location_id = ANY(%s)"
    sql = _DUPLICATE_KEYS_SQL.format(locations=where)

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, _params(after, location_ids))
            ids = sorted({pk for _bound, _key, pks in cursor.fetchall() for pk in pks or ()})
            cursor.execute(
                "SELECT id, first_name, last_name, email, mobile_phone, other_phone, created_at "
                "FROM leads_customer WHERE id = ANY(%s)",
                [ids],
            )
            cursor.fetchall()

    return run


def _duplicates(consultant, consultant_client, manager, manager_client, locs, cloc) -> None:
    cases = [
        ("duplicates: consultant, first page", consultant_client, "", [cloc], ""),
        ("duplicates: manager, 3 locations, first page", manager_client, "", locs, ""),
        (
            "duplicates: manager, a page deep in the keys",
            manager_client,
            "?after=c400000%40bench.example",
            locs,
            "c400000@bench.example",
        ),
    ]
    for name, client, query, location_ids, after in cases:
        response = client.get(f"/staff/customers/duplicates/{query}")
        assert response.status_code == 200, (name, response.status_code)
        groups = response.content.decode().count('<section class="card mb-3"')
        assert groups > 0, (name, groups)
        print(f"    {groups} groups on the page", flush=True)
        floor = measure(
            f"  floor: hand-written SQL ({name[12:]})",
            _duplicates_floor(location_ids, after),
            repeat=REPEAT,
        )
        page = measure(
            name,
            lambda c=client, q=query: c.get(f"/staff/customers/duplicates/{q}"),
            repeat=REPEAT,
        )
        report(page, floor)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) "
            + _DUPLICATE_KEYS_SQL.format(locations=" AND location_id = ANY(%s)"),
            _params("", locs),
        )
        plan = [row[0] for row in cursor.fetchall()]
    nodes = [line.strip() for line in plan if "->" in line or line.startswith("Limit")]
    print("    plan (manager, first page):", flush=True)
    for line in nodes[:12]:
        print(f"      {line[:130]}", flush=True)
    print(f"      {next(line for line in plan if line.startswith('Execution Time'))}", flush=True)


def _uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    # Measure as production runs: no query log, no template debug information.
    settings.DEBUG = False
    from django.template import engines

    engines["django"].engine.debug = False
    print(f"load: {_uptime()}", flush=True)
    Group.objects.get_or_create(name=Role.CONSULTANT.value)
    Group.objects.get_or_create(name=Role.SALES_MANAGER.value)
    data = _setup()
    consultant, manager, customer = data["consultant"], data["manager"], data["customer"]
    locs = list(Location.objects.filter(slug__startswith="bench-").values_list("pk", flat=True))
    consultant_client = staff_client(consultant)
    manager_client = staff_client(manager)
    cloc = consultant.locations.get().pk

    cases = [
        (
            "inbox: consultant, my leads",
            consultant,
            consultant_client,
            "",
            InboxFilters(),
            _floor("l.assigned_to_id = %s", [consultant.pk]),
        ),
        (
            "inbox: consultant, my location, status new",
            consultant,
            consultant_client,
            "scope=location&status=new",
            InboxFilters(scope="location", status="new"),
            _floor("l.location_id = %s AND l.status = 'new'", [cloc]),
        ),
        (
            "inbox: consultant, my location, overdue",
            consultant,
            consultant_client,
            "scope=location&overdue=on",
            InboxFilters(scope="location", overdue=True),
            _floor(
                "l.location_id = %s AND l.status = 'new' AND l.first_response_at IS NULL "
                "AND l.response_due_at <= now()",
                [cloc],
            ),
        ),
        (
            "inbox: manager, 3 locations, newest",
            manager,
            manager_client,
            "scope=location",
            InboxFilters(scope="location"),
            _floor("l.location_id = ANY(%s)", [locs]),
        ),
        (
            "inbox: manager, source adf, type trade-in",
            manager,
            manager_client,
            "scope=location&source=adf&type=trade_in",
            InboxFilters(scope="location", source="adf", type="trade_in"),
            _floor("l.location_id = ANY(%s) AND l.source = 'adf' AND l.type = 'trade_in'", [locs]),
        ),
        (
            "inbox: manager, received last 7 days, by due",
            manager,
            manager_client,
            "scope=location&age=7d&sort=due",
            InboxFilters(scope="location", age="7d", sort="due"),
            _floor(
                "l.location_id = ANY(%s) AND l.created_at >= now() - interval '7 days'",
                [locs],
                order="l.response_due_at, l.id",
                narrow=True,
            ),
        ),
        (
            "inbox: manager, search by email",
            manager,
            manager_client,
            "scope=location&q=c4711@bench.example",
            InboxFilters(scope="location", q="c4711@bench.example"),
            _floor("l.location_id = ANY(%s) AND c.email = %s", [locs, "c4711@bench.example"]),
        ),
        (
            "inbox: manager, search by name prefix",
            manager,
            manager_client,
            "scope=location&q=nachname4711",
            InboxFilters(scope="location", q="nachname4711"),
            _floor(
                "l.location_id = ANY(%s) AND (c.search_name LIKE %s OR "
                "c.search_name_reversed LIKE %s)",
                [locs, "nachname4711%", "nachname4711%"],
            ),
        ),
        (
            "inbox: manager, search by phone",
            manager,
            manager_client,
            "scope=location&q=0151 00004711",
            InboxFilters(scope="location", q="0151 00004711"),
            _floor("l.location_id = ANY(%s) AND c.mobile_phone = %s", [locs, "+4915100004711"]),
        ),
        (
            "inbox: manager, search by VIN",
            manager,
            manager_client,
            "scope=location&q=WVWZZZ1KZ00004712",
            InboxFilters(scope="location", q="WVWZZZ1KZ00004712"),
            _floor("l.location_id = ANY(%s) AND l.vin = %s", [locs, "WVWZZZ1KZ00004712"]),
        ),
    ]
    for name, user, client, query, filters, floor_fn in cases:
        if not _selected(name):
            continue
        response = client.get(f"/staff/leads/?{query}")
        assert response.status_code == 200, (name, response.status_code)
        floor = measure(f"  floor: hand-written SQL ({name[7:]})", floor_fn, repeat=REPEAT)
        page = measure(name, lambda c=client, q=query: c.get(f"/staff/leads/?{q}"), repeat=REPEAT)
        report(page, floor)
        print(_explain(user, filters), flush=True)
        if PROFILE:
            _profile(name, lambda c=client, q=query: c.get(f"/staff/leads/?{q}"))

    def customer_floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.*, loc.name FROM leads_customer c JOIN accounts_location loc "
                "ON loc.id = c.location_id WHERE c.id = %s",
                [customer.pk],
            )
            cursor.fetchall()
            for sql in (
                "SELECT * FROM leads_lead WHERE customer_id = %s ORDER BY created_at DESC LIMIT 50",
                "SELECT * FROM leads_activity WHERE customer_id = %s "
                "ORDER BY occurred_at DESC, id DESC LIMIT 50",
                "SELECT * FROM leads_task WHERE customer_id = %s AND completed_at IS NULL "
                "ORDER BY due_at LIMIT 50",
                "SELECT * FROM messaging_outboxmessage WHERE customer_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT 50",
            ):
                cursor.execute(sql, [customer.pk])
                cursor.fetchall()

    if _selected("duplicates"):
        _duplicates(consultant, consultant_client, manager, manager_client, locs, cloc)

    url = f"/staff/customers/{customer.pk}/"
    if _selected("customer 360"):
        assert consultant_client.get(url).status_code == 200
        floor = measure("  floor: hand-written SQL (customer 360)", customer_floor, repeat=REPEAT)
        page = measure("customer 360", lambda: consultant_client.get(url), repeat=REPEAT)
        report(page, floor)
    print(f"leads in the table: {Lead.objects.count():,}", flush=True)
    print(f"load: {_uptime()}", flush=True)
