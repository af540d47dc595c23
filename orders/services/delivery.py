"""Delivery and handover: slots, drivers, logistics status, the sale."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from aftersales.services import owned_vehicle_register_from_delivery
from dealership.accounts.models import AuditEvent, User
from dealership.accounts.services import audit_diff, audit_record
from inventory.models import Vehicle
from inventory.services import vehicle_set_status

from ..models import DeliverySlot, Order
from .lifecycle import S, _locked, _transition


def _logistics(order: Order) -> dict:
    return {
        "delivery_slot": order.delivery_slot_id,
        "driver": order.driver_id,
        "logistics_status": order.logistics_status,
    }


def slot_free_places(slot: DeliverySlot) -> int:
    taken = slot.orders.exclude(status=S.CANCELLED).count()
    return slot.capacity - taken


def order_schedule_delivery(
    *, order: Order, by: User, slot: DeliverySlot, driver: User | None = None
) -> Order:
    """Book a delivery (or pickup) slot of the order's location for a signed order. The slot
    row is locked so two bookings cannot overfill it. Rescheduling is allowed. Audited as one
    "update" (slot, driver and logistics status before and after; the status if it moves)."""
    with transaction.atomic():
        order = _locked(order)
        if order.status not in (S.CONTRACT_SIGNED, S.READY_FOR_DELIVERY):
            raise ValidationError(_("Schedule the delivery once the contract is signed."))
        slot = (
            DeliverySlot.objects.select_for_update(of=("self",))
            .select_related("location")
            .get(pk=slot.pk)
        )
        if slot.location_id != order.location_id:
            raise ValidationError({"slot": _("That slot belongs to another location.")})
        if slot.starts_at <= timezone.now():
            raise ValidationError({"slot": _("That slot has already begun.")})
        eta = order.vehicle.transit_eta
        if eta is not None and slot.location.localtime(slot.starts_at).date() < eta:
            # A car on its way from another location is handed over once it is here.
            raise ValidationError(
                {
                    "slot": _("This car arrives on %(date)s: choose a slot from that day on.")
                    % {"date": formats.date_format(eta, "SHORT_DATE_FORMAT")}
                }
            )
        if order.delivery_slot_id != slot.pk and slot_free_places(slot) <= 0:
            raise ValidationError({"slot": _("That slot is full; choose another.")})
        if order.fulfilment == Order.Fulfilment.DELIVERY and driver is None:
            raise ValidationError({"driver": _("Choose the driver for a home delivery.")})
        before = _logistics(order)
        order.delivery_slot = slot
        order.driver = driver if order.fulfilment == Order.Fulfilment.DELIVERY else None
        order.logistics_status = Order.Logistics.SCHEDULED
        order.save(update_fields=["delivery_slot", "driver", "logistics_status"])
        changes = audit_diff(before, _logistics(order))
        if order.status == S.CONTRACT_SIGNED:
            order = _transition(
                order=order,
                to_status=S.READY_FOR_DELIVERY,
                by=by,
                note=str(slot),
                audit_changes=changes,
            )
        else:
            audit_record(actor=by, action=AuditEvent.Action.UPDATE, obj=order, changes=changes)
        return order


def order_out_for_delivery(*, order: Order, by: User) -> Order:
    with transaction.atomic():
        order = _locked(order)
        if order.status != S.READY_FOR_DELIVERY or order.fulfilment != Order.Fulfilment.DELIVERY:
            raise ValidationError(_("Only a scheduled home delivery can go out."))
        before = _logistics(order)
        order.logistics_status = Order.Logistics.OUT_FOR_DELIVERY
        order.save(update_fields=["logistics_status"])
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            obj=order,
            changes=audit_diff(before, _logistics(order)),
        )
        return order


def order_hand_over(*, order: Order, by: User, odometer_km: int) -> Order:
    """The customer has the car: the order is delivered, the vehicle sold, and (once the
    after-sales app exists) an owned vehicle is registered for service reminders."""
    with transaction.atomic():
        order = _locked(order)
        if order.status != S.READY_FOR_DELIVERY:
            raise ValidationError(_("Only an order ready for delivery can be handed over."))
        if odometer_km < order.vehicle.mileage:
            raise ValidationError(
                {"odometer_km": _("The odometer cannot read less than the car's mileage.")}
            )
        now = timezone.now()
        # Sold through the inventory (sold_at stamped for the turnover reports, the showroom
        # told on commit); a car that is no longer reserved or available is refused.
        vehicle_set_status(
            vehicle=order.vehicle,
            status=Vehicle.Status.SOLD,
            reason=f"order {order.reference} handed over",
            actor=by,
            mileage=odometer_km,
        )
        before = {"logistics_status": order.logistics_status, "odometer_km": order.odometer_km}
        order.logistics_status = Order.Logistics.DELIVERED
        order.odometer_km = odometer_km
        order.delivered_at = now
        order.save(update_fields=["logistics_status", "odometer_km", "delivered_at"])
        order = _transition(
            order=order,
            to_status=S.DELIVERED,
            by=by,
            audit_changes=audit_diff(
                before, {"logistics_status": order.logistics_status, "odometer_km": odometer_km}
            ),
        )
        _register_owned_vehicle(order)
        return order


def _register_owned_vehicle(order: Order) -> None:
    """The last step of a handover: after-sales takes the car over (idempotent per customer
    and VIN, so a retried handover registers it once)."""
    owned_vehicle_register_from_delivery(
        customer=order.customer,
        vehicle=order.vehicle,
        delivered_at=order.delivered_at,
        odometer_km=order.odometer_km,
        location=order.location,
    )
