"""Vehicle page views over 100,000 vehicles (bench_showroom's generator), on the real Redis.

- Counting: one view (``vehicle_view_count``: a pipelined INCR + EXPIRE) against the floor of
  one Redis round trip (a GET of one key); and the vehicle page served from the page cache
  with the view counted against the same page not counted (a robot's user agent).
- Flushing: ``vehicle_views_flush`` with 30,000 cars viewed today and 30,000 yesterday — the
  first run (inserting), a rerun (nothing changed), a run after 5,000 more views — against
  the floor of its reads alone (the candidates' ids in one query and their keys read with
  MGET in chunks of 1,000). The alternative design, finding the keys with SCAN instead of
  asking for every candidate's, is timed too.
- Reading: the inventory panel's oldest-vehicles query with the 30-day and since-in-stock
  view sums, over 30 days of VehicleDailyViews for every available car (set-based, ~2.7
  million rows), against the same query without the views; with its EXPLAIN ANALYZE.

Run with `make bench` (BENCH_ARGS=views for this one only).
"""

import datetime
import os
import time

from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from bench.bench_showroom import generate
from bench.common import Timing, measure, report

VIEWED = 30_000
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def _seed_counters(backend, stocks: list[str], day: datetime.date, views: int) -> None:
    from inventory.page_views import VIEWS_TTL_SECONDS, views_key

    for start in range(0, len(stocks), 1000):
        backend.set_many(
            {views_key(stock_number=s, day=day): views for s in stocks[start : start + 1000]},
            VIEWS_TTL_SECONDS,
        )


def _history() -> None:
    """30 days of views for every available car, set-based (skipped when there)."""
    from inventory.models import VehicleDailyViews
    from inventory.page_views import views_day

    if VehicleDailyViews.objects.filter(day__lt=views_day() - datetime.timedelta(days=3)).exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_vehicledailyviews (vehicle_id, day, views)
            SELECT v.id, current_date - d, (v.id * 7 + d * 13) % 40
            FROM inventory_vehicle v, generate_series(3, 32) AS d
            WHERE v.status = 'available'
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute("ANALYZE inventory_vehicledailyviews")


def _explain(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        for (line,) in cursor.fetchall():
            print("    " + line, flush=True)


def main() -> None:
    from django.core.cache import caches

    from inventory.models import Vehicle, VehicleDailyViews
    from inventory.page_views import vehicle_view_count, vehicle_views_flush, views_day
    from inventory.selectors import vehicles_with_views

    generate()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("no REDIS_URL: the views benchmark needs Redis (run it with make bench)")
        return
    cache_settings = {
        "default": {
            "BACKEND": "dealership.ops.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "bench-views",
        }
    }
    with override_settings(CACHES=cache_settings):
        backend = caches["default"]
        backend.clear()
        today = views_day()
        client = backend._cache.get_client(write=True)

        # --- counting ---
        floor = measure("floor: one Redis round trip (GET)", lambda: backend.get("x"), repeat=500)
        count = measure(
            "count one view (INCR + EXPIRE, pipelined)",
            lambda: vehicle_view_count(stock_number="B0000001"),
            repeat=500,
        )
        report(floor)
        report(count, floor)
        vehicle = Vehicle.objects.filter(status="available").order_by("pk").first()
        url = vehicle.get_absolute_url()
        visitor = Client(HTTP_HOST="127.0.0.1")
        visitor.get(url, HTTP_USER_AGENT=BROWSER)
        robot = measure(
            "vehicle page, cache hit, not counted (robot)",
            lambda: visitor.get(url, HTTP_USER_AGENT="Googlebot/2.1"),
            repeat=200,
        )
        counted = measure(
            "vehicle page, cache hit, counted",
            lambda: visitor.get(url, HTTP_USER_AGENT=BROWSER),
            repeat=200,
        )
        report(robot)
        report(counted, robot)

        # --- flushing ---
        VehicleDailyViews.objects.filter(day__gte=today - datetime.timedelta(days=1)).delete()
        candidates = list(
            Vehicle.objects.filter(status__in=["available", "reserved"])
            .order_by("pk")
            .values_list("stock_number", flat=True)
        )
        print(f"{len(candidates):,} flush candidates (available or reserved)", flush=True)
        viewed = candidates[::3][:VIEWED]
        _seed_counters(backend, viewed, today, 5)
        _seed_counters(backend, viewed, today - datetime.timedelta(days=1), 3)

        def reads_only():
            from inventory.page_views import views_key

            pairs = list(
                Vehicle.objects.filter(status__in=["available", "reserved"])
                .order_by()
                .values_list("pk", "stock_number")
            )
            days = (today - datetime.timedelta(days=1), today)
            keys = [views_key(stock_number=s, day=d) for _, s in pairs for d in days]
            found = 0
            for start in range(0, len(keys), 1000):
                found += len(backend.get_many(keys[start : start + 1000]))
            return found

        def scan_only():
            pattern = backend.make_and_validate_key("inventory:views:*")
            return sum(1 for _ in client.scan_iter(match=pattern, count=1000))

        start = time.perf_counter()
        written = vehicle_views_flush()
        first = Timing("flush, first run (inserting)", [time.perf_counter() - start])
        floor = measure("floor: the flush's reads only (ids + MGET)", reads_only, repeat=5)
        scan = measure("  alternative: SCAN for the keys only", scan_only, repeat=5)
        rerun = measure("flush, rerun (nothing changed)", vehicle_views_flush, repeat=5)
        for stock in viewed[:5000]:
            vehicle_view_count(stock_number=stock)
        start = time.perf_counter()
        raised = vehicle_views_flush()
        more = Timing("flush after 5,000 more views", [time.perf_counter() - start])
        print(f"rows written: first run {written:,}, after more views {raised:,}", flush=True)
        report(floor)
        report(scan, floor)
        report(first, floor)
        report(rerun, floor)
        report(more, floor)
        backend.clear()

    # --- reading (the inventory panel's oldest-vehicles table) ---
    _history()
    rows = VehicleDailyViews.objects.count()
    print(f"{rows:,} VehicleDailyViews rows", flush=True)
    in_stock = Vehicle.objects.filter(status__in=["draft", "available", "reserved"]).order_by(
        "in_stock_since", "pk"
    )
    fields = ("stock_number", "model_year", "make", "model", "status", "in_stock_since", "vin")
    plain = measure(
        "floor: oldest 10 without views", lambda: list(in_stock.only(*fields)[:10]), repeat=30
    )
    with_views = vehicles_with_views(in_stock.only(*fields), today=today)[:10]
    timed = measure(
        "oldest 10 with views (30 days, in stock)", lambda: list(with_views.all()), repeat=30
    )
    report(plain)
    report(timed, plain)
    sql, params = with_views.query.sql_with_params()
    print("  EXPLAIN ANALYZE, oldest 10 with views:", flush=True)
    _explain(sql, params)
