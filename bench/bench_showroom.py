"""The showroom search and vehicle pages over 100,000 vehicles (200,000 photo rows, 3 locations).

For each of ten representative filter/sort combinations the search page is timed on its first
page and on a deep page (keyset cursor ~2,000 rows in), against the floor: the same rows fetched
by one hand-written SQL query on the same index and rendered by a minimal template, measured in
the same run. The same floor is also served as a page (its view behind the project's whole
middleware stack, through the same test client), to show the fixed cost any Django response
pays; the aim's ratio stays the one to the plain floor.

Anonymous visitors get the pages from the page cache (inventory/page_cache.py), so each page is
timed three ways:
- hit: the page cache answers (the per-visitor holes filled in), what a repeat URL costs;
- miss: the page rendered afresh (a new page version before each request, outside the timing),
  with the cards and filter column of that filter state already cached (a visitor who
  changes a filter others used before, or any logged-in user); for the vehicle page, its head
  and body fragments (inventory/fragments.py) cached, the row and similar cars read afresh;
- cold: every cache entry cleared but the inventory version, whose facet index stays built (a
  filter state nobody asked for yet: facets counted, cards and filter column rendered afresh).
The index build (by the worker) and a search right after an inventory change (which builds it
when no worker was faster) are printed too. The vehicle page is timed against its own floor.
`EXPLAIN ANALYZE` of the main queries follows the figures.

Run with `make bench` (BENCH_ARGS=showroom for this one only).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template, engines
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import Timing, measure, report


def measure_after(name: str, setup, fn, *, repeat: int = 15, warmup: int = 2) -> Timing:
    """``fn`` timed with ``setup`` run before each call, outside the timing."""
    for _ in range(warmup):
        setup()
        fn()
    samples = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)


VEHICLES = 100_000

MAKES = [
    ("Volkswagen", ["Golf", "Passat", "Tiguan", "ID.4", "Polo"]),
    ("BMW", ["3 Series", "X3", "i4", "1 Series", "X1"]),
    ("Mercedes-Benz", ["C-Class", "GLC", "A-Class", "E-Class"]),
    ("Audi", ["A4 Avant", "Q4 e-tron", "A3", "Q5"]),
    ("Škoda", ["Octavia", "Enyaq", "Fabia", "Kodiaq"]),
    ("Toyota", ["Corolla", "RAV4", "Yaris", "C-HR"]),
    ("Renault", ["Clio", "Mégane E-Tech", "Captur"]),
    ("Peugeot", ["308", "3008", "208"]),
    ("Volvo", ["XC60", "V60", "XC40"]),
    ("Kia", ["Sportage", "EV6", "Ceed"]),
    ("Hyundai", ["Ioniq 5", "Tucson", "i30"]),
    ("Tesla", ["Model 3", "Model Y"]),
]

COMBOS = [
    ("newest, no filter", {}),
    ("price asc, no filter", {"sort": "price"}),
    ("make=BMW, price asc", {"make": "BMW", "sort": "price"}),
    ("make+model, price desc", {"make": "Volkswagen", "model": "Golf", "sort": "-price"}),
    ("price 15k-30k, newest", {"price_min": "15000", "price_max": "30000"}),
    ("suv + electric, price asc", {"body_type": "suv", "fuel": "electric", "sort": "price"}),
    (
        "year>=2020, mileage<=50k, mileage asc",
        {"year_min": "2020", "mileage_max": "50000", "sort": "mileage"},
    ),
    (
        "location + automatic, year desc",
        {"location": "bench-leipzig", "transmission": "automatic", "sort": "-year"},
    ),
    ("feature tow bar, price asc", {"features": "tow-bar", "sort": "price"}),
    ("free text 'golf', newest", {"q": "golf"}),
]


def _sql_array(values) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(count: int = VEHICLES, location_ids: list[int] | None = None) -> None:
    """`count` vehicles (100,000 by default), two photo rows each, ~4 features each: set-based
    SQL, a few seconds. They go to three bench locations, or to `location_ids` when given (the
    load test puts them in the demo's branches, where consultants take test drives)."""
    from dealership.accounts.models import Location
    from inventory.models import Feature, Vehicle

    if Vehicle.objects.filter(stock_number__startswith="B").count() >= count:
        return
    locations = list(location_ids or [])
    for slug, city, tz in (
        ()
        if locations
        else (
            ("bench-leipzig", "Leipzig", "Europe/Berlin"),
            ("bench-lisbon", "Lisboa", "Europe/Lisbon"),
            ("bench-helsinki", "Helsinki", "Europe/Helsinki"),
        )
    ):
        location, _ = Location.objects.get_or_create(
            slug=slug,
            defaults={
                "name": f"Bench {city}",
                "street": "Street 1",
                "postal_code": "00000",
                "city": city,
                "country": "DE",
                "phone": "+49 341 555 0100",
                "email": f"{slug}@example.com",
                "time_zone": tz,
                "sales_tax_rate": "19.000",
                "documentation_fee": "249.00",
            },
        )
        locations.append(location.pk)
    for name in (
        "Tow bar",
        "Heated seats",
        "Panoramic roof",
        "Navigation",
        "Heat pump",
        "Parking camera",
        "Adaptive cruise control",
        "Keyless entry",
    ):
        Feature.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})

    pairs = [(make, model) for make, models in MAKES for model in models]
    makes = _sql_array([p[0] for p in pairs])
    models = _sql_array([p[1] for p in pairs])
    n_pairs = len(pairs)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Only constants of this module are formatted in; nothing comes from outside.
        cursor.execute(
            f"""
            INSERT INTO inventory_vehicle (
                vin, stock_number, slug, location_id, condition, make, model, trim, model_year,
                body_type, fuel, transmission, drivetrain, engine, mileage, exterior_colour,
                exterior_colour_name, interior_colour, seats, doors, description, list_price,
                sale_price, margin_scheme, status, in_stock_since, published_at, vin_data,
                created_at, updated_at
            )
            SELECT
                'WBENCH' || lpad(g::text, 11, '0'),
                'B' || g,
                lower(regexp_replace(
                    (2015 + g % 11) || '-' || ({makes})[1 + g % {n_pairs}] || '-' ||
                    ({models})[1 + g % {n_pairs}] || '-b' || g, '[^a-zA-Z0-9]+', '-', 'g')),
                (ARRAY{locations})[1 + g % {len(locations)}],
                (ARRAY['new','used','used','certified'])[1 + g % 4],
                ({makes})[1 + g % {n_pairs}],
                ({models})[1 + g % {n_pairs}],
                (ARRAY['Base','Style','Sport','Premium'])[1 + (g / 7) % 4],
                2015 + g % 11,
                (ARRAY['sedan','hatchback','estate','suv','suv','coupe','mpv'])[1 + (g / 3) % 7],
                (ARRAY['petrol','diesel','hybrid','plugin_hybrid','electric'])[1 + (g / 5) % 5],
                (ARRAY['manual','automatic','automatic'])[1 + (g / 11) % 3],
                (ARRAY['fwd','rwd','awd','fwd'])[1 + (g / 13) % 4],
                '2.0 l',
                (g::bigint * 7919) % 200000,
                (ARRAY['black','white','silver','grey','blue','red','green'])[1 + (g / 17) % 7],
                '', 'Black cloth', 5, 5, '',
                8000 + (g::bigint * 104729) % 72000,
                CASE WHEN g % 5 = 0 THEN 7000 + (g::bigint * 104729) % 72000 - 1000 ELSE NULL END,
                false,
                CASE WHEN g % 10 = 0 THEN 'sold' WHEN g % 37 = 0 THEN 'draft' ELSE 'available' END,
                current_date - (g % 365),
                now() - g * interval '5 minutes',
                '{{}}'::jsonb, now(), now()
            FROM generate_series(1, {int(count)}) AS g
            """  # nosec B608
        )
        cursor.execute(
            """
            INSERT INTO inventory_vehiclephoto (vehicle_id, position, is_primary, alt_text, original,
                gallery, thumbnail, width, height, status, error, created_at)
            SELECT v.id, p, p = 0, v.make || ' ' || v.model, '',
                   'vehicles/gallery/' || v.id || '-' || p || '.jpg',
                   'vehicles/thumbs/' || v.id || '-' || p || '.jpg', 1600, 1200, 'ready', '', now()
            FROM inventory_vehicle v CROSS JOIN generate_series(0, 1) AS p
            WHERE v.stock_number LIKE 'B%'
            """
        )
        cursor.execute(
            """
            INSERT INTO inventory_vehicle_features (vehicle_id, feature_id)
            SELECT v.id, f.id FROM inventory_vehicle v CROSS JOIN inventory_feature f
            WHERE v.stock_number LIKE 'B%' AND (v.id + f.id) % 2 = 0
            """
        )
        cursor.execute(
            "ANALYZE inventory_vehicle, inventory_vehiclephoto, inventory_vehicle_features"
        )
    print(f"generated {count:,} vehicles in {time.perf_counter() - started:.1f} s", flush=True)


