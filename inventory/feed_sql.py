"""The marketplace feeds' rows as PostgreSQL renders them: the cells of a TSV or CSV row, or
one XML item, per car, written by one ``COPY (SELECT …) TO STDOUT`` (COPY's own CSV writer
quotes), so a build costs about what the database takes to write the rows
(bench/bench_feeds.py) and Python only streams the chunks to the file. The text cleaning
(one line, XML escapes) is tested once per car over all its free text (lateral ``k``) and
done only where it changes something.

Every value here is a constant of this module or a query parameter; nothing from outside is
formatted into the SQL. The meaning of each column is documented in syndication.py.
"""

import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from dealership.accounts.models import Location

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


def one_line(x: str) -> str:
    """Whitespace runs to one space, none at the ends (Python's ``" ".join(text.split())``):
    a row per line in TSV and CSV. The regexp runs only for the cars whose free text needs
    it (``k.one_line``, one test per car over all of it: most are clean already)."""
    return f"(CASE WHEN k.one_line THEN {x} ELSE btrim(regexp_replace({x}, '\\s+', ' ', 'g')) END)"


def esc(x: str) -> str:
    """XML text escaping (& < >), as xml.sax.saxutils.escape; only for the cars whose free
    text holds one of them (``k.plain``)."""
    return (
        f"(CASE WHEN k.plain THEN {x} ELSE "
        f"replace(replace(replace({x}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') END)"
    )


def q(x: str) -> str:
    """A CSV field, always quoted, quotes doubled (RFC 4180)."""
    return f"""('"' || replace({x}, '"', '""') || '"')"""


def case(column: str, mapping: dict[str, str], default: str) -> str:
    whens = " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in mapping.items())
    return f"(CASE {column} {whens} ELSE '{default}' END)"


TITLE = (
    "concat_ws(' ', v.model_year::text, nullif(v.make, ''), nullif(v.model, ''), "
    "nullif(v.trim, ''))"
)
# Both marketplaces require a description: the car's own, else the facts, plainly.
RAW_DESCRIPTION = (
    "COALESCE(NULLIF(left(btrim(v.description, ' ' || chr(9) || chr(10) || chr(11) || chr(12) "
    "|| chr(13)), 5000), ''), "
    f"{TITLE} || ', ' || v.mileage || ' km, ' || replace(v.fuel, '_', ' ') || ', ' "
    "|| v.transmission || ', ' || COALESCE(NULLIF(v.exterior_colour_name, ''), v.exterior_colour))"
)
# Computed once per car (FROM_SQL's lateral ``d``), however many times a row uses it.
DESCRIPTION = "d.text"
COLOUR = "COALESCE(NULLIF(v.exterior_colour_name, ''), v.exterior_colour)"
# The location's law (syndication.advertised_price): the documentation fee in the price
# where VAT is included, nothing added where sales tax comes on top.
FEE = "(CASE WHEN l.tax_regime = 'inclusive' THEN round(l.documentation_fee, 2) ELSE 0 END)"
PRICE = f"((v.price + {FEE})::text || ' ' || %(currency)s)"
LIST_PRICE = f"((v.list_price + {FEE})::text || ' ' || %(currency)s)"
ON_SALE = "(v.sale_price IS NOT NULL AND v.sale_price < v.list_price)"
LINK = "(%(page_prefix)s || v.slug || %(page_suffix)s)"
IMAGE = (
    "(CASE WHEN ph.gallery IS NULL THEN '' "
    "ELSE %(media_prefix)s || ph.gallery || %(media_suffix)s END)"
)
CERTIFIED = "(CASE WHEN v.condition = 'certified' THEN 'yes' ELSE 'no' END)"
FEATURES = (
    "COALESCE((SELECT string_agg(f.name, ';' ORDER BY f.name) "
    "FROM inventory_vehicle_features vf JOIN inventory_feature f ON f.id = vf.feature_id "
    "WHERE vf.vehicle_id = v.id), '')"
)
# feeds._neutralise: a description that a spreadsheet would take for a formula keeps a
# leading apostrophe (the import takes it off again).
NEUTRAL_DESCRIPTION = (
    "(CASE WHEN left(v.description, 1) IN ('=', '+', '-', '@') "
    "THEN chr(39) || v.description ELSE v.description END)"
)
FROM_SQL = """
FROM inventory_vehicle v
JOIN accounts_location l ON l.id = v.location_id
LEFT JOIN LATERAL (
    SELECT p.gallery FROM inventory_vehiclephoto p
    WHERE p.vehicle_id = v.id AND p.status = 'ready'
    ORDER BY p.is_primary DESC, p.position, p.id LIMIT 1
) ph ON true
CROSS JOIN LATERAL (SELECT {description} AS text OFFSET 0) d
CROSS JOIN LATERAL (
    SELECT {free} !~ ('[\\t\\n\\r\\f\\v]|  | ' || chr(1) || '|' || chr(1) || ' ') AS one_line,
           {free} !~ '[&<>]' AS plain
    OFFSET 0
) k
WHERE v.status = 'available' {location}
ORDER BY v.id
"""


