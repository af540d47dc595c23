"""Marketplace feeds: the available inventory in the formats dealers syndicate to.

- **Google Merchant Center vehicle ads** (primary feed, TSV or RSS 2.0 XML with the ``g:``
  namespace): id, title, description, link, image_link, price ("24990.00 EUR"), condition
  (new/used), brand, model, trim, year, mileage ("30000 km"), vin, store_code,
  vehicle_fulfillment (option:store_code, "in_store:leipzig"), color, body_style, engine,
  certified_pre-owned.
- **Meta automotive inventory catalog** (CSV, nested fields flattened with JSON paths):
  vehicle_id, title, description, url, make, model, year, mileage.value, mileage.unit,
  image[0].url, image[0].tag[0], body_style, transmission, fuel_type, drivetrain, vin, price,
  sale_price, address.* (addr1, city, region, postal_code, country), exterior_color,
  state_of_vehicle (NEW/USED/CPO), condition, availability, date_first_on_lot, trim.
- **The Showroom CSV feed**: the columns ``feeds.inventory_export_csv`` writes and the import
  reads (an export imports back unchanged).

Prices are what the location's law wants shown (``inventory.pricing``): where VAT is included
(the EU) the advertised price is the final price of the car with its documentation fee, VAT
included, as ``price_breakdown`` totals it; where sales tax is added on top (the US) the car's
price, tax and fees being added at checkout.

Everything is read with one query (rows as tuples, streamed), so 100,000 vehicles build in
about a second (bench/bench_feeds.py). ``feeds_refresh`` (a periodic job, every minute: the
debounce) rebuilds each active feed whose inventory or location version changed since its
last build; a feed is served from storage, never built for a request.
"""

import csv
import io
import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.urls import reverse
from django.utils import timezone

from dealership.accounts.location_cache import locations_version
from dealership.accounts.models import Location

from .feeds import COLUMNS as CSV_COLUMNS
from .feeds import _neutralise
from .models import Feature, Feed, Vehicle, VehiclePhoto
from .pricing import price_breakdown, to_cents
from .selectors import facets_cache_version

logger = logging.getLogger(__name__)

GOOGLE_COLUMNS = [
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "price",
    "condition",
    "brand",
    "model",
    "trim",
    "year",
    "mileage",
    "vin",
    "store_code",
    "vehicle_fulfillment(option:store_code)",
    "color",
    "body_style",
    "engine",
    "certified_pre-owned",
]
# The attributes the vehicle ads specification requires of every offer (trim when the car
# has one; mileage for used cars, given for all here).
GOOGLE_REQUIRED = [
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "price",
    "condition",
    "brand",
    "model",
    "year",
    "mileage",
    "vin",
    "store_code",
    "vehicle_fulfillment(option:store_code)",
]

META_COLUMNS = [
    "vehicle_id",
    "title",
    "description",
    "url",
    "make",
    "model",
    "year",
    "mileage.value",
    "mileage.unit",
    "image[0].url",
    "image[0].tag[0]",
    "body_style",
    "transmission",
    "fuel_type",
    "drivetrain",
    "vin",
    "price",
    "sale_price",
    "address.addr1",
    "address.city",
    "address.region",
    "address.postal_code",
    "address.country",
    "exterior_color",
    "state_of_vehicle",
    "condition",
    "availability",
    "date_first_on_lot",
    "trim",
]
META_REQUIRED = [
    "vehicle_id",
    "title",
    "description",
    "url",
    "make",
    "model",
    "year",
    "mileage.value",
    "mileage.unit",
    "image[0].url",
    "image[0].tag[0]",
    "body_style",
    "vin",
    "price",
    "address.addr1",
    "address.city",
    "address.region",
    "address.postal_code",
    "address.country",
    "exterior_color",
    "state_of_vehicle",
]

# Our values → Meta's enums (case-insensitive there; upper case as in their examples).
META_BODY = {
    "sedan": "SEDAN",
    "hatchback": "HATCHBACK",
    "estate": "WAGON",
    "suv": "SUV",
    "coupe": "COUPE",
    "convertible": "CONVERTIBLE",
    "mpv": "MINIVAN",
    "pickup": "TRUCK",
    "van": "VAN",
}
META_FUEL = {
    "petrol": "GASOLINE",
    "diesel": "DIESEL",
    "hybrid": "HYBRID",
    "plugin_hybrid": "PLUGIN_HYBRID",
    "electric": "ELECTRIC",
}
META_DRIVE = {"fwd": "FWD", "rwd": "RWD", "awd": "AWD", "4wd": "FOUR_WD"}
META_STATE = {"new": "NEW", "used": "USED", "certified": "CPO"}
# Google: new or used (a certified car is used, flagged certified_pre-owned).
GOOGLE_CONDITION = {"new": "new", "used": "used", "certified": "used"}