FLOOR_TEMPLATE = Template(
    "{% for r in rows %}<a href='/vehicles/{{ r.1 }}/'><img src='{{ r.2 }}'>{{ r.3 }} {{ r.4 }} "
    "{{ r.5 }}</a>{% endfor %}"
)

SORT_SQL = {
    "newest": ("published_at", "DESC"),
    "price": ("price", "ASC"),
    "-price": ("price", "DESC"),
    "-year": ("model_year", "DESC"),
    "mileage": ("mileage", "ASC"),
}


def _floor(where: str, params: list, sort: str, cursor_value=None, cursor_id=None):
    column, direction = SORT_SQL[sort]
    op = "<" if direction == "DESC" else ">"
    keyset = ""
    args = list(params)
    if cursor_value is not None:
        keyset = f" AND ({column}, v.id) {op} (%s, %s)"
        args += [cursor_value, cursor_id]
    # Column and direction come from SORT_SQL, the clauses from _floor_where's constants;
    # the values are parameters.
    sql = f"""
        SELECT v.id, v.slug, ph.thumbnail, v.make, v.model, v.price
        FROM inventory_vehicle v
        LEFT JOIN LATERAL (
            SELECT thumbnail FROM inventory_vehiclephoto p
            WHERE p.vehicle_id = v.id AND p.status = 'ready'
            ORDER BY p.is_primary DESC, p.position, p.id LIMIT 1
        ) ph ON true
        WHERE v.status = 'available' {where}{keyset}
        ORDER BY {column} {direction}, v.id {direction}
        LIMIT 25
    """  # nosec B608

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        return FLOOR_TEMPLATE.render(Context({"rows": rows}))

    return run