# The free text of a car (and its URLs), in one string, each value between two chr(1):
# tested once per car for what one_line and esc would change.
FREE = (
    "(chr(1) || "
    + " || chr(1) || ".join(
        [
            "d.text",
            "v.make",
            "v.model",
            "v.trim",
            "v.exterior_colour_name",
            "v.engine",
            LINK,
            IMAGE,
        ]
    )
    + " || chr(1))"
)


# Values that never hold a tab, a line break, a comma or a quote (numbers, dates, enums,
# validated codes, our constants): written as they are. Free text is cleaned or quoted.
SAFE = {
    "v.stock_number",
    "v.vin",
    "v.slug",
    "l.slug",
    "'in_store:' || l.slug",
    "v.model_year::text",
    "v.mileage::text",
    "v.mileage::text || ' km'",
    "v.seats::text",
    "v.doors::text",
    "v.list_price::text",
    "COALESCE(v.sale_price::text, '')",
    "v.in_stock_since::text",
    "v.condition",
    "v.body_type",
    "v.fuel",
    "v.transmission",
    "v.drivetrain",
    "v.status",
    "v.exterior_colour",
    "upper(v.transmission)",
    "'KM'",
    "'AVAILABLE'",
    CERTIFIED,
    PRICE,
    LIST_PRICE,
    f"(CASE WHEN {ON_SALE} THEN {PRICE} ELSE '' END)",
    "(CASE WHEN v.condition = 'new' THEN 'EXCELLENT' ELSE 'GOOD' END)",
    LINK,
}


def _tsv(*fields: str) -> list[str]:
    """TSV columns: free text on one line (tabs and line breaks are whitespace), as the
    reference writer did with every cell; the values in SAFE are written as they are."""
    return [
        f if f in SAFE or f.startswith("(CASE v.") or f.startswith("(CASE WHEN") else one_line(f)
        for f in fields
    ]


def _csv(*fields: str) -> list[str]:
    """CSV columns: COPY's CSV writer quotes (RFC 4180), so the values go as they are."""
    return list(fields)


def _g(name: str, value: str, *, optional: bool = False) -> str:
    text = value if value in SAFE else esc(value)
    element = f"('<g:{name}>' || {text} || '</g:{name}>')"
    return f"(CASE WHEN {value} <> '' THEN {element} ELSE '' END)" if optional else element


GOOGLE_TSV = _tsv(
    "v.stock_number",
    TITLE,
    DESCRIPTION,
    LINK,
    IMAGE,
    PRICE,
    case("v.condition", GOOGLE_CONDITION, "used"),
    "v.make",
    "v.model",
    "v.trim",
    "v.model_year::text",
    "v.mileage::text || ' km'",
    "v.vin",
    "l.slug",
    "'in_store:' || l.slug",
    COLOUR,
    "v.body_type",
    "v.engine",
    CERTIFIED,
)

GOOGLE_XML = " || ".join(
    [
        f"'<item><title>' || {esc(TITLE)} || '</title>'",
        f"'<description>' || {esc(DESCRIPTION)} || '</description>'",
        f"'<link>' || {esc(LINK)} || '</link>'",
        _g("id", "v.stock_number"),
        _g("image_link", IMAGE, optional=True),
        _g("price", PRICE),
        _g("condition", case("v.condition", GOOGLE_CONDITION, "used")),
        _g("brand", "v.make"),
        _g("model", "v.model"),
        _g("trim", "v.trim", optional=True),
        _g("year", "v.model_year::text"),
        _g("mileage", "v.mileage::text || ' km'"),
        _g("vin", "v.vin"),
        _g("store_code", "l.slug"),
        _g("color", COLOUR, optional=True),
        _g("body_style", "v.body_type"),
        _g("engine", "v.engine", optional=True),
        _g("certified_pre-owned", CERTIFIED),
        "'<g:vehicle_fulfillment><g:option>in_store</g:option><g:store_code>' || "
        + esc("l.slug")
        + " || '</g:store_code></g:vehicle_fulfillment></item>'",
    ]
)

