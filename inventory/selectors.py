"""Reads: the showroom search (keyset pages + facets), vehicle pages, staff lists."""

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import (
    CharField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from dealership.accounts.models import Location
from dealership.core import caching

from .forms import Sort, VehicleFilters
from .models import Feature, Vehicle, VehicleDailyViews, VehiclePhoto

# Keys, versions and lifetimes: dealership/core/caching.py (names kept here for callers).
FACET_VERSION_KEY = caching.INVENTORY
PAGE_VERSION_KEY = caching.PAGES
SIMILAR_CACHE_SECONDS = caching.SIMILAR.seconds

# sort key -> (column, descending)
SORTS = {
    Sort.NEWEST: ("published_at", True),
    Sort.PRICE_ASC: ("price", False),
    Sort.PRICE_DESC: ("price", True),
    Sort.YEAR_DESC: ("model_year", True),
    Sort.MILEAGE_ASC: ("mileage", False),
}

# facet name -> (filter attribute, model lookup used for grouping)
FACETS = {
    "make": ("make", "make"),
    "body_type": ("body_type", "body_type"),
    "fuel": ("fuel", "fuel"),
    "transmission": ("transmission", "transmission"),
    "drivetrain": ("drivetrain", "drivetrain"),
    "condition": ("condition", "condition"),
    "colour": ("colour", "exterior_colour"),
}


# The columns a result card and its cursor need (cards.card_state, the card body template,
# cursor_for): a results page loads no description, VIN or colour it never shows.
CARD_FIELDS = (
    "id",
    "updated_at",
    "status",
    "slug",
    "model_year",
    "make",
    "model",
    "trim",
    "list_price",
    "sale_price",
    "price",
    "mileage",
    "fuel",
    "transmission",
    "location_id",
    "published_at",
    "transit_to",
    "transit_eta",
)


def vehicle_list_public() -> QuerySet[Vehicle]:
    return Vehicle.objects.filter(status=Vehicle.Status.AVAILABLE)


# The primary ready photo of each row, as SQL written once: an ORM Subquery is compiled anew
# for every page (~1.5 ms each under load, two per page), this costs nothing to compile. The
# plan is the ORM version's (the photo table's vehicle index, a sort of a car's few photos).
_PRIMARY_PHOTO_SQL = {
    column: (
        f"(SELECT p.{column} FROM inventory_vehiclephoto p"  # noqa: S608 # nosec B608 - constants
        ' WHERE p.vehicle_id = "inventory_vehicle"."id" AND p.status = %s'
        " ORDER BY p.is_primary DESC, p.position, p.id LIMIT 1)"
    )
    for column in ("thumbnail", "alt_text")
}


def _primary_photo(column: str) -> RawSQL:
    return RawSQL(  # noqa: S611 # nosec B611 - constant SQL, the status is a parameter
        _PRIMARY_PHOTO_SQL[column], [VehiclePhoto.Status.READY], output_field=CharField()
    )


def with_card_data(queryset: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    """What a result card shows: location and the primary photo, in the same query. Only for
    querysets whose own table is the outermost (the photo SQL names it)."""
    return _with_photo(queryset).select_related("location")


def _with_photo(queryset: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    return queryset.annotate(
        card_thumbnail=_primary_photo("thumbnail"), card_alt=_primary_photo("alt_text")
    )


def _apply(queryset: QuerySet[Vehicle], filters: VehicleFilters, *, skip: str = "") -> QuerySet:
    """Filter by everything in ``filters`` except the facet named ``skip``."""
    qs = queryset
    if filters.q:
        for term in filters.q.split()[:6]:
            qs = qs.filter(
                Q(make__icontains=term)
                | Q(model__icontains=term)
                | Q(trim__icontains=term)
                | Q(stock_number=term.upper())
            )
    if filters.make and skip != "make":
        qs = qs.filter(make=filters.make)
    if filters.model and skip not in ("model", "make"):
        qs = qs.filter(model=filters.model)
    if filters.year_min is not None:
        qs = qs.filter(model_year__gte=filters.year_min)
    if filters.year_max is not None:
        qs = qs.filter(model_year__lte=filters.year_max)
    if filters.price_min is not None:
        qs = qs.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        qs = qs.filter(price__lte=filters.price_max)
    if filters.mileage_max is not None:
        qs = qs.filter(mileage__lte=filters.mileage_max)
    for name, (attribute, lookup) in FACETS.items():
        values = getattr(filters, attribute)
        if values and name != "make" and skip != name:
            qs = qs.filter(**{f"{lookup}__in": values})
    if filters.location and skip != "location":
        qs = qs.filter(location__slug__in=filters.location)
    if filters.features and skip != "features":
        # Every chosen feature must be present (a car with a tow bar AND heated seats).
        # A semi-join on the link table's (feature_id, vehicle_id) index per feature.
        for slug in filters.features:
            qs = qs.filter(
                pk__in=Vehicle.features.through.objects.filter(
                    feature_id=Subquery(Feature.objects.filter(slug=slug).values("pk")[:1])
                ).values("vehicle_id")
            )
    return qs


def _cursor_value(sort: str, raw: str):
    column, _ = SORTS[sort]
    if column == "price":
        value = Decimal(raw)
        if not value.is_finite():  # NaN or Infinity: not a price any row can follow
            raise ValueError(raw)
        return value
    if column == "published_at":
        value = parse_datetime(raw)
        if value is None or value.tzinfo is None:
            raise ValueError(raw)
        return value
    return int(raw)


def _parse_cursor(sort: str, token: str):
    """``value~id`` → (value, id), or None when the token is malformed."""
    raw, sep, pk = token.rpartition("~")
    if not sep:
        return None
    try:
        return _cursor_value(sort, raw), int(pk)
    except (ValueError, InvalidOperation, OverflowError):
        return None


def cursor_for(vehicle: Vehicle, sort: str) -> str:
    column, _ = SORTS[sort]
    value = getattr(vehicle, column)
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    return f"{value}~{vehicle.pk}"


def _keyset(qs: QuerySet, column: str, descending: bool, value, pk: int) -> QuerySet:
    # `column >= value` is the index bound; the OR only separates ties, on the id.
    if descending:
        return qs.filter(**{f"{column}__lte": value}).filter(
            Q(**{f"{column}__lt": value}) | Q(pk__lt=pk)
        )
    return qs.filter(**{f"{column}__gte": value}).filter(
        Q(**{f"{column}__gt": value}) | Q(pk__gt=pk)
    )


@dataclass
class SearchPage:
    vehicles: list[Vehicle]
    next_cursor: str = ""
    previous_cursor: str = ""
    is_first: bool = True


def vehicle_search_page(*, filters: VehicleFilters) -> SearchPage:
    """One page of available vehicles, keyset-paginated: page 500 costs what page 1 costs.

    ``filters.after`` / ``filters.before`` carry the cursor of the last / first row shown; a
    malformed cursor starts from the first page.
    """
    sort = filters.sort if filters.sort in SORTS else Sort.NEWEST
    column, descending = SORTS[sort]
    # The cards' locations come from the cached public list (_attach_locations): no join, and
    # no location object built per row.
    qs = _with_photo(_apply(vehicle_list_public(), filters)).only(*CARD_FIELDS)
    size = filters.page_size
    after = _parse_cursor(sort, filters.after) if filters.after else None
    before = _parse_cursor(sort, filters.before) if filters.before and not after else None

    if before:
        # Walk backwards from the first row of the page we came from, then flip.
        order = [column if descending else f"-{column}", "id" if descending else "-id"]
        rows = list(_keyset(qs, column, not descending, *before).order_by(*order)[: size + 1])
        has_previous = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
    else:
        order = [f"-{column}", "-id"] if descending else [column, "id"]
        if after:
            qs = _keyset(qs, column, descending, *after)
        rows = list(qs.order_by(*order)[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = after is not None
    _attach_locations(rows)
    return SearchPage(
        vehicles=rows,
        next_cursor=cursor_for(rows[-1], sort) if rows and has_next else "",
        previous_cursor=cursor_for(rows[0], sort) if rows and has_previous else "",
        is_first=not has_previous,
    )


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facets:
    total: int = 0
    groups: dict[str, list[FacetValue]] = field(default_factory=dict)
    cache_key: str = ""

    def get(self, name: str) -> list[FacetValue]:
        return self.groups.get(name, [])


def _facet_rows(filters: VehicleFilters, version: str) -> list[tuple[str, str, int]]:
    """(facet, value, count) rows for one filter state, from this process's bitmap index of
    the available inventory (built with two queries once per inventory version; see
    inventory/facet_index.py)."""
    from .facet_index import facet_index

    return facet_index(version).rows(filters)


def facets_cache_version() -> str:
    """The inventory's version (``caching.INVENTORY``)."""
    return caching.version(caching.INVENTORY)


cache_versions = caching.versions


def facets_invalidate() -> None:
    """Called by every service that changes what the showroom shows."""
    caching.bump(caching.INVENTORY)


def _facet_cache_key(filters: VehicleFilters, version: str) -> str:
    state = repr(
        [
            (name, getattr(filters, name))
            for name in sorted(VehicleFilters.__dataclass_fields__)
            if name not in ("sort", "after", "before", "page_size")
        ]
    )
    digest = hashlib.sha256(state.encode()).hexdigest()[:32]
    return caching.key(caching.FILTERS, version, digest)


def vehicle_search_facets(*, filters: VehicleFilters) -> Facets:
    """The result count and, per filter, how many vehicles each value would give with all the
    *other* filters applied: from this process's bitmap index (no query once it is built,
    about a millisecond; a cache per filter state showed no gain, see docs/caching.md). The
    key names the filter state for the filter column's fragment (``caching.FILTERS``)."""
    version = facets_cache_version()
    key = _facet_cache_key(filters, version)
    rows = _facet_rows(filters, version)

    choice_fields = {
        name: Vehicle._meta.get_field(lookup).choices
        for name, (_attribute, lookup) in FACETS.items()
        if name != "make"
    }
    choices = {name: dict(values) for name, values in choice_fields.items()}
    facets = Facets(cache_key=key)
    grouped: dict[str, list[FacetValue]] = defaultdict(list)
    names: dict[str, dict[str, tuple[str, str]]] = {"location": {}, "features": {}}
    for name, value, _count in rows:
        if name in ("_location", "_feature"):
            pk, slug, label = value.split("\t", 2)
            names["location" if name == "_location" else "features"][pk] = (slug, label)
    for name, value, count in rows:
        if name == "_total":
            facets.total = count
            continue
        if name.startswith("_"):
            continue
        label = value
        if name in names:
            if value not in names[name]:
                continue
            value, label = names[name][value]
        elif name in choices:
            label = str(choices[name].get(value, value))
        if name == "make":
            selected = value == filters.make
        elif name == "model":
            selected = value == filters.model
        else:
            attribute = FACETS[name][0] if name in FACETS else name
            selected = value in getattr(filters, attribute)
        grouped[name].append(FacetValue(value=value, label=label, count=count, selected=selected))
    order = {name: [value for value, _label in values] for name, values in choice_fields.items()}
    for name, values in grouped.items():
        if name in order:
            values.sort(key=lambda v, o=order[name]: o.index(v.value) if v.value in o else 99)
        else:
            values.sort(key=lambda v: v.label.lower())
    facets.groups = dict(grouped)
    return facets


@dataclass(frozen=True)
class PagePhoto:
    """A ready photo as the vehicle page shows it (URLs resolved through the storage)."""

    gallery_url: str
    thumbnail_url: str
    alt_text: str
    width: int | None
    height: int | None


def _storage_url(name: str) -> str:
    return default_storage.url(name) if name else ""


# A page's photos and feature names as JSON text on the vehicle's own row. SQL written once:
# the ORM's ArraySubquery/JSONObject took longer to compile than the query takes to run.
_PAGE_PHOTOS_SQL = """(
    SELECT json_agg(json_build_object(
        'gallery', p.gallery, 'thumbnail', p.thumbnail, 'alt_text', p.alt_text,
        'width', p.width, 'height', p.height
    ) ORDER BY p.is_primary DESC, p.position, p.id)::text
    FROM inventory_vehiclephoto p
    WHERE p.vehicle_id = "inventory_vehicle"."id" AND p.status = %s
)"""
_PAGE_FEATURES_SQL = """(
    SELECT json_agg(f.name ORDER BY f.name)::text
    FROM inventory_vehicle_features l JOIN inventory_feature f ON f.id = l.feature_id
    WHERE l.vehicle_id = "inventory_vehicle"."id"
)"""


# The vehicle page's row: SQL written once (the ORM compiled this query afresh on every page,
# three times longer than the query takes). The location comes from the cached public list.
_VEHICLE_PAGE_SQL = f"""
    SELECT inventory_vehicle.*, {_PAGE_PHOTOS_SQL} AS page_photos,
           {_PAGE_FEATURES_SQL} AS page_features
    FROM inventory_vehicle
    WHERE inventory_vehicle.stock_number = %s
    LIMIT 1
"""  # noqa: S608 # nosec B608 - constants only; the values are parameters


def _attach_locations(vehicles) -> None:
    """Set each vehicle's location from the cached public locations (one cache read, no query);
    a vehicle at an inactive location loads its own when asked."""
    from dealership.accounts.location_cache import location_list_public_cached

    by_id = {location.pk: location for location in location_list_public_cached()}
    for vehicle in vehicles:
        location = by_id.get(vehicle.location_id)
        if location is not None:
            vehicle.location = location


def vehicle_get_public(*, slug_stock: str) -> Vehicle | None:
    """The vehicle for a page URL, whatever its status (the view decides what to show).

    One query on the unique stock number: the ready photos (in gallery order) and the feature
    names (alphabetical) aggregated as JSON on the row, set as ``ready_photos`` (PagePhoto) and
    ``feature_names``; the location (with its opening hours) from the cached public locations.
    """
    stock = slug_stock.rpartition("-")[2].upper()
    vehicles = list(Vehicle.objects.raw(_VEHICLE_PAGE_SQL, [VehiclePhoto.Status.READY, stock]))
    if not vehicles:
        return None
    vehicle = vehicles[0]
    _attach_locations([vehicle])
    vehicle.ready_photos = [
        PagePhoto(
            gallery_url=_storage_url(photo["gallery"]),
            thumbnail_url=_storage_url(photo["thumbnail"]),
            alt_text=photo["alt_text"],
            width=photo["width"],
            height=photo["height"],
        )
        for photo in json.loads(vehicle.page_photos or "[]")
    ]
    vehicle.feature_names = json.loads(vehicle.page_features or "[]")
    return vehicle


# Cars like the one on a page, with what their cards show: SQL written once (see above), on the
# (status, price) index.
_SIMILAR_SQL = f"""
    SELECT inventory_vehicle.*, {_PRIMARY_PHOTO_SQL["thumbnail"]} AS card_thumbnail,
           {_PRIMARY_PHOTO_SQL["alt_text"]} AS card_alt
    FROM inventory_vehicle
    WHERE inventory_vehicle.status = %s AND inventory_vehicle.body_type = %s
      AND inventory_vehicle.price >= %s AND inventory_vehicle.price <= %s
      AND inventory_vehicle.id <> %s
    ORDER BY inventory_vehicle.price, inventory_vehicle.id
    LIMIT %s
"""  # noqa: S608 # nosec B608 - constants only; the values are parameters


def vehicle_similar(*, vehicle: Vehicle, limit: int = 4) -> list[Vehicle]:
    """Available cars like this one: same body type, closest in price.

    Cached per inventory and page version (the latter changes when a photo becomes ready), so
    the list is read once per version, not once per page view."""
    price = vehicle.price or Decimal(0)
    inventory, pages = caching.versions(*caching.SIMILAR.versions)
    key = caching.key(
        caching.SIMILAR, inventory, pages, vehicle.pk, vehicle.body_type, price, limit
    )
    on = caching.enabled(caching.SIMILAR.name)
    similar = cache.get(key) if on else None
    if similar is None:
        similar = list(
            Vehicle.objects.raw(
                _SIMILAR_SQL,
                [
                    VehiclePhoto.Status.READY,
                    VehiclePhoto.Status.READY,
                    Vehicle.Status.AVAILABLE,
                    vehicle.body_type,
                    price * Decimal("0.7"),
                    price * Decimal("1.3"),
                    vehicle.pk,
                    limit,
                ],
            )
        )
        _attach_locations(similar)
        if on:
            cache.set(key, similar, SIMILAR_CACHE_SECONDS)
    return similar


def vehicle_list_by_ids(*, ids: list[int]) -> list[Vehicle]:
    """Public vehicles (available or reserved) for compare and favourites, in the given order."""
    vehicles = with_card_data(
        Vehicle.objects.filter(
            pk__in=ids, status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED]
        )
    ).prefetch_related("features")
    by_id = {v.pk: v for v in vehicles}
    return [by_id[i] for i in ids if i in by_id]


def vehicle_featured(*, limit: int = 6) -> list[Vehicle]:
    return list(
        with_card_data(vehicle_list_public().filter(sale_price__isnull=False)).order_by(
            "-published_at", "-id"
        )[:limit]
    )


def vehicle_list_for_staff(*, user) -> QuerySet[Vehicle]:
    """Vehicles at the locations this staff member may see."""
    from dealership.accounts.selectors import location_list_for_user

    return Vehicle.objects.filter(location__in=location_list_for_user(user=user))


def location_for_vehicle(*, vehicle: Vehicle, public_locations) -> Location:
    """The vehicle's location with its opening hours, taken from the already-loaded list."""
    for location in public_locations:
        if location.pk == vehicle.location_id:
            return location
    return vehicle.location


VIEWS_RECENT_DAYS = 30


def _views_sum(days: Q) -> Coalesce:
    total = (
        VehicleDailyViews.objects.filter(days, vehicle=OuterRef("pk"))
        .order_by()
        .values("vehicle")
        .annotate(total=Sum("views"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def vehicles_with_views(
    queryset: QuerySet[Vehicle], *, today: datetime.date, days: int = VIEWS_RECENT_DAYS
) -> QuerySet[Vehicle]:
    """``queryset`` with each vehicle's page views annotated, in the same query (a subquery
    per row on the (vehicle, day) unique index, so only the rows fetched cost anything):

    - ``views_recent``: the views of the ``days`` days ending with ``today`` (30: today and
      the 29 days before);
    - ``views_in_stock``: the views since the vehicle's ``in_stock_since``.

    Days are UTC days (see page_views.py); the counters of the last few minutes are not in
    yet (the flush runs every 5 minutes)."""
    first = today - datetime.timedelta(days=days - 1)
    return queryset.annotate(
        views_recent=_views_sum(Q(day__gte=first, day__lte=today)),
        views_in_stock=_views_sum(Q(day__gte=OuterRef("in_stock_since"), day__lte=today)),
    )