def advertised_price(*, price: Decimal, location: Location) -> Decimal:
    """The price a marketplace shows, as the location's law wants it (see the module)."""
    if location.prices_include_tax:
        return price_breakdown(
            price=price,
            documentation_fee=location.documentation_fee,
            tax_rate=location.sales_tax_rate,
            registration=Decimal(0),
            currency=settings.CURRENCY,
            tax_included=True,
        ).total
    return to_cents(price)


@dataclass
class _Place:
    """What a row needs of its location, computed once per location, not per car."""

    location: Location
    fee: Decimal  # added to the car's price (VAT-included regimes), else 0
    address: str

    @classmethod
    def of(cls, location: Location) -> "_Place":
        fee = to_cents(location.documentation_fee) if location.prices_include_tax else Decimal(0)
        address = f"{location.street}, {location.postal_code} {location.city}, {location.country}"
        return cls(location, fee, address)


# The columns read for every format, in this order (one query, tuples).
FIELDS = (
    "pk",
    "vin",
    "stock_number",
    "slug",
    "location_id",
    "condition",
    "make",
    "model",
    "trim",
    "model_year",
    "body_type",
    "fuel",
    "transmission",
    "drivetrain",
    "engine",
    "mileage",
    "exterior_colour",
    "exterior_colour_name",
    "interior_colour",
    "seats",
    "doors",
    "description",
    "list_price",
    "sale_price",
    "price",
    "status",
    "in_stock_since",
    "image",
    "features_joined",
)
F = {name: index for index, name in enumerate(FIELDS)}


def feed_rows(*, location: Location | None = None, with_features: bool = False):
    """The available cars (of ``location``, else all), as tuples in FIELDS order, id order,
    streamed from the server: the primary (else first) ready photo's gallery image, and
    (for the CSV feed) the feature names joined with ";" in name order."""
    photo = VehiclePhoto.objects.filter(
        vehicle=OuterRef("pk"), status=VehiclePhoto.Status.READY
    ).order_by("-is_primary", "position", "id")
    qs = Vehicle.objects.filter(status=Vehicle.Status.AVAILABLE).annotate(
        image=Subquery(photo.values("gallery")[:1])
    )
    if with_features:
        names = (
            Feature.objects.filter(vehicles=OuterRef("pk"))
            .order_by()
            .values("vehicles")
            .annotate(joined=StringAgg("name", ";", order_by="name"))
            .values("joined")
        )
        qs = qs.annotate(features_joined=Subquery(names))
    else:
        qs = qs.annotate(features_joined=Value(""))
    if location is not None:
        qs = qs.filter(location=location)
    return qs.order_by("pk").values_list(*FIELDS).iterator(chunk_size=5000)


class _Urls:
    """Absolute URLs without a reverse() or a storage call per car."""

    def __init__(self):
        base = settings.SITE_URL.rstrip("/")
        marker = "feed-slug-marker"
        self.vehicle = base + reverse("inventory:vehicle", kwargs={"slug": marker})
        self.vehicle_prefix, _, self.vehicle_suffix = self.vehicle.partition(marker)
        media = default_storage.url("feed-image-marker")
        if media.startswith("/"):
            media = base + media
        self.media_prefix, _, self.media_suffix = media.partition("feed-image-marker")

    def page(self, slug: str) -> str:
        return f"{self.vehicle_prefix}{slug}{self.vehicle_suffix}"

    def image(self, name: str | None) -> str:
        return f"{self.media_prefix}{name}{self.media_suffix}" if name else ""


def _title(row) -> str:
    return " ".join(
        part
        for part in (str(row[F["model_year"]]), row[F["make"]], row[F["model"]], row[F["trim"]])
        if part
    )


def _description(row) -> str:
    text = (row[F["description"]] or "").strip()
    if text:
        return text[:5000]
    # Both marketplaces require one: the facts, plainly.
    colour = row[F["exterior_colour_name"]] or row[F["exterior_colour"]]
    return (
        f"{_title(row)}, {row[F['mileage']]} km, {row[F['fuel']].replace('_', ' ')}, "
        f"{row[F['transmission']]}, {colour}"
    )


