"""Privacy at 500,000 customers and 1,000,000 leads (PRIVACY_BENCH_CUSTOMERS / _LEADS), four
years of history: the retention job's batch selection, one customer's export and one erasure,
each against a hand-written SQL floor. Prints p50/p95, the ratio to the floor and the plan of
the retention query.

Half the customers are older than the 24-month period; each has two leads, a third of them
won (not candidates), so about a third of all customers are due for erasure.
"""

import datetime
import os
import time

from django.db import connection, transaction
from django.utils import timezone

from bench.common import insert_select as _insert_select
from bench.common import measure, report
from dealership.accounts.roles import Role
from dealership.privacy.registry import mapped_models
from dealership.privacy.selectors import customer_export, customer_subject
from dealership.privacy.services import customer_erase, retention_candidates
from leads.models import Activity, Customer, Lead

CUSTOMERS = int(os.environ.get("PRIVACY_BENCH_CUSTOMERS", "500000"))
LEADS = int(os.environ.get("PRIVACY_BENCH_LEADS", "1000000"))
REPEAT = 30
WINDOW = 5000  # privacy_retention_run's default


def _setup():
    from tests.accounts.factories import LocationFactory, UserFactory

    location = LocationFactory(slug="bench-privacy")
    manager = UserFactory(
        username="bench-privacy-manager", role=Role.SALES_MANAGER, locations=[location]
    )
    start = time.perf_counter()
    minutes = 4 * 365 * 24 * 60 // CUSTOMERS  # spread over four years
    _insert_select(
        Customer,
        CUSTOMERS,
        {
            "first_name": "'Kunde' || g",
            "last_name": "'Nachname' || g",
            "email": "'p' || g || '@bench.example'",
            "mobile_phone": "'+49152' || lpad(g::text, 8, '0')",
            "location": "%s",
            "source": "'website'",
            # Ids grow with time, as in a real table: the oldest customers have the lowest ids.
            "created_at": f"now() - (({CUSTOMERS} - g) * {minutes} || ' minutes')::interval",
            "updated_at": "now()",
        },
        [location.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM leads_customer")
        first = cursor.fetchone()[0]
    _insert_select(
        Lead,
        LEADS,
        {
            "customer": f"{first} + (g %% {CUSTOMERS})",
            "location": "%s",
            "source": "'website'",
            "type": "'vehicle_enquiry'",
            "status": "(ARRAY['contacted','lost','won'])[1 + (g / 7) %% 3]",
            "message": "'Is the car still available? Call me on ' || g",
            "created_at": (
                f"now() - (({CUSTOMERS} - g %% {CUSTOMERS}) * {minutes} || ' minutes')::interval"
            ),
            "updated_at": "now()",
        },
        [location.pk],
    )
    _insert_select(
        Activity,
        CUSTOMERS // 5,
        {
            "customer": f"{first} + g * 5 - 1",
            "kind": "'note'",
            "body": "'Called back'",
            "occurred_at": (f"now() - (({CUSTOMERS} - g * 5) * {minutes} || ' minutes')::interval"),
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_customer, leads_lead, leads_activity")
    print(
        f"generated {CUSTOMERS} customers, {LEADS} leads in {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return location, manager, first


def main():
    _location, manager, first = _setup()
    now = timezone.now()

    windows = iter(range(first, first + CUSTOMERS, WINDOW))

    def window_of(start):
        return retention_candidates(now=now).filter(pk__gt=start, pk__lte=start + WINDOW)

    def batch():
        return list(window_of(next(windows)).values_list("pk", flat=True))

    def batch_floor():
        start = next(windows)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM leads_customer WHERE id > %s AND id <= %s AND created_at < %s",
                [start, start + WINDOW, now - datetime.timedelta(days=730)],
            )
            return cursor.fetchall()

    print(f"candidates in the first window: {len(window_of(first).values_list('pk'))}")
    floor = measure(f"retention floor: old customers of {WINDOW} ids", batch_floor, repeat=REPEAT)
    report(floor)
    windows = iter(range(first, first + CUSTOMERS, WINDOW))
    report(measure(f"retention window: candidates of {WINDOW} ids", batch, repeat=REPEAT), floor)
    with connection.cursor() as cursor:
        sql, params = window_of(first).values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))

    customer = Customer.objects.get(pk=first + 1234)

    def export():
        return customer_export(customer=customer)

    def export_floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM leads_customer WHERE id = %s", [customer.pk])
            cursor.fetchall()
            cursor.execute("SELECT * FROM leads_lead WHERE customer_id = %s", [customer.pk])
            return cursor.fetchall()

    subject = customer_subject(customer=customer)
    for model, mapping in mapped_models():
        qs = model.objects.filter(mapping.match(subject))
        report(measure(f"  export query: {model._meta.label}", lambda qs=qs: list(qs.all())))
    floor = measure("export floor: customer + leads rows", export_floor, repeat=REPEAT)
    report(floor)
    report(measure("export: every mapped model", export, repeat=REPEAT), floor)

    ids = iter(range(first + 10, first + 10 + 10 * (REPEAT + 5), 10))

    def erase():
        with transaction.atomic():
            customer_erase(customer=Customer(pk=next(ids)), by=manager, reason="bench")
            transaction.set_rollback(True)

    def erase_floor():
        pk = next(ids)
        with transaction.atomic():
            Customer.objects.filter(pk=pk).update(first_name="", email="")
            Lead.objects.filter(customer_id=pk).update(message="")
            transaction.set_rollback(True)

    floor = measure("erase floor: update customer + leads", erase_floor, repeat=REPEAT)
    report(floor)
    ids = iter(range(first + 10, first + 10 + 10 * (REPEAT + 5), 10))
    report(measure("erase: one customer, every mapping", erase, repeat=REPEAT), floor)