_FLOOR = {"run": None}


def floor_view(request):
    """The floor served as a page: the same hand-written SQL and minimal template behind the
    project's whole middleware stack (sessions, CSRF, auth, 2FA, CSP, axes, htmx)."""
    from django.http import HttpResponse

    return HttpResponse(_FLOOR["run"]())


def _urlpatterns():
    from django.urls import path

    return [path("floor/", floor_view)]


def request_floor(name: str, client, run, *, repeat: int) -> Timing:
    """``run`` timed through the test client and the full request cycle, with this module as
    the URL conf for the duration (set once, so no URL cache is cleared between requests)."""
    from django.test.utils import override_settings

    _FLOOR["run"] = run
    with override_settings(ROOT_URLCONF=__name__):
        return measure(name, lambda: client.get("/floor/"), repeat=repeat)


def __getattr__(name):  # the URL conf's urlpatterns, built lazily (Django is set up by then)
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def _floor_where(params: dict) -> tuple[str, list]:
    clauses, args = [], []
    simple = {
        "make": "make",
        "model": "model",
        "body_type": "body_type",
        "fuel": "fuel",
        "transmission": "transmission",
    }
    for key, column in simple.items():
        if key in params:
            clauses.append(f"v.{column} = %s")
            args.append(params[key])
    for key, sql in (
        ("price_min", "v.price >= %s"),
        ("price_max", "v.price <= %s"),
        ("year_min", "v.model_year >= %s"),
        ("mileage_max", "v.mileage <= %s"),
    ):
        if key in params:
            clauses.append(sql)
            args.append(params[key])
    if "location" in params:
        clauses.append("v.location_id = (SELECT id FROM accounts_location WHERE slug = %s)")
        args.append(params["location"])
    if "features" in params:
        clauses.append(
            "EXISTS (SELECT 1 FROM inventory_vehicle_features vf JOIN inventory_feature f "
            "ON f.id = vf.feature_id WHERE vf.vehicle_id = v.id AND f.slug = %s)"
        )
        args.append(params["features"])
    if "q" in params:
        clauses.append("(v.make ILIKE %s OR v.model ILIKE %s OR v.trim ILIKE %s)")
        args += [f"%{params['q']}%"] * 3
    return "".join(f" AND {c}" for c in clauses), args