def _one_line(text: str) -> str:
    """TSV and CSV cells on one line (marketplaces read a row per line)."""
    return " ".join(text.split())


def _places(location: Location | None) -> dict[int, _Place]:
    locations = [location] if location is not None else list(Location.objects.all())
    return {loc.pk: _Place.of(loc) for loc in locations}


def _price(row, place: _Place) -> Decimal:
    return row[F["price"]] + place.fee


def google_records(rows, places: dict[int, _Place]) -> Iterator[dict]:
    urls = _Urls()
    currency = settings.CURRENCY
    for row in rows:
        place = places[row[F["location_id"]]]
        condition = row[F["condition"]]
        store = place.location.slug
        yield {
            "id": row[F["stock_number"]],
            "title": _title(row),
            "description": _description(row),
            "link": urls.page(row[F["slug"]]),
            "image_link": urls.image(row[F["image"]]),
            "price": f"{_price(row, place)} {currency}",
            "condition": GOOGLE_CONDITION[condition],
            "brand": row[F["make"]],
            "model": row[F["model"]],
            "trim": row[F["trim"]],
            "year": str(row[F["model_year"]]),
            "mileage": f"{row[F['mileage']]} km",
            "vin": row[F["vin"]],
            "store_code": store,
            "vehicle_fulfillment(option:store_code)": f"in_store:{store}",
            "color": row[F["exterior_colour_name"]] or row[F["exterior_colour"]],
            "body_style": row[F["body_type"]],
            "engine": row[F["engine"]],
            "certified_pre-owned": "yes" if condition == "certified" else "no",
        }


def write_google_tsv(out, rows, places) -> int:
    out.write("\t".join(GOOGLE_COLUMNS) + "\n")
    count = 0
    for record in google_records(rows, places):
        out.write("\t".join(_one_line(str(record[c])).replace("\t", " ") for c in GOOGLE_COLUMNS))
        out.write("\n")
        count += 1
    return count


def write_google_xml(out, rows, places) -> int:
    """RSS 2.0 with the g: namespace; vehicle_fulfillment as a group (option, store_code)."""
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>{escape(settings.SHOWROOM_NAME)}</title>\n"
        f"<link>{escape(settings.SITE_URL)}</link>\n"
        "<description>Vehicle inventory</description>\n"
    )
    count = 0
    plain = [c for c in GOOGLE_COLUMNS if c not in ("title", "description", "link")]
    plain.remove("vehicle_fulfillment(option:store_code)")
    for record in google_records(rows, places):
        parts = [
            "<item>",
            f"<title>{escape(record['title'])}</title>",
            f"<description>{escape(record['description'])}</description>",
            f"<link>{escape(record['link'])}</link>",
        ]
        for column in plain:
            value = record[column]
            if value != "":
                parts.append(f"<g:{column}>{escape(str(value))}</g:{column}>")
        parts.append(
            "<g:vehicle_fulfillment><g:option>in_store</g:option>"
            f"<g:store_code>{escape(record['store_code'])}</g:store_code></g:vehicle_fulfillment>"
        )
        parts.append("</item>\n")
        out.write("".join(parts))
        count += 1
    out.write("</channel>\n</rss>\n")
    return count


def write_meta_csv(out, rows, places) -> int:
    urls = _Urls()
    currency = settings.CURRENCY
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(META_COLUMNS)
    count = 0
    for row in rows:
        place = places[row[F["location_id"]]]
        location = place.location
        condition = row[F["condition"]]
        list_price = row[F["list_price"]] + place.fee
        on_sale = row[F["sale_price"]] is not None and row[F["sale_price"]] < row[F["list_price"]]
        writer.writerow(
            [
                row[F["stock_number"]],
                _title(row),
                _one_line(_description(row)),
                urls.page(row[F["slug"]]),
                row[F["make"]],
                row[F["model"]],
                row[F["model_year"]],
                row[F["mileage"]],
                "KM",
                urls.image(row[F["image"]]),
                row[F["make"]] + " " + row[F["model"]],
                META_BODY.get(row[F["body_type"]], "OTHER"),
                row[F["transmission"]].upper(),
                META_FUEL.get(row[F["fuel"]], "OTHER"),
                META_DRIVE.get(row[F["drivetrain"]], "OTHER"),
                row[F["vin"]],
                f"{list_price} {currency}",
                f"{_price(row, place)} {currency}" if on_sale else "",
                location.street,
                location.city,
                # Locations have no region field: the city stands in (Meta wants one).
                location.city,
                location.postal_code,
                location.country,
                row[F["exterior_colour_name"]] or row[F["exterior_colour"]],
                META_STATE[condition],
                "EXCELLENT" if condition == "new" else "GOOD",
                "AVAILABLE",
                row[F["in_stock_since"]].isoformat(),
                row[F["trim"]],
            ]
        )
        count += 1
    return count


