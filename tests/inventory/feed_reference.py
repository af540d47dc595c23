"""The feeds as the first, row-by-row Python writers made them (inventory/syndication.py
before the feeds were rendered by PostgreSQL): the reference the fast path is compared with
(tests/inventory/test_feed_reference.py). Test code only."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Subquery, Value
from django.urls import reverse

from dealership.accounts.models import Location
from inventory.feed_sql import GOOGLE_CONDITION, META_BODY, META_DRIVE, META_FUEL, META_STATE
from inventory.feeds import COLUMNS as CSV_COLUMNS
from inventory.feeds import _neutralise
from inventory.models import Feature, Feed, Vehicle, VehiclePhoto
from inventory.pricing import to_cents
from inventory.syndication import GOOGLE_COLUMNS, META_COLUMNS


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


def reference_render(*, kind: str, location: Location | None, out) -> int:
    rows = feed_rows(location=location, with_features=kind == Feed.Kind.CSV)
    return WRITERS[kind](out, rows, _places(location))
