"""Facet counts from an in-memory bitmap index of the available inventory.

Counting "how many cars per value, with all the *other* filters applied" in SQL costs one
aggregate over the filtered rows per facet group: 0.2–1.2 s at 100,000 cars for every new
filter state. Here the available cars are loaded once per inventory version (two queries), each
filter value becomes a bitmap (a Python int; a car's bit is its id), and any filter state's
counts are ANDs and popcounts of those bitmaps: about a millisecond, no query.

The index belongs to one inventory version (``facets_invalidate`` in selectors.py sets a new
version token on every change) and lives at most ``INDEX_SECONDS`` (location and feature names
can change without touching a vehicle). A worker builds it after each change
(``inventory.facet_index_refresh``, queued by the services on commit, and every few minutes by
beat) and shares it through the cache; each web process keeps a copy in memory. A visitor who
comes before the worker has finished builds it in the request (1–2 s at 100,000 cars).
"""

import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Value

from dealership.accounts.models import Location
from dealership.core import caching

from .forms import VehicleFilters
from .models import Feature

INDEX_SECONDS = caching.FACET_INDEX.seconds
_RANGE_STEP = 4096

# facet name -> (filter attribute, Vehicle field); the order of selectors.FACETS
CHOICE_FACETS = {
    "body_type": ("body_type", "body_type"),
    "fuel": ("fuel", "fuel"),
    "transmission": ("transmission", "transmission"),
    "drivetrain": ("drivetrain", "drivetrain"),
    "condition": ("condition", "condition"),
    "colour": ("colour", "exterior_colour"),
}
_INT_FIELDS = ("model_year", "location_id")
_BITMAP_FIELDS = (
    "make",
    "model",
    "trim",
    "model_year",
    "location_id",
    *[column for _attribute, column in CHOICE_FACETS.values()],
)


def _build_sql() -> str:
    """One query over the available cars (a car's bit is its id): per (column, value) the ids
    that have it, per feature the ids that have it (every car: the index masks the others out),
    each range column's ids in value order with the values, and the ids with their stock
    numbers. PostgreSQL groups; Python only turns each list of ids into a bitmap."""
    available = "FROM inventory_vehicle WHERE status = 'available'"
    columns = [
        f"SELECT '{name}', {name}::text, array_agg(id) {available} GROUP BY {name}"  # nosec B608
        for name in _BITMAP_FIELDS
    ]
    return f"""
        {" UNION ALL ".join(columns)}
        UNION ALL
        SELECT 'features', feature_id::text, array_agg(vehicle_id)
        FROM inventory_vehicle_features GROUP BY feature_id
        UNION ALL
        SELECT '_range:price', NULL, array_agg(id ORDER BY price, id) {available}
        UNION ALL
        SELECT '_range:price:values', NULL, array_agg((price * 100)::bigint ORDER BY price, id)
        {available}
        UNION ALL
        SELECT '_range:mileage', NULL, array_agg(id ORDER BY mileage, id) {available}
        UNION ALL
        SELECT '_range:mileage:values', NULL, array_agg(mileage::bigint ORDER BY mileage, id)
        {available}
        UNION ALL
        SELECT '_order', string_agg(stock_number, E'\\t' ORDER BY id), array_agg(id ORDER BY id)
        {available}
    """  # noqa: S608 # nosec B608 - column names are this module's constants


def _groups() -> list[tuple[str, str | None, list[int]]]:
    with connection.cursor() as cursor:
        cursor.execute(_BUILD_SQL)
        return cursor.fetchall()


