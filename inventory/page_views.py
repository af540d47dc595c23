"""Vehicle page views: counted in the shared cache per request, written to the database by a
periodic job.

Counting (``count_vehicle_views``, a decorator *outside* ``anonymous_page_cache`` so page-cache
hits count too and page_cache.py stays as it is): a view is a GET of the public vehicle page
answered 200 — a car for sale, and a sold car's page too (it is still interest in that car,
and the page offers similar ones). Not counted: HEAD, POST, redirects, 404 and the 410 of an
archived car; htmx requests that swap part of the page (an ``HX-Request`` without
``HX-Boosted``; the payment calculator is a separate view and never counted); user agents
that say they are robots or scripts (``BOT_MARKERS``: ``HeadlessChrome`` included, since real
visitors don't browse headless — so the browser tests' Chromium is not counted either);
logged-in staff.

Each counted view is one counter per (stock number, UTC day) in the cache: on Redis one round
trip (a pipelined INCR + EXPIRE), elsewhere ``add`` then ``incr``. No database query. The day
is the UTC day, not the location's: the request knows only the URL (the vehicle, and so its
location, is not loaded on a cache hit), and the reports sum 30 days, where a few hours at
either end do not matter. The key holds the stock number (the URL's last part, as
``vehicle_get_public`` reads it), not the id, for the same reason.

Flushing (``vehicle_views_flush``, every 5 minutes): the vehicles whose pages can be counted
and matter — available or reserved, or sold since the start of yesterday (UTC) — are read
(id, stock number: one index scan), their counters for today and yesterday fetched with
``get_many`` in chunks of 1,000 keys (no SCAN, no shared set of ids to race on), and the
non-zero ones upserted into VehicleDailyViews with ``GREATEST(stored, cached)``: the cache
holds absolute day totals, so a run twice writes the same figures, a run that crashed
halfway is completed by the next, and a counter lost to an eviction or a Redis restart
never lowers a stored figure (the day's count then resumes from the stored one at most).
Views of a car sold before yesterday are still counted in the cache but no longer stored:
the reports only look at cars in stock.
"""

import datetime
import functools
import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import Vehicle, VehicleDailyViews

logger = logging.getLogger(__name__)

# Counters live long enough for yesterday's to be flushed after midnight, with a margin for
# a beat outage.
VIEWS_TTL_SECONDS = 3 * 24 * 3600
FLUSH_CHUNK = 1000
BOT_MARKERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "headless",
    "curl",
    "wget",
    "python-",
    "httpclient",
    "facebookexternalhit",
    "preview",
)


def views_day(now: datetime.datetime | None = None) -> datetime.date:
    """The UTC day a view made at ``now`` counts for."""
    return (now or timezone.now()).astimezone(datetime.UTC).date()


def views_key(*, stock_number: str, day: datetime.date) -> str:
    return f"inventory:views:{day.isoformat()}:{stock_number.upper()}"


def stock_from_slug(slug: str) -> str:
    """The stock number a vehicle page URL names (as ``vehicle_get_public`` reads it)."""
    return slug.rpartition("-")[2].upper()


def is_robot(user_agent: str) -> bool:
    agent = user_agent.lower()
    return not agent or any(marker in agent for marker in BOT_MARKERS)


def _countable(request, response) -> bool:
    if request.method != "GET" or response.status_code != 200:
        return False
    headers = request.headers
    if headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true":
        return False
    if is_robot(headers.get("User-Agent", "")):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        # Only a request with a session can be a logged-in user's (a cache hit never has one,
        # so this costs nothing there; a fresh render has usually loaded the user already).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return False
    return True


def vehicle_view_count(*, stock_number: str, now: datetime.datetime | None = None) -> None:
    """Add one view of the vehicle with ``stock_number`` to today's (UTC) counter."""
    key = views_key(stock_number=stock_number, day=views_day(now))
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip: INCR creates a missing counter at 1, EXPIRE keeps it a few days.
        # Django's Redis cache stores integers as plain numbers, so get_many reads these.
        from redis.exceptions import RedisError

        full_key = backend.make_and_validate_key(key)
        try:
            client = backend._cache.get_client(full_key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.incr(full_key)
            pipe.expire(full_key, VIEWS_TTL_SECONDS)
            pipe.execute()
        except RedisError as error:
            # A page never fails for a counter (like ResilientRedisCache's other methods).
            logger.warning("Counting a vehicle view failed: %r", error)
        return
    if not backend.add(key, 1, VIEWS_TTL_SECONDS):
        try:
            backend.incr(key)
        except ValueError:  # expired between add and incr
            backend.add(key, 1, VIEWS_TTL_SECONDS)


def count_vehicle_views(view):
    """Count the views of the vehicle page ``view`` renders (see the module docstring). Put
    it outside ``anonymous_page_cache`` so cached responses count too."""

    @functools.wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        response = view(request, slug, *args, **kwargs)
        if _countable(request, response):
            vehicle_view_count(stock_number=stock_from_slug(slug))
        return response

    return wrapper


def _flush_candidates(day: datetime.date):
    """(id, stock number) of every vehicle whose views are stored."""
    since = datetime.datetime.combine(
        day - datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    return (
        Vehicle.objects.filter(
            Q(status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED])
            | Q(status=Vehicle.Status.SOLD, sold_at__gte=since)
        )
        # In id order: two flushes at once lock the rows in the same order (no deadlock).
        .order_by("pk")
        .values_list("pk", "stock_number")
    )


_UPSERT_SQL = f"""
INSERT INTO {VehicleDailyViews._meta.db_table} (vehicle_id, day, views)
SELECT counted.vehicle_id, counted.day, counted.views
FROM unnest(%s::bigint[], %s::date[], %s::integer[]) AS counted (vehicle_id, day, views)
WHERE EXISTS (SELECT 1 FROM {Vehicle._meta.db_table} v WHERE v.id = counted.vehicle_id)
ON CONFLICT (vehicle_id, day) DO UPDATE
SET views = GREATEST({VehicleDailyViews._meta.db_table}.views, EXCLUDED.views)
WHERE {VehicleDailyViews._meta.db_table}.views < EXCLUDED.views
"""  # noqa: S608 # nosec B608 - table names from the models; the values are parameters


def _upsert(rows: list[tuple[int, datetime.date, int]]) -> int:
    if not rows:
        return 0
    ids, days, views = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL, [list(ids), list(days), list(views)])
        return cursor.rowcount


def vehicle_views_flush(*, now: datetime.datetime | None = None) -> int:
    """Store today's and yesterday's (UTC) view counters of the vehicles in stock (or sold
    since yesterday): safe to run twice or after a crash (see the module docstring). Each
    chunk of 1,000 vehicles is its own statement, committed on its own. Returns the number of
    rows inserted or raised."""
    today = views_day(now)
    days = (today - datetime.timedelta(days=1), today)
    backend = caches["default"]
    written = 0
    chunk: list[tuple[int, str]] = []

    def flush_chunk() -> int:
        keys = {
            views_key(stock_number=stock, day=day): (pk, day) for pk, stock in chunk for day in days
        }
        counted = backend.get_many(list(keys))
        rows = [
            (*keys[key], int(value))
            for key, value in counted.items()
            if isinstance(value, int) and value > 0
        ]
        return _upsert(rows)

    for pk, stock in list(_flush_candidates(today)):
        chunk.append((pk, stock))
        if len(chunk) * len(days) >= FLUSH_CHUNK:
            written += flush_chunk()
            chunk = []
    if chunk:
        written += flush_chunk()
    return written
