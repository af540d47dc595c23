"""The order desk and the reservation-expiry job over N orders (default 150,000 across three
locations; ORDERS_BENCH_SIZE), against floors measured in the same run:

* desk page (GET /staff/orders/ as a consultant of one location, with the session, the
  template and the filters) vs. the bare SQL of its one orders query;
* the desk filtered by status and by "overdue" vs. the same bare query;
* the expiry job cancelling 500 due reservations (each: lock, cancel, free the car, history
  row, outbox message) vs. one bulk UPDATE of the same rows (what it cannot do: no history,
  no message, no freed car).
"""

import datetime
import json
import os
import time

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from bench.common import Timing, measure, report

SIZE = int(os.environ.get("ORDERS_BENCH_SIZE", "150000"))
DUE = 500


def _fill(size: int) -> list[int]:
    from dealership.accounts.models import Location
    from dealership.ops.demo import seed_locations

    seed_locations()
    locations = list(Location.objects.order_by("pk").values_list("pk", flat=True))[:3]
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE orders_order, leads_customer, inventory_vehicle CASCADE")
        cursor.execute(
            """
            INSERT INTO leads_customer (first_name, last_name, email, mobile_phone, other_phone,
                preferred_channel, language, street, postal_code, city, country, location_id,
                tags, do_not_contact, notes, source, search_name, search_name_reversed,
                created_at, updated_at)
            SELECT 'Bench', 'Buyer' || n, 'buyer' || n || '@example.de', '', '', '', '', '', '',
                   '', 'DE', (%(locs)s)[1 + n %% 3], '[]', false, '', 'website',
                   'bench buyer' || n, 'buyer' || n || ' bench', now(), now()
            FROM generate_series(1, %(size)s) AS n
            """,
            {"locs": locations, "size": size},
        )
        cursor.execute(
            """
            INSERT INTO inventory_vehicle (vin, stock_number, slug, location_id, condition, make,
                model, trim, model_year, body_type, fuel, transmission, drivetrain, engine,
                mileage, exterior_colour, exterior_colour_name, interior_colour, seats, doors,
                description, list_price, status, in_stock_since, vin_data, created_at,
                updated_at)
            SELECT 'BENCH' || lpad(n::text, 12, '0'), 'B' || n, 'bench-' || n,
                   (%(locs)s)[1 + n %% 3], 'used', 'Volkswagen', 'Golf', '', 2021, 'hatchback',
                   'petrol', 'manual', 'fwd', '', 20000, 'blue', '', '', 5, 5, '', 20000 + n %% 9000,
                   CASE WHEN n %% 10 = 0 THEN 'reserved' ELSE 'sold' END, current_date, '{}',
                   now(), now()
            FROM generate_series(1, %(size)s) AS n
            """,
            {"locs": locations, "size": size},
        )
        # Nine in ten delivered or cancelled; the rest spread over the live statuses.
        cursor.execute(
            """
            INSERT INTO orders_order (reference, access_key, customer_id, vehicle_id, location_id,
                status, status_changed_at, payment_type, down_payment, term_months, apr,
                discount, tradein_make, tradein_model, tradein_vin, fulfilment, delivery_street,
                delivery_postal_code, delivery_city, delivery_distance_km, cancel_reason,
                refund_status, refund_amount, logistics_status, created_at, reserved_until)
            SELECT 'SO-B' || n, md5(n::text), c.id, v.id, v.location_id,
                   (ARRAY['delivered', 'cancelled', 'submitted', 'deposit_paid', 'finance_pending',
                          'contract_sent', 'ready_for_delivery'])[
                        CASE WHEN n %% 10 <> 0 THEN 1 + n %% 2 ELSE 3 + (n / 10) %% 5 END],
                   now() - (n || ' minutes')::interval, 'cash', 0, 0, 0, 0, '', '', '', 'pickup',
                   '', '', '', 0, '', '', 0, '', now() - (n || ' minutes')::interval,
                   now() + interval '1 day'
            FROM generate_series(1, %(size)s) AS n
            JOIN leads_customer c ON c.last_name = 'Buyer' || n
            JOIN inventory_vehicle v ON v.vin = 'BENCH' || lpad(n::text, 12, '0')
            """,
            {"size": size},
        )
        breakdown = json.dumps(_sample_breakdown().as_dict())
        cursor.execute(
            """
            INSERT INTO orders_orderversion (order_id, number, breakdown, reason, created_at,
                accepted_at)
            SELECT id, 1, %s::jsonb, 'Deal built online', created_at, created_at
            FROM orders_order
            """,
            [breakdown],
        )
        cursor.execute(
            """
            UPDATE orders_order SET reserved_until = now() - interval '1 minute'
            WHERE id IN (SELECT id FROM orders_order WHERE status = 'submitted'
                         ORDER BY id LIMIT %s)
            """,
            [DUE],
        )
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE leads_customer")
        cursor.execute("ANALYZE inventory_vehicle")
    print(f"filled {size} orders in {time.perf_counter() - start:.1f} s", flush=True)
    return locations