def _deep_cursor(params: dict, pages: int = 80) -> str:
    """Walk the pages to a cursor ~2,000 rows in (as a visitor clicking Next would)."""
    import dataclasses

    from django.http import QueryDict

    from inventory.forms import VehicleSearchForm
    from inventory.selectors import vehicle_search_page

    query = QueryDict(mutable=True)
    query.update(params)
    filters = VehicleSearchForm(query).filters()
    cursor = ""
    for _ in range(pages):
        page = vehicle_search_page(filters=dataclasses.replace(filters, after=cursor))
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return cursor


def _explain(title: str, sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    print(f"\n-- EXPLAIN {title}")
    for line in lines[:14]:
        print("   " + line)
    if len(lines) > 14:
        print(f"   … ({len(lines) - 14} more lines)")
    print("   " + lines[-1])


def main() -> None:
    from inventory.facet_index import facet_index_build
    from inventory.models import Vehicle
    from inventory.page_cache import page_cache_invalidate
    from inventory.selectors import (
        FACET_VERSION_KEY,
        _parse_cursor,
        facets_cache_version,
        facets_invalidate,
    )

    generate()
    # Measure as production serves (bench/run.py already does this for every benchmark; kept
    # here so the module also measures right when called on its own): no query log around every
    # cursor, no debug annotations on template nodes. Both floor and pages run so.
    settings.DEBUG = False
    engines["django"].engine.debug = False
    client = Client(HTTP_HOST="127.0.0.1")
    available = Vehicle.objects.filter(status="available").count()
    print(f"{available:,} available vehicles\n", flush=True)

    ratios = []
    for name, params in COMBOS:
        sort = params.get("sort", "newest")
        where, args = _floor_where(params)
        floor = measure(f"floor: {name}", _floor(where, args, sort), repeat=15)
        request_floor_timing = request_floor(
            f"  floor as a page: {name}", client, _floor(where, args, sort), repeat=15
        )
        version = facets_cache_version()
        cache.clear()
        cache.set(FACET_VERSION_KEY, version, None)  # the index stays built

        def get(p=params):
            return client.get("/vehicles/", p)

        assert get().status_code == 200  # warm the caches, as any visitor before would
        hit = measure(f"search (page cache hit): {name}", get, repeat=15)
        assert get()["X-Page-Cache"] == "hit"
        miss = measure_after(f"  search (page cache miss): {name}", page_cache_invalidate, get)

        def clear():
            # A filter state nobody asked for yet: every cache entry gone (pages, facets,
            # filter column, cards) except the inventory version, whose facet index stays built.
            version = facets_cache_version()
            cache.clear()
            cache.set(FACET_VERSION_KEY, version, None)

        cold_page = measure_after(f"  search (cold): {name}", clear, get, repeat=5, warmup=1)
        deep = _deep_cursor(params)
        value, pk = _parse_cursor(sort, deep) if deep else (None, None)
        deep_floor = measure(f"floor deep: {name}", _floor(where, args, sort, value, pk), repeat=15)

        def get_deep(p=params, c=deep):
            return client.get("/vehicles/", {**p, "after": c})

        get_deep()
        deep_hit = measure(f"search deep (hit): {name}", get_deep, repeat=15)
        deep_miss = measure_after(f"  search deep (miss): {name}", page_cache_invalidate, get_deep)
        report(floor)
        report(request_floor_timing, floor)
        report(hit, floor)
        report(miss, floor)
        print(f"  miss / floor as a page {miss.p50 / request_floor_timing.p50:5.2f}x", flush=True)
        report(cold_page, floor)
        report(deep_floor)
        report(deep_hit, deep_floor)
        report(deep_miss, deep_floor)
        print(f"  deep/first page ratio (miss) {deep_miss.p50 / miss.p50:5.2f}x", flush=True)
        ratios.append(
            (
                name,
                hit.p50 / floor.p50,
                miss.p50 / floor.p50,
                deep_hit.p50 / deep_floor.p50,
                deep_miss.p50 / deep_floor.p50,
                cold_page.p50 / floor.p50,
                miss.p50 / request_floor_timing.p50,
            )
        )

    # After an inventory change: the worker builds the facet index for the new version; a
    # visitor who comes first builds it in the request.
    build = measure(
        "facet index build (worker)",
        lambda: facet_index_build(token=facets_cache_version()),
        repeat=3,
        warmup=1,
    )

    def changed():
        facets_invalidate()
        client.get("/vehicles/", COMBOS[2][1])

    after_change = measure("  search right after a change (builds it)", changed, repeat=3, warmup=0)
    report(build)
    report(after_change)

    vehicle = Vehicle.objects.filter(status="available").order_by("id")[5000]
    url = vehicle.get_absolute_url()

    def vehicle_floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.*, l.name FROM inventory_vehicle v JOIN accounts_location l "
                "ON l.id = v.location_id WHERE v.stock_number = %s",
                [vehicle.stock_number],
            )
            row = cursor.fetchone()
            cursor.execute(
                "SELECT gallery, thumbnail, alt_text FROM inventory_vehiclephoto "
                "WHERE vehicle_id = %s AND status = 'ready' ORDER BY is_primary DESC, position",
                [row[0]],
            )
            photos = cursor.fetchall()
        return FLOOR_TEMPLATE.render(Context({"rows": [row, *photos]}))

    floor = measure("floor: vehicle row + photos", vehicle_floor, repeat=30)
    vehicle_request_floor = request_floor(
        "  floor as a page: vehicle", client, vehicle_floor, repeat=30
    )
    client.get(url)
    page = measure("vehicle page (page cache hit)", lambda: client.get(url), repeat=30)
    page_miss = measure_after(
        "  vehicle page (page cache miss)",
        page_cache_invalidate,
        lambda: client.get(url),
        repeat=30,
    )

    def clear():
        version = facets_cache_version()
        cache.clear()
        cache.set(FACET_VERSION_KEY, version, None)

    page_cold = measure_after(
        "  vehicle page (cold: no cache entry)", clear, lambda: client.get(url), repeat=15
    )
    report(floor)
    report(vehicle_request_floor, floor)
    report(page, floor)
    report(page_miss, floor)
    report(page_cold, floor)
    print(f"  vehicle page hit / floor as a page {page.p50 / vehicle_request_floor.p50:5.2f}x")
    print(
        f"  vehicle page miss / floor as a page {page_miss.p50 / vehicle_request_floor.p50:5.2f}x"
    )

    print(
        "\nsummary (p50 ratio to the floor): first page hit, miss; deep page hit, miss; first "
        "page cold; first page miss to the floor served as a page"
    )
    print(
        f"  {'':<42} {'hit':>7}  {'miss':>7}  {'d.hit':>7}  {'d.miss':>7}  {'cold':>7}  {'m/page':>7}"
    )
    for name, *figures in ratios:
        print(f"  {name:<42} " + "  ".join(f"{figure:6.2f}x" for figure in figures))
    print(
        f"  {'vehicle page':<42} {page.p50 / floor.p50:6.2f}x  {page_miss.p50 / floor.p50:6.2f}x"
        f"  {'':>7}  {'':>7}  {page_cold.p50 / floor.p50:6.2f}x"
        f"  {page_miss.p50 / vehicle_request_floor.p50:6.2f}x"
    )

    # The plans behind the figures.
    for name, params in (COMBOS[1], COMBOS[2], COMBOS[5]):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get("/vehicles/", params)
        sqls = [q["sql"] for q in queries.captured_queries if "inventory_vehicle" in q["sql"]]
        page_sql = next(s for s in sqls if "LIMIT 25" in s)
        _explain(f"search page: {name}", page_sql, None)
    from inventory.facet_index import _BUILD_SQL

    _explain("facet index build (once per inventory version)", _BUILD_SQL, None)
    deep = _deep_cursor({"sort": "price"})
    page_cache_invalidate()
    with CaptureQueriesContext(connection) as queries:
        client.get("/vehicles/", {"sort": "price", "after": deep})
    page_sql = next(q["sql"] for q in queries.captured_queries if "LIMIT 25" in q["sql"])
    _explain("deep page: price asc", page_sql, None)
    from decimal import Decimal

    from inventory.selectors import _SIMILAR_SQL, _VEHICLE_PAGE_SQL

    _explain("vehicle page row", _VEHICLE_PAGE_SQL, ["ready", vehicle.stock_number])
    price = vehicle.price
    _explain(
        "similar cars (once per inventory version)",
        _SIMILAR_SQL,
        [
            "ready",
            "ready",
            "available",
            vehicle.body_type,
            price * Decimal("0.7"),
            price * Decimal("1.3"),
            vehicle.pk,
            4,
        ],
    )
