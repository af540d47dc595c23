"""The inventory CSV feed: the columns dealer feeds commonly use, in and out.

Import is all or nothing: every row is validated first (a dry run stops there and reports
per-row errors with line numbers); a real run writes inside one transaction, upserting by
VIN, and reports how many vehicles were created, updated and left unchanged.
"""

import contextlib
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from dealership.accounts.models import Location

from .models import Feature, Vehicle
from .services import vehicle_create, vehicle_update
from .vin import decode_vin, validate_vin

COLUMNS = [
    "vin",
    "stock_number",
    "year",
    "make",
    "model",
    "trim",
    "condition",
    "body_type",
    "fuel",
    "transmission",
    "drivetrain",
    "engine",
    "mileage_km",
    "exterior_colour",
    "exterior_colour_name",
    "interior_colour",
    "seats",
    "doors",
    "list_price",
    "sale_price",
    "status",
    "location",
    "features",
    "description",
]
REQUIRED = ["vin", "stock_number", "list_price", "location"]
MAX_ROWS = 20_000
# Common feed spellings of the same columns.
ALIASES = {
    "stock": "stock_number",
    "stock_no": "stock_number",
    "stocknumber": "stock_number",
    "model_year": "year",
    "price": "list_price",
    "mileage": "mileage_km",
    "odometer": "mileage_km",
    "colour": "exterior_colour",
    "color": "exterior_colour",
    "exterior_color": "exterior_colour",
    "interior_color": "interior_colour",
    "body": "body_type",
    "fuel_type": "fuel",
    "drive": "drivetrain",
}


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def __str__(self):
        return _("Line %(line)d, %(field)s: %(message)s") % {
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _choice(value: str, choices, column: str) -> str:
    value = value.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"gasoline": "petrol", "phev": "plugin_hybrid", "bev": "electric", "cpo": "certified"}
    value = aliases.get(value, value)
    valid = {key: key for key, _label in choices} | {
        slugify(str(label)).replace("-", "_"): key for key, label in choices
    }
    if value not in valid:
        raise ValidationError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(key for key, _label in choices)}
        )
    return valid[value]