def _sample_breakdown():
    from decimal import Decimal

    from inventory.pricing import deal_breakdown

    return deal_breakdown(
        payment_type="cash",
        price=Decimal("24990"),
        documentation_fee=Decimal("249"),
        tax_rate=Decimal("19"),
        registration=Decimal("150"),
        currency="EUR",
        deposit=Decimal("500"),
    )


def _explain(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
        return "\n".join("   " + row[0] for row in cursor.fetchall())


def main() -> None:
    from django.conf import settings

    from dealership.accounts.models import User
    from dealership.accounts.roles import Role
    from orders.selectors import DeskFilters, desk_page_queryset, order_desk, order_list_for_staff
    from orders.services import orders_expire_reservations

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    locations = _fill(SIZE)
    user, _created = User.objects.get_or_create(username="bench-consultant", is_staff=True)
    user.locations.set([locations[0]])
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get_or_create(name=Role.CONSULTANT.value)[0])
    client = Client()
    client.force_login(user)

    floor_sql = (
        "SELECT o.id FROM orders_order o WHERE o.location_id = %s AND o.status <> 'draft' "
        "ORDER BY o.created_at DESC, o.id DESC LIMIT 50"
    )

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(floor_sql, [locations[0]])
            cursor.fetchall()

    floor_timing = measure("floor: SELECT 50 order ids (one location)", floor, repeat=50)
    report(floor_timing)
    report(
        measure(
            "desk selector (joined, one query)",
            lambda: order_desk(user=user, filters=DeskFilters()),
            repeat=50,
        ),
        floor_timing,
    )
    report(
        measure("GET /staff/orders/", lambda: client.get("/staff/orders/"), repeat=50), floor_timing
    )
    report(
        measure(
            "GET /staff/orders/?status=contract_sent",
            lambda: client.get("/staff/orders/?status=contract_sent"),
            repeat=50,
        ),
        floor_timing,
    )
    report(
        measure(
            "GET /staff/orders/?overdue=1",
            lambda: client.get("/staff/orders/?overdue=1"),
            repeat=50,
        ),
        floor_timing,
    )
    print("EXPLAIN floor query:\n" + _explain(floor_sql, [locations[0]]), flush=True)
    page = desk_page_queryset(order_list_for_staff(user=user).exclude(status="draft"))
    print("EXPLAIN desk page query:\n" + page.explain(analyze=True, costs=False), flush=True)

    # The expiry job: one run over DUE due reservations, against one bulk UPDATE of them.
    with transaction.atomic():
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE orders_order SET status = 'cancelled' WHERE status = 'submitted' "
                "AND reserved_until <= now()"
            )
        bulk = Timing("floor: one bulk UPDATE of the due rows", [time.perf_counter() - start])
        transaction.set_rollback(True)
    start = time.perf_counter()
    expired = orders_expire_reservations(now=timezone.now() + datetime.timedelta(seconds=1))
    job = Timing(f"expiry job ({expired} reservations)", [time.perf_counter() - start])
    report(bulk)
    report(job, bulk)
    print(f"expiry job per reservation: {job.p50 / max(expired, 1) * 1000:.2f} ms", flush=True)
    print(
        "EXPLAIN due reservations:\n"
        + _explain(
            "SELECT id FROM orders_order WHERE status = 'submitted' AND reserved_until <= %s "
            "LIMIT 500",
            [timezone.now()],
        ),
        flush=True,
    )
