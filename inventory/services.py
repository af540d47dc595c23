"""Writes to the inventory. Every service validates (full_clean), owns its transaction and
invalidates the cached showroom facets on commit."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import Feature, PriceChange, Vehicle
from .selectors import facets_invalidate
from .vin import decode_vin


def _showroom_changed() -> None:
    """On commit: a new inventory version (cached facets start over), and the facet index for
    it built by a worker ahead of the next visitor (many changes in one transaction queue many
    tasks; all but the first find the index built and do nothing)."""
    from .tasks import facet_index_refresh

    transaction.on_commit(facets_invalidate)
    facet_index_refresh.delay_on_commit()


# Fields a caller may set through vehicle_create / vehicle_update.
EDITABLE_FIELDS = (
    "vin",
    "stock_number",
    "location",
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
    "status",
    "in_stock_since",
)


def _prepare(vehicle: Vehicle) -> None:
    """Derived fields, set before validation: slug, publication time, decoded VIN data.

    The slug is not validated on its own: it embeds the (unique) stock number, so a clash
    is reported once, on the stock number.
    """
    vehicle.vin = (vehicle.vin or "").strip().upper()
    vehicle.stock_number = (vehicle.stock_number or "").strip().upper()
    if vehicle.model_year and vehicle.make and vehicle.model and vehicle.stock_number:
        vehicle.slug = Vehicle.build_slug(
            model_year=vehicle.model_year,
            make=vehicle.make,
            model=vehicle.model,
            stock_number=vehicle.stock_number,
        )
    if vehicle.status == Vehicle.Status.AVAILABLE and vehicle.published_at is None:
        vehicle.published_at = timezone.now()
    _stamp_sold(vehicle, timezone.now())


def _stamp_sold(vehicle: Vehicle, now) -> None:
    """Sold vehicles carry when they were sold (turnover reports); un-selling clears it."""
    if vehicle.status == Vehicle.Status.SOLD and vehicle.sold_at is None:
        vehicle.sold_at = now
    elif vehicle.status not in (Vehicle.Status.SOLD, Vehicle.Status.ARCHIVED):
        vehicle.sold_at = None


def _decoded_data(vin: str) -> dict:
    try:
        return decode_vin(vin).raw
    except Exception:
        return {}


@transaction.atomic
def vehicle_create(*, features: Iterable[Feature] = (), prefill_from_vin: bool = True, **fields):
    """Create a vehicle; fields the caller leaves out are taken from the decoded VIN.

    Raises ValidationError (nothing saved) when a field or the VIN is invalid.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown vehicle fields: {sorted(unknown)}")
    if prefill_from_vin and fields.get("vin"):
        try:
            decoded = decode_vin(fields["vin"])
        except Exception:
            decoded = None
        if decoded:
            for key, value in decoded.prefill().items():
                if fields.get(key) in (None, ""):
                    fields[key] = value
            fields["vin"] = decoded.vin
    vehicle = Vehicle(**fields)
    _prepare(vehicle)
    vehicle.vin_data = _decoded_data(vehicle.vin)
    vehicle.full_clean(exclude=["slug"])
    vehicle.save()
    if features:
        vehicle.features.set(features)
    _showroom_changed()
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, features: Iterable[Feature] | None = None, **fields):
    """Change a vehicle. A price change is recorded (saved-search alerts find drops there).

    Returns the list of changed field names (empty: nothing to do, nothing written).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown vehicle fields: {sorted(unknown)}")
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    old_price = locked.sale_price if locked.sale_price is not None else locked.list_price
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    feature_change = False
    if features is not None:
        wanted = {f.pk for f in features}
        feature_change = wanted != set(locked.features.values_list("pk", flat=True))
    if not changed and not feature_change:
        return []
    if changed:
        if "vin" in changed:
            locked.vin_data = _decoded_data(locked.vin)
        _prepare(locked)
        locked.full_clean(exclude=["slug"])
        locked.save()
        new_price = locked.sale_price if locked.sale_price is not None else locked.list_price
        if Decimal(new_price) != Decimal(old_price):
            PriceChange.objects.create(vehicle=locked, old_price=old_price, new_price=new_price)
    if feature_change:
        locked.features.set(features)
        changed.append("features")
    _showroom_changed()
    vehicle.refresh_from_db()
    return changed


@transaction.atomic
def vehicle_save_from_admin(*, vehicle: Vehicle, is_new: bool) -> Vehicle:
    """The admin edits the instance in place: record the price change and derived fields."""
    if not is_new:
        old = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        old_price = old.sale_price if old.sale_price is not None else old.list_price
    _prepare(vehicle)
    if is_new or old.vin != vehicle.vin or not vehicle.vin_data:
        vehicle.vin_data = _decoded_data(vehicle.vin)
    vehicle.full_clean(exclude=["slug"])
    vehicle.save()
    if not is_new:
        new_price = vehicle.sale_price if vehicle.sale_price is not None else vehicle.list_price
        if Decimal(new_price) != Decimal(old_price):
            PriceChange.objects.create(vehicle=vehicle, old_price=old_price, new_price=new_price)
    _showroom_changed()
    return vehicle


@transaction.atomic
def vehicles_set_status(*, vehicle_ids: Iterable[int], status: str) -> int:
    """Bulk status change (admin actions). Locks in id order; returns how many changed."""
    if status not in Vehicle.Status.values:
        raise ValueError(f"unknown status {status!r}")
    vehicles = list(
        Vehicle.objects.select_for_update().filter(pk__in=list(vehicle_ids)).order_by("pk")
    )
    now = timezone.now()
    changed = 0
    for vehicle in vehicles:
        if vehicle.status == status:
            continue
        vehicle.status = status
        _stamp_sold(vehicle, now)
        fields = ["status", "sold_at", "updated_at"]
        if status == Vehicle.Status.AVAILABLE and vehicle.published_at is None:
            vehicle.published_at = now
            fields.append("published_at")
        vehicle.save(update_fields=fields)
        changed += 1
    if changed:
        _showroom_changed()
    return changed
