"""The public locations as every showroom page's header and footer show them (with their
opening hours), cached per location version: a page reads them with one cache round trip
instead of two queries.

The version is a random token in the cache, replaced whenever a location or its opening hours
change (``locations_invalidate``, called on commit by the admin that edits them). An emptied
cache simply starts a new version; the entries also expire, so a change written some other way
(a shell, a data migration) shows within ``LOCATIONS_CACHE_SECONDS`` (plus the process memo's
``LOCATIONS_MEMO_SECONDS``).

Each process also keeps the list it read last, with its version: a showroom page asks for it
two or three times (its cards, its header and footer), and unpickling the locations with their
opening hours from the cache cost about a millisecond each time. A new version reads afresh.
"""

import time

from django.core.cache import cache

from dealership.core import caching

from .models import Location
from .selectors import location_list_public

# Keys, versions and lifetimes: dealership/core/caching.py (names kept here for callers).
LOCATIONS_VERSION_KEY = caching.LOCATIONS
LOCATIONS_CACHE_SECONDS = caching.LOCATION_LIST.seconds
LOCATIONS_MEMO_SECONDS = caching.LOCATIONS_MEMO_SECONDS

# (cache key, expiry as time.time(), locations): the last list this process read.
_memo: tuple[str, float, list[Location]] | None = None


def locations_version() -> str:
    return caching.version(caching.LOCATIONS)


def locations_invalidate() -> None:
    """A new version: every cached list (and every cached page that shows locations) is stale."""
    caching.bump(caching.LOCATIONS)


def location_list_public_cached(*, version: str | None = None) -> list[Location]:
    """The active locations with their opening hours prefetched, in name order. The same
    objects are shared by the requests of a process: read them, never change them."""
    global _memo
    if not caching.enabled(caching.LOCATION_LIST.name):
        return list(location_list_public())
    key = caching.key(caching.LOCATION_LIST, version or locations_version())
    now = time.time()
    if _memo is not None and _memo[0] == key and _memo[1] > now:
        return list(_memo[2])
    locations = cache.get(key)
    if locations is None:
        locations = list(location_list_public())
        cache.set(key, locations, LOCATIONS_CACHE_SECONDS)
    _memo = (key, now + LOCATIONS_MEMO_SECONDS, locations)
    return list(locations)