def _bitmap(positions, width: int) -> int:
    """The int whose set bits are ``positions`` (those below ``width``: higher ids belong to
    cars that are not available, which every count masks out anyway)."""
    bits = bytearray((width + 7) // 8)
    for position in positions:
        if position < width:
            bits[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")


@dataclass
class _Range:
    """A numeric column sorted, with the bitmap of every ``_RANGE_STEP``-th prefix, so "value
    <= x" is one prefix plus at most ``_RANGE_STEP`` single bits.

    The 100,000-long columns are ``array``s, not lists: the garbage collector walks every list
    it tracks on each full collection, and two lists of 100,000 ints per range added ~10 ms to
    requests that happened to trigger one."""

    values: array
    order: array
    prefixes: list[int]
    size: int

    @classmethod
    def build(cls, values, order, size: int) -> "_Range":
        """``values`` ascending (integers), ``order`` the positions of the cars in that order."""
        values, order = array("q", values), array("l", order)
        prefixes = [0]
        for start in range(0, size, _RANGE_STEP):
            prefixes.append(prefixes[-1] | _bitmap(order[start : start + _RANGE_STEP], size))
        return cls(values=values, order=order, prefixes=prefixes, size=size)

    def _first(self, count: int) -> int:
        whole, rest = divmod(count, _RANGE_STEP)
        start = whole * _RANGE_STEP
        return self.prefixes[whole] | _bitmap(self.order[start : start + rest], self.size)

    def at_most(self, value) -> int:
        return self._first(bisect_right(self.values, value))

    def at_least(self, value) -> int:
        below = self._first(bisect_left(self.values, value))
        return self.prefixes[-1] & ~below


_BUILD_SQL = _build_sql()


@dataclass
class FacetIndex:
    token: str
    built_at: float
    size: int
    everything: int
    bitmaps: dict[str, dict] = field(default_factory=dict)
    ranges: dict[str, _Range] = field(default_factory=dict)
    stock_text: str = ""
    ids: array = field(default_factory=lambda: array("q"))
    features: dict[int, int] = field(default_factory=dict)
    locations: list[tuple[int, str, str]] = field(default_factory=list)
    feature_names: list[tuple[int, str, str]] = field(default_factory=list)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(cls, token: str) -> "FacetIndex":
        index = cls(token=token, built_at=time.time(), size=0, everything=0)
        groups = _groups()
        ids = next((ids or [] for kind, _v, ids in groups if kind == "_order"), [])
        width = (ids[-1] + 1) if ids else 0
        index.size, index.ids = len(ids), array("q", ids)
        index.everything = _bitmap(ids, width)
        ranges: dict[str, dict[str, list]] = {}
        for kind, value, positions in groups:
            if kind == "_order":
                index.stock_text = value or ""
            elif kind.startswith("_range:"):
                # "_range:price" / "_range:price:values" (cents) …
                _, column, *part = kind.split(":")
                ranges.setdefault(column, {})["values" if part else "order"] = positions or []
            elif kind == "features":
                index.features[int(value)] = _bitmap(positions, width)
            else:
                key = int(value) if kind in _INT_FIELDS else value
                index.bitmaps.setdefault(kind, {})[key] = _bitmap(positions, width)
        for name in _BITMAP_FIELDS:
            index.bitmaps.setdefault(name, {})
        for column in ("price", "mileage"):
            parts = ranges.get(column, {"order": [], "values": []})
            index.ranges[column] = _Range.build(parts["values"], parts["order"], width)
        # The names, slugs and order of the facets' locations and features: one small query.
        kind = CharField()
        names = list(
            Location.objects.order_by()
            .annotate(kind=Value("location", kind))
            .values_list("kind", "id", "slug", "name")
            .union(
                Feature.objects.order_by()
                .annotate(kind=Value("feature", kind))
                .values_list("kind", "id", "slug", "name"),
                all=True,
            )
        )
        index.locations = [(pk, slug, name) for k, pk, slug, name in names if k == "location"]
        index.feature_names = [(pk, slug, name) for k, pk, slug, name in names if k == "feature"]
        return index

    # -- filtering --------------------------------------------------------------------------

    def _any(self, name: str, values) -> int:
        bitmaps = self.bitmaps[name]
        result = 0
        for value in values:
            result |= bitmaps.get(value, 0)
        return result

    def _stock_position(self, stock: str) -> int | None:
        """The id (bit) of the available car with this stock number: a search in the tab-separated string
        (no dict of 100,000 strings to unpickle, or for the garbage collector to walk)."""
        if not stock or "\t" in stock:
            return None
        found = f"\t{self.stock_text}\t".find(f"\t{stock}\t")
        return None if found < 0 else self.ids[self.stock_text.count("\t", 0, found)]

    def _text(self, term: str) -> int:
        """A free-text word: in the make, model or trim (case-insensitive), or the stock number."""
        needle = term.upper()
        result = 0
        for name in ("make", "model", "trim"):
            for value, bits in self.bitmaps[name].items():
                if needle in (value or "").upper():
                    result |= bits
        position = self._stock_position(term.upper())
        if position is not None:
            result |= 1 << position
        return result

    def _masks(self, filters: VehicleFilters) -> dict[str, int]:
        """One bitmap per filter in use (facet name -> cars that pass it)."""
        masks: dict[str, int] = {}
        common = self.everything
        for term in filters.q.split()[:6]:
            common &= self._text(term)
        years = self.bitmaps["model_year"]
        if filters.year_min is not None or filters.year_max is not None:
            low = filters.year_min if filters.year_min is not None else -1
            high = filters.year_max if filters.year_max is not None else 10**6
            common &= self._any("model_year", [y for y in years if low <= y <= high])
        if filters.price_min is not None:
            common &= self.ranges["price"].at_least(Decimal(filters.price_min) * 100)
        if filters.price_max is not None:
            common &= self.ranges["price"].at_most(Decimal(filters.price_max) * 100)
        if filters.mileage_max is not None:
            common &= self.ranges["mileage"].at_most(filters.mileage_max)
        masks["_common"] = common
        if filters.make:
            masks["make"] = self.bitmaps["make"].get(filters.make, 0)
        if filters.model:
            masks["model"] = self.bitmaps["model"].get(filters.model, 0)
        for name, (attribute, column) in CHOICE_FACETS.items():
            values = getattr(filters, attribute)
            if values:
                masks[name] = self._any(column, values)
        if filters.location:
            ids = [pk for pk, slug, _name in self.locations if slug in filters.location]
            masks["location"] = self._any("location_id", ids)
        if filters.features:
            by_slug = {slug: pk for pk, slug, _name in self.feature_names}
            bits = self.everything
            for slug in filters.features:
                bits &= self.features.get(by_slug.get(slug), 0)
            masks["features"] = bits
        return masks

    @staticmethod
    def _without(masks: dict[str, int], *skip: str) -> int:
        result = -1
        for name, bits in masks.items():
            if name not in skip:
                result &= bits
        return result

    def rows(self, filters: VehicleFilters) -> list[tuple[str, str, int]]:
        """The (facet, value, count) rows selectors.vehicle_search_facets reads, as the SQL
        version gave them: values with no car left out, ids as strings, name rows included."""
        masks = self._masks(filters)
        rows = [("_total", "", self._without(masks).bit_count())]

        def group(name: str, bitmaps: dict, base: int) -> None:
            for value, bits in bitmaps.items():
                count = (base & bits).bit_count()
                if count:
                    rows.append((name, str(value), count))

        group("make", self.bitmaps["make"], self._without(masks, "make", "model"))
        for name, (_attribute, column) in CHOICE_FACETS.items():
            group(name, self.bitmaps[column], self._without(masks, name))
        if filters.make:
            group("model", self.bitmaps["model"], self._without(masks, "model"))
        group("location", self.bitmaps["location_id"], self._without(masks, "location"))
        group("features", self.features, self._without(masks, "features"))
        rows += [("_location", f"{pk}\t{slug}\t{name}", 0) for pk, slug, name in self.locations]
        rows += [("_feature", f"{pk}\t{slug}\t{name}", 0) for pk, slug, name in self.feature_names]
        return rows


_lock = threading.Lock()
_current: dict[str, FacetIndex] = {}


def _fresh(index: FacetIndex | None, token: str) -> bool:
    return (
        index is not None and index.token == token and time.time() - index.built_at < INDEX_SECONDS
    )


def _cache_key(token: str) -> str:
    return caching.key(caching.FACET_INDEX, token)


def facet_index_build(*, token: str) -> FacetIndex:
    """Build the index for the inventory version ``token`` and share it through the cache (so
    one process builds per version; the others load it)."""
    index = FacetIndex.build(token)
    cache.set(_cache_key(token), index, INDEX_SECONDS)
    _current["index"] = index
    return index


def facet_index_refresh(*, force: bool = False) -> int:
    """Build and share the index for the current inventory version unless it is already
    shared. Safe to run twice or concurrently (the last build simply wins)."""
    from .selectors import facets_cache_version

    token = facets_cache_version()
    if not force and cache.has_key(_cache_key(token)):
        return -1
    return facet_index_build(token=token).size


def facet_index(token: str) -> FacetIndex:
    """The index for the inventory version ``token``: this process's copy, else the shared one
    (built ahead by the ``inventory.facet_index_refresh`` task), else built here."""
    memo = caching.enabled(caching.FACET_INDEX.name)  # off: no per-process copy (bench only)
    index = _current.get("index") if memo else None
    if _fresh(index, token):
        return index
    with _lock:
        index = _current.get("index") if memo else None
        if _fresh(index, token):
            return index
        index = cache.get(_cache_key(token))
        if _fresh(index, token):
            _current["index"] = index
            return index
        return facet_index_build(token=token)
