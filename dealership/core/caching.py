"""The showroom's cache layer: every cache's key, version and lifetime, in one place.

Vocabulary (docs/caching.md has the table of every cache):

- a **version** is a random token kept in the cache under a fixed name (``INVENTORY``,
  ``LOCATIONS``, ``PAGES``). A write that changes what a cache shows *bumps* the versions it
  affects (``bump``); keys built from a version are then never read again and simply expire.
  An emptied cache (a Redis restart) starts new versions, so nothing built for an older state
  is ever taken for current.
- a **key** is ``key(CACHE, *parts)``: the cache's prefix, then the versions and the state it
  is keyed by, behind the release (``release.cache_key``) so a deploy never reads entries an
  older release wrote.
- a **lifetime** is ``CACHES[name].seconds``: how long an entry may live even if no version
  moves (for writes made around the services: a shell, a data migration).
- a **layer** can be switched off for benchmarks only: ``SHOWROOM_CACHE_DISABLE=fragments,cards``
  (names from ``CACHES``); ``enabled(name)`` says whether it is on. Never set in production.

Which write bumps which version:

- ``INVENTORY``: every inventory service that writes a shown vehicle field (status, price,
  location, photos' order, transfer dispatch/arrival…), once per outermost transaction, on
  commit (inventory/services.py ``_showroom_changed``).
- ``PAGES``: a photo made ready (inventory/photos.py), which the inventory version does not follow.
- ``LOCATIONS``: a location, its opening hours or its tax rate changed (the accounts admin
  and ``tax_rate_changes_apply``).

This module sits at the bottom of the import layers (pyproject.toml): it knows names, not models.
"""

import hashlib
import os
import secrets
from dataclasses import dataclass

from django.core.cache import cache

from dealership import release

# Versions: names of the tokens in the cache.
INVENTORY = "inventory:facets:version"
LOCATIONS = "accounts:locations:version"
PAGES = "inventory:pages:version"
VERSIONS = (INVENTORY, LOCATIONS, PAGES)


@dataclass(frozen=True)
class Cache:
    """One cache: its key prefix, the versions its keys carry, its lifetime in seconds (None:
    a setting decides, see ``seconds``) and what it holds."""

    name: str
    prefix: str
    versions: tuple[str, ...]
    seconds: int | None
    what: str


PAGE = Cache(
    "pages",
    "inventory:page",
    (INVENTORY, LOCATIONS, PAGES),
    None,  # settings.SHOWROOM_PAGE_CACHE_SECONDS
    "anonymous search and vehicle pages with per-visitor holes",
)
VEHICLE_BODY = Cache(
    "fragments",
    "inventory:vehicle-body",
    (LOCATIONS,),
    3600,
    "the vehicle page's head and body, per vehicle row state",
)
CARD = Cache("cards", "inventory:card", (), 3600, "a result card's body, per vehicle state")
FILTERS = Cache(
    "filters",
    "inventory:facets",  # the facets' key of a filter state; the template's {% cache %} wraps it
    (INVENTORY,),
    300,
    "the search's filter column (with its facet counts) per filter state, sort and language",
)
FACET_INDEX = Cache(
    "facet_index",
    "inventory:facet-index",
    (INVENTORY,),
    300,
    "the bitmap index of the available inventory (shared, and a copy per process)",
)
SIMILAR = Cache(
    "similar", "inventory:similar", (INVENTORY, PAGES), 600, "a vehicle page's similar cars"
)
LOCATION_LIST = Cache(
    "locations",
    "accounts:public-locations",
    (LOCATIONS,),
    300,
    "the public locations with opening hours (shared, and a 30 s copy per process)",
)
LOCATIONS_MEMO_SECONDS = 30
REPLY_TEMPLATES = Cache(
    "reply_templates",
    "conversations:reply-templates:v1",  # used as the key itself, outside release.cache_key
    (),
    300,
    "staff reply templates (deleted on every template save)",
)

CACHES: dict[str, Cache] = {
    c.name: c
    for c in (
        PAGE,
        VEHICLE_BODY,
        CARD,
        FILTERS,
        FACET_INDEX,
        SIMILAR,
        LOCATION_LIST,
        REPLY_TEMPLATES,
    )
}


def seconds(entry: Cache) -> int:
    if entry.seconds is None:
        from django.conf import settings

        return settings.SHOWROOM_PAGE_CACHE_SECONDS
    return entry.seconds


def _new_token() -> str:
    return secrets.token_hex(8)


def version(name: str) -> str:
    """One version's token (set if missing)."""
    return cache.get_or_set(name, _new_token, None)


def versions(*names: str) -> tuple[str, ...]:
    """Version tokens read in one round trip; a missing one (an emptied cache) is set, and
    whoever sets it first wins (``add``), so concurrent requests agree."""
    found = cache.get_many(names)
    for name in names:
        if found.get(name) is None:
            cache.add(name, _new_token(), None)
            found[name] = cache.get(name)
    return tuple(str(found[name]) for name in names)


def bump(*names: str) -> None:
    """New tokens for ``names``: everything keyed by them is stale from now on."""
    for name in names:
        if name not in VERSIONS:
            raise ValueError(f"unknown cache version {name!r}")
        cache.set(name, _new_token(), None)


def digest(state, size: int = 20) -> str:
    """A short hash of ``repr(state)``: the part of a key that stands for what it shows."""
    return hashlib.blake2b(repr(state).encode(), digest_size=size).hexdigest()


def key(entry: Cache, *parts) -> str:
    """``entry``'s key for ``parts`` (versions first, then what it is keyed by)."""
    return release.cache_key(":".join((entry.prefix, *(str(part) for part in parts))))


_disabled_memo: tuple[str, frozenset[str]] = ("", frozenset())


def enabled(name: str) -> bool:
    """Whether the layer ``name`` is on: always, unless a benchmark switched it off with
    ``SHOWROOM_CACHE_DISABLE`` (read on every call, so one bench process can toggle it)."""
    global _disabled_memo
    raw = os.environ.get("SHOWROOM_CACHE_DISABLE", "")
    if not raw:
        return True
    if raw != _disabled_memo[0]:
        _disabled_memo = (raw, frozenset(part.strip() for part in raw.split(",")))
    return name not in _disabled_memo[1]