def write_showroom_csv(out, rows, places) -> int:
    """The columns of feeds.inventory_export_csv, byte for byte, from tuples."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    slugs = {pk: place.location.slug for pk, place in places.items()}
    count = 0
    for row in rows:
        sale = row[F["sale_price"]]
        writer.writerow(
            [
                row[F["vin"]],
                row[F["stock_number"]],
                row[F["model_year"]],
                row[F["make"]],
                row[F["model"]],
                row[F["trim"]],
                row[F["condition"]],
                row[F["body_type"]],
                row[F["fuel"]],
                row[F["transmission"]],
                row[F["drivetrain"]],
                row[F["engine"]],
                row[F["mileage"]],
                row[F["exterior_colour"]],
                row[F["exterior_colour_name"]],
                row[F["interior_colour"]],
                row[F["seats"]],
                row[F["doors"]],
                row[F["list_price"]],
                "" if sale is None else sale,
                row[F["status"]],
                slugs[row[F["location_id"]]],
                row[F["features_joined"]] or "",
                _neutralise(row[F["description"]]),
            ]
        )
        count += 1
    return count


WRITERS = {
    Feed.Kind.GOOGLE_TSV: write_google_tsv,
    Feed.Kind.GOOGLE_XML: write_google_xml,
    Feed.Kind.META_CSV: write_meta_csv,
    Feed.Kind.CSV: write_showroom_csv,
}
CONTENT_TYPES = {
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def feed_render(*, kind: str, location: Location | None, out) -> int:
    """Write one feed to the text stream ``out``; returns the number of vehicles."""
    rows = feed_rows(location=location, with_features=kind == Feed.Kind.CSV)
    return WRITERS[kind](out, rows, _places(location))


def current_version() -> str:
    return f"{facets_cache_version()}:{locations_version()}"


def feed_build(*, feed: Feed) -> Feed:
    """Build ``feed`` now into a new file in storage (the old one is deleted once the row
    points at the new one, so a download in between still finds a file)."""
    version = current_version()
    with tempfile.TemporaryFile(mode="w+b") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        count = feed_render(kind=feed.kind, location=feed.location, out=text)
        text.flush()
        raw.seek(0)
        name = default_storage.save(f"feeds/{feed.kind}-{feed.pk}.{feed.extension}", File(raw))
        text.detach()
    old = feed.file.name
    feed.file.name = name
    feed.built_version = version
    feed.last_built_at = timezone.now()
    feed.row_count = count
    feed.save(update_fields=["file", "built_version", "last_built_at", "row_count"])
    if old and old != name:
        transaction.on_commit(lambda: default_storage.delete(old))
    logger.info("feed %s (%s): %d vehicles", feed.pk, feed.kind, count)
    return feed


def feeds_refresh() -> int:
    """The periodic job (every minute, so a burst of changes is one rebuild): every active
    feed not built for the current inventory and location versions is built again. Each is
    claimed under a row lock (skip_locked: a second worker takes the next), re-checked, built
    and saved in one transaction; safe to run twice. Returns how many were built."""
    version = current_version()
    built = 0
    for pk in (
        Feed.objects.filter(is_active=True)
        .exclude(built_version=version)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            feed = (
                Feed.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("location")
                .filter(pk=pk, is_active=True)
                .exclude(built_version=version)
                .first()
            )
            if feed is None:
                continue
            feed_build(feed=feed)
            built += 1
    return built


def feed_for_token(*, token: str, ext: str) -> Feed | None:
    """The active, built feed with this token and extension, else None (a 404)."""
    feed = Feed.objects.filter(token=token, is_active=True).exclude(file="").first()
    if feed is None or feed.extension != ext:
        return None
    return feed


def required_missing(record: dict, required: Iterable[str]) -> list[str]:
    """The required attributes a record leaves empty (the tests check every row with it)."""
    return [name for name in required if str(record.get(name, "")).strip() == ""]
