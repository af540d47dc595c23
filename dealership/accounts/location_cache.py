"""The public locations as every showroom page's header and footer show them (with their
opening hours), cached per location version: a page reads them with one cache round trip
instead of two queries.

The version is a random token in the cache, replaced whenever a location or its opening hours
change (``locations_invalidate``, called on commit by the admin that edits them). An emptied
cache simply starts a new version; the entries also expire, so a change written some other way
(a shell, a data migration) shows within ``LOCATIONS_CACHE_SECONDS``.
"""

import secrets

from django.core.cache import cache

from .models import Location
from .selectors import location_list_public

LOCATIONS_VERSION_KEY = "accounts:locations:version"
LOCATIONS_CACHE_SECONDS = 300


def _new_version() -> str:
    return secrets.token_hex(8)


def locations_version() -> str:
    return cache.get_or_set(LOCATIONS_VERSION_KEY, _new_version, None)


def locations_invalidate() -> None:
    """A new version: every cached list (and every cached page that shows locations) is stale."""
    cache.set(LOCATIONS_VERSION_KEY, _new_version(), None)


def location_list_public_cached(*, version: str | None = None) -> list[Location]:
    """The active locations with their opening hours prefetched, in name order."""
    key = f"accounts:public-locations:{version or locations_version()}"
    locations = cache.get(key)
    if locations is None:
        locations = list(location_list_public())
        cache.set(key, locations, LOCATIONS_CACHE_SECONDS)
    return locations