META_CSV = _csv(
    "v.stock_number",
    TITLE,
    one_line(DESCRIPTION),
    LINK,
    "v.make",
    "v.model",
    "v.model_year::text",
    "v.mileage::text",
    "'KM'",
    IMAGE,
    "v.make || ' ' || v.model",
    case("v.body_type", META_BODY, "OTHER"),
    "upper(v.transmission)",
    case("v.fuel", META_FUEL, "OTHER"),
    case("v.drivetrain", META_DRIVE, "OTHER"),
    "v.vin",
    LIST_PRICE,
    f"(CASE WHEN {ON_SALE} THEN {PRICE} ELSE '' END)",
    "l.street",
    "l.city",
    # Locations have no region field: the city stands in (Meta wants one).
    "l.city",
    "l.postal_code",
    "l.country",
    COLOUR,
    case("v.condition", META_STATE, "USED"),
    "(CASE WHEN v.condition = 'new' THEN 'EXCELLENT' ELSE 'GOOD' END)",
    "'AVAILABLE'",
    "v.in_stock_since::text",
    "v.trim",
)

SHOWROOM_CSV = _csv(
    "v.vin",
    "v.stock_number",
    "v.model_year::text",
    "v.make",
    "v.model",
    "v.trim",
    "v.condition",
    "v.body_type",
    "v.fuel",
    "v.transmission",
    "v.drivetrain",
    "v.engine",
    "v.mileage::text",
    "v.exterior_colour",
    "v.exterior_colour_name",
    "v.interior_colour",
    "v.seats::text",
    "v.doors::text",
    "v.list_price::text",
    "COALESCE(v.sale_price::text, '')",
    "v.status",
    "l.slug",
    FEATURES,
    NEUTRAL_DESCRIPTION,
)

# How each feed's rows come out of COPY: TSV in COPY's text format (tab-separated, no
# quoting: only a backslash is escaped, the cells holding no tab or line break), the CSV
# feeds in its CSV format (the Showroom CSV with every field quoted), the XML one item a row.
COPY_OPTIONS = {
    "google_tsv": "FORMAT text",
    "google_xml": "FORMAT text",
    "meta_csv": "FORMAT csv",
    "csv": "FORMAT csv, FORCE_QUOTE *",
}
ROWS = {
    "google_tsv": GOOGLE_TSV,
    "google_xml": [GOOGLE_XML],
    "meta_csv": META_CSV,
    "csv": SHOWROOM_CSV,
}


def _url_parts() -> dict[str, str]:
    """Absolute URLs as a prefix and suffix around the slug (or the stored file name), so
    the database writes them without a reverse() or a storage call per car."""
    base = settings.SITE_URL.rstrip("/")
    page = base + reverse("inventory:vehicle", kwargs={"slug": "feed-slug-marker"})
    page_prefix, _, page_suffix = page.partition("feed-slug-marker")
    media = default_storage.url("feed-image-marker")
    if media.startswith("/"):
        media = base + media
    media_prefix, _, media_suffix = media.partition("feed-image-marker")
    return {
        "page_prefix": page_prefix,
        "page_suffix": page_suffix,
        "media_prefix": media_prefix,
        "media_suffix": media_suffix,
    }


# COPY's text format escapes a backslash and the control characters (and the delimiter,
# here a tab: the TSV cells have none); these are undone on the chunks that hold one.
_UNESCAPE = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
CHUNK = 1 << 20  # bytes written at once


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: _UNESCAPE[m.group(1)], text) if "\\" in text else text


def feed_copy(*, kind: str, location: Location | None, out) -> int:
    """Write the rendered rows of one feed (no header) to the text stream ``out``: the
    available cars (of ``location``, else all) in id order, streamed by one ``COPY (SELECT
    …) TO STDOUT`` and written in chunks of about a megabyte. Returns the number of cars.

    PostgreSQL sends each row as one message, so a chunk of whole messages never splits a
    character or an escape."""
    params = {**_url_parts(), "currency": settings.CURRENCY}
    where = ""
    if location is not None:
        where = "AND v.location_id = %(location)s"
        params["location"] = location.pk
    columns = ", ".join(f"{expr} AS c{i}" for i, expr in enumerate(ROWS[kind]))
    select = f"SELECT {columns} {FROM_SQL.format(location=where, description=RAW_DESCRIPTION, free=FREE)}"
    sql = f"COPY ({select}) TO STDOUT ({COPY_OPTIONS[kind]})"  # nosec B608 - constants
    text_format = COPY_OPTIONS[kind] == "FORMAT text"
    count = 0
    size = 0
    parts: list[bytes] = []

    def flush() -> None:
        chunk = b"".join(parts).decode()
        out.write(_unescape(chunk) if text_format else chunk)
        parts.clear()

    with connection.cursor() as cursor:
        raw = cursor.cursor
        # COPY takes no bound parameters: psycopg quotes them into the statement.
        with raw.copy(raw.mogrify(sql, params)) as copy:
            for row in copy:
                parts.append(row)
                count += 1
                size += len(row)
                if size >= CHUNK:
                    flush()
                    size = 0
    if parts:
        flush()
    return count
