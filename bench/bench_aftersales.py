"""The nightly service-reminder selection over N owned vehicles (default 1,000,000;
AFTERSALES_BENCH_SIZE) on PostgreSQL, against the floor of one hand-written SQL statement
returning the same rows.

Data (set-based SQL, INSERT … SELECT generate_series): N/2 customers (1 % do-not-contact),
N cars with next due dates spread over the year (~15 % in the reminder window), 2 % sold,
1 % scrapped, 1 % opted out, a booking for ~1 % and a first reminder already sent for a
third of the due cars. Prints the query plan, p50/p95 and the ratio to the floor.
"""

import os
import time

from django.db import connection
from django.utils import timezone

from bench.common import measure, report

SIZE = int(os.environ.get("AFTERSALES_BENCH_SIZE", "1000000"))
REPEAT = int(os.environ.get("AFTERSALES_BENCH_REPEAT", "5"))

FLOOR_SQL = """
SELECT ov.id, ov.next_item_id, ov.next_due_on
FROM aftersales_ownedvehicle ov
JOIN leads_customer c ON c.id = ov.customer_id
WHERE ov.status = 'active' AND NOT ov.reminders_opt_out
  AND ov.next_remind_on <= %(today)s AND ov.next_item_id IS NOT NULL
  AND NOT c.do_not_contact AND c.merged_into_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM aftersales_serviceappointment a
                  WHERE a.owned_vehicle_id = ov.id AND a.status IN ('booked', 'checked_in'))
  AND NOT EXISTS (SELECT 1 FROM aftersales_servicereminder r
                  WHERE r.owned_vehicle_id = ov.id AND r.item_id = ov.next_item_id
                    AND r.due_on = ov.next_due_on AND r.number = 1)
"""


def _fill(location_id: int, item_id: int, plan_id: int, size: int) -> float:
    start = time.perf_counter()
    customers = max(size // 2, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE aftersales_servicereminder, aftersales_serviceappointment_items, "
            "aftersales_serviceappointment, aftersales_odometerreading, aftersales_ownedvehicle "
            "CASCADE"
        )
        cursor.execute("DELETE FROM leads_customer WHERE source = 'campaign' AND notes = 'bench'")
        cursor.execute(
            """
            INSERT INTO leads_customer (first_name, last_name, email, mobile_phone, other_phone,
                preferred_channel, language, street, postal_code, city, country, location_id,
                tags, do_not_contact, notes, source, search_name, search_name_reversed,
                created_at, updated_at)
            SELECT 'Bench', 'Customer' || n, 'bench' || n || '@example.com',
                   '+49151' || lpad(n::text, 8, '0'), '', '', '', '', '', '', 'DE', %s, '[]',
                   n %% 100 = 0, 'bench', 'campaign', 'bench customer' || n,
                   'customer' || n || ' bench', now(), now()
            FROM generate_series(1, %s) AS n
            """,
            [location_id, customers],
        )
        cursor.execute(
            "SELECT min(id) FROM leads_customer WHERE source = 'campaign' AND notes = 'bench'"
        )
        first_customer = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO aftersales_ownedvehicle (customer_id, location_id, vin, make, model, year,
                fuel, kind, delivered_on, origin, status, reminders_opt_out, first_odometer_km,
                first_odometer_on,
                odometer_km, odometer_on, km_per_day, plan_id, next_item_id, next_due_on,
                next_due_km, next_due_by, next_remind_on, created_at, updated_at)
            SELECT %(first)s + (n %% %(customers)s), %(location)s,
                   'WVWZZZ1KZ8' || lpad(n::text, 7, '0'), 'Volkswagen', 'Golf', 2020, 'petrol',
                   'car', current_date - (n %% 1500), 'ours',
                   CASE WHEN n %% 50 = 0 THEN 'sold' WHEN n %% 100 = 1 THEN 'scrapped'
                        ELSE 'active' END,
                   n %% 100 = 2, 0, current_date - (n %% 1500), 20000, current_date - 30, 40.00,
                   %(plan)s, %(item)s,
                   current_date + ((n::bigint * 7919) %% 400 - 30)::int,
                   35000, 'time', current_date + ((n::bigint * 7919) %% 400 - 60)::int, now(), now()
            FROM generate_series(1, %(size)s) AS n
            """,
            {
                "first": first_customer,
                "customers": customers,
                "location": location_id,
                "plan": plan_id,
                "item": item_id,
                "size": size,
            },
        )
        cursor.execute(
            """
            INSERT INTO aftersales_serviceappointment (owned_vehicle_id, customer_id, location_id,
                day, drop_off_at, handover, courtesy_car, customer_notes, status, booked_via,
                work_done, created_at, updated_at)
            SELECT id, customer_id, location_id, current_date + 3, now() + interval '3 days',
                   'drop_off', false, '', 'booked', 'website', '', now(), now()
            FROM aftersales_ownedvehicle WHERE id % 97 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO aftersales_servicereminder (owned_vehicle_id, item_id, due_on, number,
                created_at, queued_at)
            SELECT id, next_item_id, next_due_on, 1, now(), now()
            FROM aftersales_ownedvehicle
            WHERE next_remind_on <= current_date AND id % 3 = 0
            """
        )
        for table in (
            "leads_customer",
            "aftersales_ownedvehicle",
            "aftersales_serviceappointment",
            "aftersales_servicereminder",
        ):
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - start


def main() -> None:
    from aftersales.models import MaintenancePlan, ServiceItem
    from aftersales.services.reminders import reminders_due_selection
    from dealership.accounts.models import Location

    location, _ = Location.objects.get_or_create(
        slug="bench",
        defaults={
            "name": "Bench",
            "street": "-",
            "postal_code": "-",
            "city": "-",
            "country": "DE",
            "phone": "+49 341 555 0100",
            "email": "bench@example.com",
            "time_zone": "Europe/Berlin",
            "sales_tax_rate": 19,
        },
    )
    plan, _ = MaintenancePlan.objects.get_or_create(
        make="Bench", model="", fuel="", defaults={"name": "Bench"}
    )
    item, _ = ServiceItem.objects.get_or_create(
        plan=plan, name="Annual", defaults={"interval_months": 12, "interval_km": 15000}
    )
    fill = _fill(location.id, item.id, plan.id, SIZE)
    print(f"generated {SIZE:,} owned vehicles in {fill:.1f} s", flush=True)

    today = timezone.localdate()
    selection = reminders_due_selection(today=today).values_list(
        "id", "next_item_id", "next_due_on"
    )
    print("selection plan:\n  " + selection.explain().replace("\n", "\n  "), flush=True)

    def orm():
        return list(selection.all())

    def orm_batched():
        # What the job does: keyset pages of 1,000 so no transaction holds every row.
        rows, last = 0, 0
        while True:
            page = list(selection.filter(id__gt=last).order_by("id")[:1000])
            if not page:
                return rows
            rows += len(page)
            last = page[-1][0]

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, {"today": today})
            return cursor.fetchall()

    due = len(orm())
    assert due == len(floor()), "the ORM selection and the hand-written SQL disagree"
    print(f"due cars selected: {due:,} of {SIZE:,}", flush=True)
    floor_timing = measure("hand-written SQL (floor)", floor, repeat=REPEAT, warmup=1)
    report(floor_timing)
    report(measure("ORM selection (one query)", orm, repeat=REPEAT, warmup=1), floor_timing)
    report(
        measure(
            "ORM selection, keyset pages of 1,000 (the job)", orm_batched, repeat=REPEAT, warmup=1
        ),
        floor_timing,
    )
