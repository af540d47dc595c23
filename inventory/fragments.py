"""The vehicle page's head and body, rendered once per vehicle state and language.

The page cache (page_cache.py) stores whole pages per page version; a new version (any photo
made ready, any sale) re-renders every vehicle page, and most of that render is the same as the
last one: spec labels, headings, the calculator's options, the price breakdown, the opening
hours, the head's meta tags and JSON-LD. ``{% page_fragment %}`` caches those parts keyed by
everything they show:

- every column of the vehicle's row (not only ``updated_at``: ``QuerySet.update()`` leaves that
  alone) and the page's photo and feature JSON as read from the database;
- the location version (name, address, fees, tax rate, opening hours);
- the query string (the payment calculator's inputs), the scheme and host (the head's canonical
  URL, Open Graph image and JSON-LD are absolute), the language, the currency and the
  registration estimate.

Only renders that go into the page cache use it (``page_cache_holes`` in the context): the body
holds no visitor's data, only the holes' markers, whose random token is swapped for the current
render's when a stored fragment is reused. A logged-in visitor's page is rendered whole.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from dealership.core import caching

VEHICLE_BODY_CACHE_SECONDS = caching.VEHICLE_BODY.seconds


def vehicle_body_key(*, vehicle, query: list, site: tuple[str, str]) -> str:
    """The fragment's cache key: a change to anything the body shows makes a new key."""
    (locations,) = caching.versions(*caching.VEHICLE_BODY.versions)
    state = (
        [getattr(vehicle, f.attname) for f in vehicle._meta.concrete_fields],
        getattr(vehicle, "page_photos", None),
        getattr(vehicle, "page_features", None),
        locations,
        query,
        site,
        translation.get_language(),
        settings.CURRENCY,
        str(settings.VEHICLE_REGISTRATION_ESTIMATE),
    )
    return caching.key(caching.VEHICLE_BODY, vehicle.pk, caching.digest(state))


def fragment_get(key: str, token: str) -> str | None:
    """A stored fragment with its hole markers moved to ``token``, or None."""
    if not caching.enabled(caching.VEHICLE_BODY.name):
        return None
    entry = cache.get(key)
    if entry is None:
        return None
    return entry["html"].replace(entry["token"], token)


def fragment_set(key: str, token: str, html: str) -> None:
    if not caching.enabled(caching.VEHICLE_BODY.name):
        return
    cache.set(key, {"html": str(html), "token": token}, VEHICLE_BODY_CACHE_SECONDS)
