"""Moving a car between locations: request, decide, dispatch, arrive.

A manager of the location that wants the car (the destination) asks for it, saying why and
for whom; a manager of the car's location approves or rejects; the sending location dispatches
it with an estimated arrival (the car is "in transit", and the destination may already book
test drives and take orders for it from the ETA on); the destination confirms its arrival,
which moves ``Vehicle.location``. Every step locks the transfer row (and the car's, in primary
key order of the tables: vehicle first, then transfer), refuses an illegal move with a clear
message, writes a history row and tells the showroom on commit when the car's page changes.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from dealership.accounts.selectors import location_list_for_user, user_is_manager

from .models import TRANSFER_MACHINE, TransferError, Vehicle, VehicleTransfer
from .services import _showroom_changed

TS = VehicleTransfer.Status

TRANSITIONS = TRANSFER_MACHINE.moves  # the table lives next to the model
# "from": managers of the car's (sending) location; "to": of the destination.
ACTING_END: dict[str, str] = {
    TS.APPROVED: "from",
    TS.REJECTED: "from",
    TS.IN_TRANSIT: "from",
    TS.ARRIVED: "to",
    TS.CANCELLED: "to",
}
# A car that may be asked for: on sale or being prepared, not promised to a buyer.
TRANSFERABLE = (Vehicle.Status.DRAFT, Vehicle.Status.AVAILABLE)


def managed_location_ids(user: User) -> set[int]:
    """The locations whose transfers this user decides (managers only; empty otherwise)."""
    if not user_is_manager(user=user):
        return set()
    return set(location_list_for_user(user=user).values_list("pk", flat=True))


def transfer_list_for_user(*, user: User) -> QuerySet[VehicleTransfer]:
    """Transfers from or to the user's locations, newest first (a foreign one is not here)."""
    ids = location_list_for_user(user=user).values("pk")
    return VehicleTransfer.objects.filter(
        Q(from_location__in=ids) | Q(to_location__in=ids)
    ).select_related("vehicle", "from_location", "to_location", "requested_by", "approved_by")


def transfer_for_user(*, user: User, pk: int) -> VehicleTransfer:
    """Raises VehicleTransfer.DoesNotExist for another location's transfer."""
    return transfer_list_for_user(user=user).get(pk=pk)


def transfer_vehicle_choices(*, user: User, search: str = "") -> QuerySet[Vehicle]:
    """Cars a manager may ask for: at another location, on sale or in preparation, not
    already on the move. ``search`` narrows them: every word must be in the stock number,
    the VIN, the make or the model (case-insensitive), so "D1001", a VIN's tail or
    "skoda octavia" finds the car."""
    mine = location_list_for_user(user=user).values("pk")
    vehicles = (
        Vehicle.objects.filter(status__in=TRANSFERABLE, transit_to__isnull=True)
        .exclude(location__in=mine)
        .exclude(transfers__status__in=VehicleTransfer.OPEN_STATUSES)
        .select_related("location")
        .order_by("make", "model", "stock_number")
    )
    for word in search.split()[:5]:
        vehicles = vehicles.filter(
            Q(stock_number__icontains=word)
            | Q(vin__icontains=word)
            | Q(make__icontains=word)
            | Q(model__icontains=word)
        )
    return vehicles


@transaction.atomic
def transfer_request(
    *,
    vehicle: Vehicle,
    to_location: Location,
    by: User,
    reason: str,
    for_customer_id: int | None = None,
    for_lead_id: int | None = None,
    for_note: str = "",
) -> VehicleTransfer:
    """A manager of ``to_location`` asks for a car of another location. Raises
    PermissionDenied for anyone else, TransferError (nothing saved) when the car cannot go."""
    if to_location.pk not in managed_location_ids(by):
        raise PermissionDenied(
            _("Only a manager of %(location)s may ask for a car for it.")
            % {"location": to_location}
        )
    reason = (reason or "").strip()
    if not reason:
        raise TransferError({"reason": _("Say why the car is needed.")})
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    if locked.location_id == to_location.pk:
        raise TransferError(
            {"vehicle": _("This car is already at %(location)s.") % {"location": to_location}}
        )
    if locked.status not in TRANSFERABLE:
        raise TransferError(
            {
                "vehicle": _("A car that is “%(status)s” cannot be transferred.")
                % {"status": locked.get_status_display()}
            }
        )
    transfer = VehicleTransfer(
        vehicle=locked,
        from_location_id=locked.location_id,
        to_location=to_location,
        requested_by=by,
        reason=reason[:5000],
        for_customer_id=for_customer_id,
        for_lead_id=for_lead_id,
        for_note=(for_note or "").strip()[:200],
    )
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:
        raise TransferError({"vehicle": _("This car already has a transfer under way.")}) from None
    TRANSFER_MACHINE.record(transfer, "", by=by, note=reason)
    return transfer