def _decimal(value: str) -> Decimal | None:
    value = value.strip().replace(" ", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValidationError(_("“%(value)s” is not an amount.") % {"value": value}) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError(_("“%(value)s” is not an amount.") % {"value": value})
    return amount


def _int(value: str) -> int | None:
    value = value.strip().replace(",", "").replace(".", "").replace(" ", "")
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(value)


def _parse_row(row: dict, locations: dict, features: dict) -> tuple[dict, list, dict]:
    """Feed row → vehicle fields. Raises a dict of column → ValidationError."""
    errors = {}
    values = {}

    def take(column, convert):
        raw = (row.get(column) or "").strip()
        try:
            result = convert(raw)
        except ValidationError as exc:
            errors[column] = exc.messages[0]
            return None
        return result

    for column in REQUIRED:
        if not (row.get(column) or "").strip():
            errors[column] = _("This column is required.")
    vin = take("vin", lambda raw: validate_vin(raw) if raw else "")
    decoded = {}
    if vin and "vin" not in errors:
        decoded = decode_vin(vin).prefill()
        values["vin"] = vin
    values["stock_number"] = (row.get("stock_number") or "").strip().upper()
    for column, name in (("make", "make"), ("model", "model"), ("trim", "trim")):
        raw = (row.get(column) or "").strip()
        values[name] = raw or decoded.get(name, "")
    for column, name, choices in (
        ("condition", "condition", Vehicle.Condition.choices),
        ("body_type", "body_type", Vehicle.BodyType.choices),
        ("fuel", "fuel", Vehicle.Fuel.choices),
        ("transmission", "transmission", Vehicle.Transmission.choices),
        ("drivetrain", "drivetrain", Vehicle.Drivetrain.choices),
        ("exterior_colour", "exterior_colour", Vehicle.Colour.choices),
        ("status", "status", Vehicle.Status.choices),
    ):
        raw = (row.get(column) or "").strip()
        if raw:
            result = take(
                column, lambda raw, choices=choices, column=column: _choice(raw, choices, column)
            )
            if result is not None:
                values[name] = result
        elif decoded.get(name):
            values[name] = decoded[name]
    year = take("year", _int)
    values["model_year"] = year or decoded.get("model_year")
    for column, name in (("mileage_km", "mileage"), ("seats", "seats"), ("doors", "doors")):
        number = take(column, _int)
        if number is not None:
            values[name] = number
        elif decoded.get(name):
            values[name] = decoded[name]
    values["list_price"] = take("list_price", _decimal)
    values["sale_price"] = take("sale_price", _decimal)
    for column in ("engine", "exterior_colour_name", "interior_colour", "description"):
        text = _restore((row.get(column) or "").strip())
        values[column] = text or decoded.get(column, "")
    slug = (row.get("location") or "").strip().lower()
    if slug:
        if slug not in locations:
            errors["location"] = _("No location “%(slug)s”; use one of: %(slugs)s.") % {
                "slug": slug,
                "slugs": ", ".join(sorted(locations)),
            }
        else:
            values["location"] = locations[slug]
    wanted = []
    for name in filter(None, (f.strip() for f in (row.get("features") or "").split(";"))):
        feature = features.get(name.lower())
        if feature is None:
            errors["features"] = _("Unknown feature “%(name)s”.") % {"name": name}
        else:
            wanted.append(feature)
    return values, wanted, errors


def _normalise_header(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def inventory_import_csv(*, data: bytes | str, dry_run: bool) -> ImportReport:
    """Validate (and unless ``dry_run`` write) a CSV feed. Atomic: any error, nothing saved."""
    report = ImportReport(dry_run=dry_run)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append(RowError(1, "file", _("The file is not UTF-8 encoded text.")))
            return report
    else:
        text = data
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        report.errors.append(RowError(1, "file", _("The file is empty.")))
        return report
    reader.fieldnames = [_normalise_header(n) for n in reader.fieldnames]
    missing = [c for c in REQUIRED if c not in reader.fieldnames]
    if missing:
        report.errors.append(
            RowError(1, ", ".join(missing), _("Missing column(s) in the header line."))
        )
        return report
    locations = {loc.slug: loc for loc in Location.objects.all()}
    features = {f.name.lower(): f for f in Feature.objects.all()} | {
        f.slug: f for f in Feature.objects.all()
    }
    parsed = []
    seen_vins: dict[str, int] = {}
    seen_stock: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(RowError(line, "file", _("At most 20,000 rows per file.")))
            break
        values, wanted, errors = _parse_row(row, locations, features)
        vin, stock = values.get("vin"), values.get("stock_number")
        if vin and vin in seen_vins:
            errors["vin"] = _("The same VIN is on line %(line)d.") % {"line": seen_vins[vin]}
        if stock and stock in seen_stock:
            errors["stock_number"] = _("The same stock number is on line %(line)d.") % {
                "line": seen_stock[stock]
            }
        seen_vins.setdefault(vin, line)
        seen_stock.setdefault(stock, line)
        for column, message in errors.items():
            report.errors.append(RowError(line, column, message))
        if not errors:
            parsed.append((line, values, wanted))

    existing = {v.vin: v for v in Vehicle.objects.filter(vin__in=[p[1]["vin"] for p in parsed])}
    try:
        with transaction.atomic():
            for line, values, wanted in parsed:
                try:
                    _upsert(report, existing.get(values["vin"]), values, wanted)
                except ValidationError as exc:
                    for column, messages in exc.message_dict.items():
                        for message in messages:
                            report.errors.append(RowError(line, column, message))
            if dry_run or report.errors:
                raise _Rollback
    except _Rollback:
        pass
    if report.errors:
        report.created = report.updated = report.unchanged = 0
    return report


class _Rollback(Exception):
    pass


def _upsert(report: ImportReport, vehicle: Vehicle | None, values: dict, wanted: list) -> None:
    if vehicle is None:
        with transaction.atomic():
            values.setdefault("status", Vehicle.Status.AVAILABLE)
            vehicle_create(features=wanted, prefill_from_vin=False, **values)
        report.created += 1
        return
    with transaction.atomic():
        changed = vehicle_update(vehicle=vehicle, features=wanted, **values)
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def inventory_export_csv(*, vehicles: Iterable[Vehicle]) -> str:
    """The feed for a set of vehicles, in the same columns the import reads."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for v in vehicles:
        writer.writerow(
            [
                v.vin,
                v.stock_number,
                v.model_year,
                v.make,
                v.model,
                v.trim,
                v.condition,
                v.body_type,
                v.fuel,
                v.transmission,
                v.drivetrain,
                v.engine,
                v.mileage,
                v.exterior_colour,
                v.exterior_colour_name,
                v.interior_colour,
                v.seats,
                v.doors,
                v.list_price,
                "" if v.sale_price is None else v.sale_price,
                v.status,
                v.location.slug,
                ";".join(f.name for f in v.features.all()),
                _neutralise(v.description),
            ]
        )
    return out.getvalue()


def _restore(text: str) -> str:
    """Undo :func:`_neutralise` so an export imports back unchanged."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def _neutralise(text: str) -> str:
    """A cell starting with = + - @ is a formula to a spreadsheet: keep it text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
