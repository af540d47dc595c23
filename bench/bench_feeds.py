"""Marketplace feeds over 100,000 available vehicles (FEEDS_BENCH_SIZE; target ≤ 2 s each),
against the floor of PostgreSQL writing the same rows itself: one ``COPY (SELECT …) TO
STDOUT`` with the primary photo subquery, read by the client (no Python per row).

Data: bench_showroom's generator (set-based SQL; ~88 % of the generated cars are available,
so it makes enough for FEEDS_BENCH_SIZE available ones), two photos each, ~4 features.
Prints p50/p95 of each format's full build into a temporary file and the ratio to the floor.
"""

import io
import os

from django.db import connection

from bench.bench_showroom import generate
from bench.common import measure, report

SIZE = int(os.environ.get("FEEDS_BENCH_SIZE", "100000"))
REPEAT = int(os.environ.get("FEEDS_BENCH_REPEAT", "3"))

FLOOR_SQL = """
COPY (
    SELECT v.stock_number, v.model_year || ' ' || v.make || ' ' || v.model || ' ' || v.trim,
           v.description, '/vehicles/' || v.slug || '/',
           (SELECT p.gallery FROM inventory_vehiclephoto p
             WHERE p.vehicle_id = v.id AND p.status = 'ready'
             ORDER BY p.is_primary DESC, p.position, p.id LIMIT 1),
           v.price || ' EUR', v.condition, v.make, v.model, v.trim, v.model_year,
           v.mileage || ' km', v.vin, l.slug, 'in_store:' || l.slug, v.exterior_colour,
           v.body_type, v.engine
    FROM inventory_vehicle v JOIN accounts_location l ON l.id = v.location_id
    WHERE v.status = 'available'
    ORDER BY v.id
) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\t', HEADER)
"""


def _floor() -> int:
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(FLOOR_SQL) as copy:
        for block in copy:
            size += len(block)
    return size


def main() -> None:
    from inventory.models import Feed, Vehicle
    from inventory.syndication import feed_render

    connection.ensure_connection()
    generate(count=int(SIZE / 0.88) + 1)
    available = Vehicle.objects.filter(status=Vehicle.Status.AVAILABLE).count()
    print(f"{available:,} available vehicles", flush=True)

    floor = measure("floor: COPY (SELECT …) TO STDOUT", _floor, repeat=REPEAT, warmup=1)
    report(floor)
    for kind in Feed.Kind:

        def build(kind=kind):
            out = io.StringIO()
            return feed_render(kind=kind, location=None, out=out)

        timing = measure(f"feed {kind.value} ({available:,} cars)", build, repeat=REPEAT, warmup=1)
        report(timing, floor)
        if timing.p50 > 2.0:
            print(f"  over the 2 s target: {timing.p50:.2f} s", flush=True)