def _locked(transfer: VehicleTransfer, to: str, by: User) -> tuple[Vehicle, VehicleTransfer]:
    """Lock the car, then the transfer (always in this order), and check the move and the
    user's right to make it. Returns (vehicle, transfer)."""
    vehicle = Vehicle.objects.select_for_update().get(pk=transfer.vehicle_id)
    locked = TRANSFER_MACHINE.lock(transfer)
    end = ACTING_END[to]
    location_id = locked.from_location_id if end == "from" else locked.to_location_id
    if location_id not in managed_location_ids(by):
        location = Location.objects.get(pk=location_id)
        raise PermissionDenied(
            _("Only a manager of %(location)s may do this.") % {"location": location}
        )
    if not TRANSFER_MACHINE.can(locked.status, to):
        if locked.status == to:
            message = _("This transfer is already “%(to)s”.")
        else:
            message = _("A transfer that is “%(from)s” cannot become “%(to)s”.")
        raise TransferError(message % {"from": locked.get_status_display(), "to": TS(to).label})
    return vehicle, locked


def _move(locked: VehicleTransfer, to: str, by: User, note: str, fields=()) -> None:
    TRANSFER_MACHINE.transition(
        locked, to, by, note, locked=locked, apply=lambda row, before: fields
    )


@transaction.atomic
def transfer_approve(*, transfer: VehicleTransfer, by: User, note: str = "") -> VehicleTransfer:
    """A manager of the car's location lets it go. A car sold or reserved meanwhile cannot."""
    vehicle, locked = _locked(transfer, TS.APPROVED, by)
    if vehicle.status not in TRANSFERABLE or vehicle.location_id != locked.from_location_id:
        raise TransferError(
            _("The car is “%(status)s” now and cannot be transferred.")
            % {"status": vehicle.get_status_display()}
        )
    locked.approved_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = (note or "").strip()[:500]
    _move(
        locked,
        TS.APPROVED,
        by,
        locked.decision_note,
        ["approved_by", "decided_at", "decision_note"],
    )
    return locked


@transaction.atomic
def transfer_reject(*, transfer: VehicleTransfer, by: User, note: str) -> VehicleTransfer:
    """A manager of the car's location refuses, saying why; the car stays."""
    note = (note or "").strip()
    if not note:
        raise TransferError({"note": _("Say why you reject the transfer.")})
    _vehicle, locked = _locked(transfer, TS.REJECTED, by)
    locked.approved_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = note[:500]
    _move(locked, TS.REJECTED, by, note, ["approved_by", "decided_at", "decision_note"])
    return locked


@transaction.atomic
def transfer_cancel(*, transfer: VehicleTransfer, by: User, note: str = "") -> VehicleTransfer:
    """The destination no longer needs the car (before it leaves)."""
    _vehicle, locked = _locked(transfer, TS.CANCELLED, by)
    _move(locked, TS.CANCELLED, by, note)
    return locked


@transaction.atomic
def transfer_dispatch(
    *, transfer: VehicleTransfer, by: User, eta: datetime.date, now=None
) -> VehicleTransfer:
    """The car leaves: in transit to the destination, arriving ``eta`` (the destination's
    calendar day, today or later). The showroom shows it at once."""
    now = now or timezone.now()
    vehicle, locked = _locked(transfer, TS.IN_TRANSIT, by)
    today = locked.to_location.localtime(now).date()
    if eta is None or eta < today:
        raise TransferError({"eta": _("The arrival date cannot be in the past.")})
    if vehicle.status not in TRANSFERABLE:
        raise TransferError(
            _("The car is “%(status)s” now and cannot be transferred.")
            % {"status": vehicle.get_status_display()}
        )
    locked.eta = eta
    locked.dispatched_at = now
    _move(
        locked,
        TS.IN_TRANSIT,
        by,
        _("Arrives %(eta)s") % {"eta": eta.isoformat()},
        ["eta", "dispatched_at"],
    )
    vehicle.transit_to_id = locked.to_location_id
    vehicle.transit_eta = eta
    vehicle.save(update_fields=["transit_to", "transit_eta", "updated_at"])
    _showroom_changed()
    return locked


@transaction.atomic
def transfer_arrive(*, transfer: VehicleTransfer, by: User, note: str = "", now=None):
    """The car is at the destination: its location changes (the transfer rows keep where it
    was), the transit marks go, and every showroom cache starts over on commit."""
    now = now or timezone.now()
    vehicle, locked = _locked(transfer, TS.ARRIVED, by)
    locked.arrived_at = now
    _move(locked, TS.ARRIVED, by, note, ["arrived_at"])
    vehicle.location_id = locked.to_location_id
    vehicle.transit_to = None
    vehicle.transit_eta = None
    vehicle.save(update_fields=["location", "transit_to", "transit_eta", "updated_at"])
    _showroom_changed()
    return locked
