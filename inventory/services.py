"""Writes to the inventory.

Every write of a shown vehicle field goes through these services: status, price, location,
mileage and everything else the showroom lists, counts or renders. Other apps (orders reserving,
releasing and selling a car; staff in the admin; the CSV feed) call them and never save a
Vehicle themselves, because each service ends with ``_showroom_changed()``: when the outermost
transaction commits, a new inventory version (``selectors.facets_invalidate``, the token that
``facets_cache_version()`` returns and every showroom cache is keyed by) and a rebuild of the
facet index for it. A rolled-back transaction changes neither. Every service validates
(full_clean or the status table), and owns its transaction, nesting inside the caller's.
"""

import logging
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import User

from .models import Feature, PriceChange, Vehicle
from .selectors import facets_invalidate
from .vin import decode_vin

logger = logging.getLogger(__name__)

VS = Vehicle.Status

# The moves a vehicle's status can make. Reserved is reachable from available only (a car on
# sale); a sold car is only ever archived; an archived car comes back through draft, so it is
# checked before it goes on sale again. The admin's change form stays the managers' escape
# hatch for corrections (it saves any valid status through vehicle_save_from_admin).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    VS.DRAFT: frozenset({VS.AVAILABLE, VS.ARCHIVED}),
    VS.AVAILABLE: frozenset({VS.RESERVED, VS.SOLD, VS.DRAFT, VS.ARCHIVED}),
    VS.RESERVED: frozenset({VS.AVAILABLE, VS.SOLD}),
    VS.SOLD: frozenset({VS.ARCHIVED}),
    VS.ARCHIVED: frozenset({VS.DRAFT}),
}


class VehicleStatusError(ValidationError):
    """A status move STATUS_TRANSITIONS does not allow. ``vehicle`` is the row as read under
    the lock (its current status), for callers that offer something else instead."""

    def __init__(self, *, vehicle: Vehicle, status: str):
        if vehicle.status == status:
            message = _("This vehicle is already “%(to)s”.")
        else:
            message = _("A vehicle that is “%(from)s” cannot become “%(to)s”.")
        super().__init__(
            message % {"from": vehicle.get_status_display(), "to": VS(status).label},
            code="illegal_status_transition",
        )
        self.vehicle = vehicle
        self.status = status


class _ShowroomCommit:
    """Run on commit: a new inventory version (cached facets start over) and the facet index
    for it, built by a worker ahead of the next visitor. ``done`` once it ran."""

    done = False

    def __call__(self) -> None:
        from .tasks import facet_index_refresh

        self.done = True
        facets_invalidate()
        facet_index_refresh.delay()


def _showroom_changed() -> None:
    """On commit of the outermost transaction, once however many vehicles it wrote (seeding
    or a feed import is one version and one rebuild, not one per car). A callback registered
    in a savepoint that rolls back goes with it, so the next write registers it again."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        isinstance(func, _ShowroomCommit) and not func.done
        for _sids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_ShowroomCommit())


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


def _move(
    locked: Vehicle,
    status: str,
    *,
    reason: str,
    actor: User | None = None,
    now=None,
    extra_fields: tuple[str, ...] = (),
) -> None:
    """Save a status move already allowed, with what it implies (sold_at, published_at)."""
    before, now = locked.status, now or timezone.now()
    locked.status = status
    _stamp_sold(locked, now)
    fields = ["status", "sold_at", "updated_at", *extra_fields]
    if status == VS.AVAILABLE and locked.published_at is None:
        locked.published_at = now
        fields.append("published_at")
    locked.save(update_fields=fields)
    logger.info(
        "vehicle %s: %s -> %s by %s (%s)",
        locked.pk,
        before,
        status,
        actor.get_username() if actor is not None else "system",
        reason,
    )


def _sync(vehicle: Vehicle, locked: Vehicle) -> None:
    """The caller's instance follows the row it passed in."""
    if vehicle is not locked:
        for name in ("status", "sold_at", "published_at", "mileage", "updated_at"):
            setattr(vehicle, name, getattr(locked, name))


@transaction.atomic
def vehicle_set_status(
    *,
    vehicle: Vehicle,
    status: str,
    reason: str,
    actor: User | None = None,
    mileage: int | None = None,
) -> Vehicle:
    """Move one vehicle to ``status`` if STATUS_TRANSITIONS allows it from its current one.

    Locks the vehicle row (select_for_update) and reads the status under that lock, so a check
    and its write are never split by a concurrent buyer. It runs inside the caller's
    transaction: a caller that already locked the row keeps its lock; one that did not holds
    it from here until it commits. Raises VehicleStatusError, writing nothing, for a move the
    table refuses (moving to the status the car already has included: reserving a reserved car
    fails). ``mileage``: the odometer reading saved with the move (a hand-over). Stamps sold_at
    and published_at. The showroom hears of it when the outermost transaction commits (a new
    facet version and an index rebuild), never on a rollback. ``reason`` and ``actor`` go to
    the log. Returns the locked row; the ``vehicle`` passed in is updated as well.
    """
    if status not in VS.values:
        raise ValueError(f"unknown status {status!r}")
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    if status not in STATUS_TRANSITIONS[locked.status]:
        raise VehicleStatusError(vehicle=locked, status=status)
    extra: tuple[str, ...] = ()
    if mileage is not None and mileage != locked.mileage:
        # Only the new reading is validated: an old row's other fields are not this move's
        # business, and must not stop a hand-over.
        locked.mileage = Vehicle._meta.get_field("mileage").clean(mileage, locked)
        extra = ("mileage",)
    _move(locked, status, reason=reason, actor=actor, extra_fields=extra)
    _showroom_changed()
    _sync(vehicle, locked)
    return locked


@transaction.atomic
def vehicle_release(*, vehicle: Vehicle, reason: str, actor: User | None = None) -> bool:
    """Put a reserved vehicle back on sale (an order cancelled, refunded or expired).

    A vehicle that is no longer reserved (staff sold or archived it meanwhile) is left as it
    is: releasing is idempotent and never fails a cancellation. Locks like vehicle_set_status
    and tells the showroom on commit. Returns whether the vehicle went back on sale.
    """
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    released = locked.status == VS.RESERVED
    if released:
        _move(locked, VS.AVAILABLE, reason=reason, actor=actor)
        _showroom_changed()
    _sync(vehicle, locked)
    return released


@transaction.atomic
def vehicles_set_status(
    *, vehicle_ids: Iterable[int], status: str, actor: User | None = None
) -> int:
    """Bulk status change (admin actions). Locks in id order; changes the vehicles whose move
    STATUS_TRANSITIONS allows and leaves the others (already there, or a move it refuses, like
    reserving a sold car). Returns how many changed."""
    if status not in VS.values:
        raise ValueError(f"unknown status {status!r}")
    vehicles = list(
        Vehicle.objects.select_for_update().filter(pk__in=list(vehicle_ids)).order_by("pk")
    )
    now = timezone.now()
    changed = 0
    for vehicle in vehicles:
        if status not in STATUS_TRANSITIONS[vehicle.status]:
            continue
        _move(vehicle, status, reason="bulk status change", actor=actor, now=now)
        changed += 1
    if changed:
        _showroom_changed()
    return changed
