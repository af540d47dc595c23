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
  reads (an export imports back unchanged), every field quoted.

Prices are what the location's law wants shown (``inventory.pricing``): where VAT is included
(the EU) the advertised price is the final price of the car with its documentation fee, VAT
included, as ``price_breakdown`` totals it; where sales tax is added on top (the US) the car's
price, tax and fees being added at checkout.

PostgreSQL renders the rows (inventory/feed_sql.py) in one ``COPY (SELECT …) TO STDOUT``
and Python writes what it sends in chunks of a megabyte (no per-car object), so a build costs
about what the database takes to write the rows (bench/bench_feeds.py compares with a raw
COPY; tests/inventory/test_feed_reference.py with the first, row-by-row writers). ``feeds_refresh`` (a periodic job, every minute: the
debounce) rebuilds each active feed whose inventory or location version changed since its
last build; a feed is served from storage, never built for a request.
"""

import io
import logging
import secrets
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dealership.accounts.location_cache import locations_version
from dealership.accounts.models import Location

from .feed_sql import feed_copy
from .feeds import COLUMNS as CSV_COLUMNS
from .models import Feed
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


def _header(kind: str) -> str:
    if kind == Feed.Kind.GOOGLE_TSV:
        return "\t".join(GOOGLE_COLUMNS) + "\n"
    if kind == Feed.Kind.META_CSV:
        return ",".join(META_COLUMNS) + "\n"
    if kind == Feed.Kind.CSV:
        return ",".join(CSV_COLUMNS) + "\n"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>{escape(settings.SHOWROOM_NAME)}</title>\n"
        f"<link>{escape(settings.SITE_URL)}</link>\n"
        "<description>Vehicle inventory</description>\n"
    )


CONTENT_TYPES = {
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def feed_render(*, kind: str, location: Location | None, out) -> int:
    """Write one feed to the text stream ``out``; returns the number of vehicles."""
    out.write(_header(kind))
    count = feed_copy(kind=kind, location=location, out=out)
    if kind == Feed.Kind.GOOGLE_XML:
        out.write("</channel>\n</rss>\n")
    return count


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
        # An unguessable name: media may be publicly served, and the token is the only key.
        name = default_storage.save(
            f"feeds/{secrets.token_urlsafe(24)}/{feed.kind}.{feed.extension}", File(raw)
        )
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
