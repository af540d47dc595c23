"""The order state machine, reservation, cancellation and the scheduled jobs."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.phones import phone_local
from dealership.accounts.services import audit_diff, audit_record
from dealership.messaging.models import Channel, Purpose
from dealership.messaging.services import message_enqueue
from inventory.models import Vehicle
from inventory.selectors import vehicle_similar
from inventory.services import VehicleStatusError, vehicle_release, vehicle_set_status
from leads.models import Activity, LeadEvent
from leads.services import activity_log, lead_event, lead_for_sale

from ..models import ORDER_MACHINE, Order, Payment, TransitionError
from ..payments import get_payment_backend
from ..tokens import order_token

S = Order.Status

TRANSITIONS = ORDER_MACHINE.moves  # the table lives next to the model
# The customer may cancel online until the contract is signed.
CUSTOMER_CANCELLABLE = (
    S.DRAFT,
    S.SUBMITTED,
    S.DEPOSIT_PAID,
    S.FINANCE_PENDING,
    S.FINANCE_APPROVED,
    S.CONTRACT_SENT,
)
# Statuses in which the order holds the car (matches the partial unique constraint).
HOLDS_VEHICLE = tuple(s for s in S.values if s not in (S.DRAFT, S.CANCELLED, S.DELIVERED))


TIMELINE_MILESTONES = (S.SUBMITTED, S.CONTRACT_SIGNED, S.DELIVERED, S.CANCELLED)
# The order's moves that move the customer's lead (leads.services.events): placed → won,
# cancelled → back to negotiation, delivered → won.
LEAD_EVENTS = {
    S.SUBMITTED: LeadEvent.ORDER_PLACED,
    S.CANCELLED: LeadEvent.ORDER_CANCELLED,
    S.DELIVERED: LeadEvent.ORDER_DELIVERED,
}


class VehicleUnavailable(ValidationError):
    """The car was reserved (or sold) by someone else a moment ago."""

    def __init__(self, vehicle: Vehicle):
        super().__init__(_("Sorry, this car was just reserved by another buyer."))
        self.vehicle = vehicle

    @property
    def similar(self) -> list[Vehicle]:
        return vehicle_similar(vehicle=self.vehicle)


def _locked(order: Order) -> Order:
    """The order row, locked for the rest of the transaction and freshly read."""
    return ORDER_MACHINE.lock(order)


def order_link(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "orders:track", kwargs={"token": order_token(order)}
    )


def notification_context(order: Order) -> dict:
    from .deals import current_version

    deal = current_version(order).deal
    consultant = order.consultant
    return {
        "first_name": order.customer.first_name,
        "reference": order.reference,
        "status": str(order.get_status_display()),
        "vehicle": order.vehicle.title,
        "total": str(deal.total),
        "deposit": str(deal.deposit),
        "balance_due": str(deal.balance_due),
        "monthly_payment": str(deal.monthly_payment),
        "payment_type": order.payment_type,
        "link": order_link(order),
        "location": order.location.name,
        "location_phone": phone_local(order.location.phone, order.location),
        "consultant": consultant.get_full_name() if consultant else "",
        "cancel_reason": order.cancel_reason,
        "refund_amount": str(order.refund_amount),
    }


def order_notify(*, order: Order, template_key: str, dedupe_key: str) -> None:
    """One message to the customer through the outbox (email, or SMS without an email);
    sent when the transaction commits, once per dedupe key."""
    customer = order.customer
    if customer.email:
        channel, to = Channel.EMAIL, customer.email
    elif customer.mobile_phone:
        channel, to = Channel.SMS, customer.mobile_phone
    else:
        return
    message_enqueue(
        channel=channel,
        purpose=Purpose.TRANSACTIONAL,
        to=to,
        template_key=template_key,
        context=notification_context(order),
        dedupe_key=f"{dedupe_key}:{channel}",
        location=order.location,
        customer_id=customer.pk,
        language=customer.language,
    )


def order_transition(*, order: Order, to_status: str, by: User | None, note: str = "") -> Order:
    """Move the order to `to_status` if the table allows it; refuses anything else with a
    TransitionError. Locks the row, writes a history row, an audit event ("update": the
    status before and after, and the note; `by` None = the system or the customer) and
    notifies the customer through the outbox (on commit). The caller's transaction, or its own."""
    return _transition(order=order, to_status=to_status, by=by, note=note, audit_changes={})


def _transition(
    *,
    order: Order,
    to_status: str,
    by: User | None,
    note: str = "",
    audit_changes: dict | None,
) -> Order:
    """order_transition's body. Services that change other fields together with the status
    pass those changes in `audit_changes`, so one action makes one audit event; None writes
    no event (the caller writes its own)."""
    with transaction.atomic():
        now = timezone.now()

        def apply(order: Order, from_status: str) -> None:
            order.status_changed_at = now

        locked, history = ORDER_MACHINE.transition(order, to_status, by, note, apply=apply, at=now)
        from_status = history.from_status
        if audit_changes is not None:
            audit_record(
                actor=by,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                changes={
                    "status": [from_status, to_status],
                    **audit_changes,
                    **({"note": note[:300]} if note else {}),
                },
            )
        order_notify(
            order=locked,
            template_key="orders.status_changed",
            dedupe_key=f"order:{locked.pk}:transition:{history.pk}",
        )
        if to_status in TIMELINE_MILESTONES:
            # One customer, one timeline: the milestones show on the customer 360.
            activity_log(
                customer=locked.customer,
                kind=Activity.Kind.NOTE,
                by=by,
                body=_("Order %(ref)s (%(vehicle)s): %(status)s")
                % {
                    "ref": locked.reference,
                    "vehicle": locked.vehicle.title,
                    "status": S(to_status).label,
                },
                occurred_at=now,
            )
        if to_status in LEAD_EVENTS:
            _move_lead(locked, LEAD_EVENTS[to_status], by)
    order.status, order.status_changed_at = locked.status, locked.status_changed_at
    return locked


def _move_lead(order: Order, event: str, by: User | None) -> None:
    """Tell the customer's lead (the one the order's placement moved, else their open lead
    about this car or at this location). A cancelled order leaves the lead won while another
    order of the customer there is live or delivered."""
    ref = f"order:{order.pk}"
    lead = lead_for_sale(
        customer=order.customer,
        location=order.location,
        vin=order.vehicle.vin,
        stock_number=order.vehicle.stock_number,
        ref=ref,
    )
    if lead is None:
        return
    still_active = (
        event == LeadEvent.ORDER_CANCELLED
        and Order.objects.filter(
            customer_id=order.customer_id,
            location_id=order.location_id,
            status__in=(*HOLDS_VEHICLE, S.DELIVERED),
        )
        .exclude(pk=order.pk)
        .exists()
    )
    lead_event(
        lead=lead, event=event, by=by, ref=ref, detail=order.reference, still_active=still_active
    )


def _deposit_payment(order: Order) -> Payment:
    from .deals import current_version

    deal = current_version(order).deal
    payment, _created = Payment.objects.get_or_create(
        idempotency_key=f"order:{order.pk}:deposit",
        defaults={
            "order": order,
            "kind": Payment.Kind.DEPOSIT,
            "provider": get_payment_backend().name,
            "amount": deal.deposit,
            "currency": deal.currency,
        },
    )
    return payment


def order_reserve(*, order: Order) -> tuple[Order, Payment]:
    """Reserve the car for this order and open its deposit payment, atomically.

    Locks the order, then the vehicle row (always in that order). Exactly one of any number
    of concurrent buyers wins; the others get VehicleUnavailable (and nothing is written for
    them). The partial unique constraint holds it even if a lock were forgotten. Idempotent
    for the winner: asking again returns the same payment (one idempotency key per deposit).
    """
    try:
        with transaction.atomic():
            locked = _locked(order)
            if locked.status == S.SUBMITTED:
                return locked, _deposit_payment(locked)
            if locked.status != S.DRAFT:
                raise TransitionError(_("This order has already been reserved."))
            # Through the inventory, which locks the vehicle row and refuses anything but an
            # available car, so the showroom stops offering it when this commits.
            try:
                vehicle_set_status(
                    vehicle=locked.vehicle,
                    status=Vehicle.Status.RESERVED,
                    reason=f"order {locked.reference}: reserved for the deposit",
                )
            except VehicleStatusError as exc:
                raise VehicleUnavailable(exc.vehicle) from exc
            locked.reserved_until = timezone.now() + datetime.timedelta(
                minutes=settings.ORDERS_RESERVATION_MINUTES
            )
            locked.save(update_fields=["reserved_until"])
            order_transition(order=locked, to_status=S.SUBMITTED, by=None)
            payment = _deposit_payment(locked)
            start = get_payment_backend().start(payment=payment, order=locked)
            payment.provider_reference = start.reference
            payment.save(update_fields=["provider_reference"])
    except IntegrityError as exc:
        # The constraint caught a second live order for the car.
        raise VehicleUnavailable(order.vehicle) from exc
    order.status = locked.status
    return locked, payment


def _free_vehicle(order: Order, *, by: User | None) -> None:
    """Back on sale in the showroom when this commits (a car staff sold or archived meanwhile
    stays as it is). The log gets the reference, not the customer's own words."""
    vehicle_release(vehicle=order.vehicle, reason=f"order {order.reference} cancelled", actor=by)


def refund_due(order: Order) -> Decimal:
    """The refund policy: before the contract is signed the deposit comes back in full;
    after signing (only staff may cancel then) less the cancellation fee."""
    received = sum(
        (
            p.amount
            for p in order.payments.all()
            if p.kind == Payment.Kind.DEPOSIT and p.status == Payment.Status.SUCCEEDED
        ),
        Decimal("0.00"),
    )
    if order.status in CUSTOMER_CANCELLABLE:
        return received
    return max(received - settings.ORDERS_CANCELLATION_FEE, Decimal("0.00"))


def order_cancel(*, order: Order, by: User | None, reason: str, by_customer: bool = False) -> Order:
    """Cancel before delivery with a reason: frees the car, stops a pending deposit, applies
    the refund policy (the refund goes through the provider; an offline one stays pending).
    Audited: one "update" (status, reason, refund due) and, when money goes back, the
    refund's own event."""
    from .payments import payment_refund

    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the cancellation.")})
    with transaction.atomic():
        locked = _locked(order)
        if by_customer and locked.status not in CUSTOMER_CANCELLABLE:
            raise TransitionError(
                _("The contract is signed: please call us to cancel."), code="signed"
            )
        if S.CANCELLED not in TRANSITIONS[locked.status]:
            raise TransitionError(
                _("An order that is “%(from)s” cannot be cancelled.")
                % {"from": locked.get_status_display()},
                code="illegal_transition",
            )
        refund = refund_due(locked)
        changes = audit_diff(
            {"cancel_reason": locked.cancel_reason, "refund_amount": locked.refund_amount},
            {"cancel_reason": reason.strip()[:300], "refund_amount": refund},
        )
        if by_customer:
            changes["via"] = "customer"
        locked.cancel_reason = reason.strip()[:300]
        locked.refund_amount = refund
        locked.save(update_fields=["cancel_reason", "refund_amount"])
        locked.payments.filter(status=Payment.Status.PENDING).update(
            status=Payment.Status.EXPIRED, failure_reason=reason.strip()[:200]
        )
        if locked.status in HOLDS_VEHICLE:
            _free_vehicle(locked, by=by)
        locked = _transition(
            order=locked, to_status=S.CANCELLED, by=by, note=reason, audit_changes=changes
        )
        if refund > 0:
            payment_refund(order=locked, amount=refund, actor=by)
    order.status = locked.status
    return locked


def orders_expire_reservations(*, now: datetime.datetime | None = None) -> int:
    """Cancel reservations whose deposit did not arrive in time, freeing the cars. Safe to
    run twice or concurrently (rows are claimed with SKIP LOCKED and re-checked)."""
    now = now or timezone.now()
    expired = 0
    ids = list(
        Order.objects.filter(status=S.SUBMITTED, reserved_until__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in ids:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.SUBMITTED, reserved_until__lte=now)
                .first()
            )
            if order is None:
                continue
            order_cancel(order=order, by=None, reason=_("The deposit did not arrive in time."))
            expired += 1
    return expired


REMINDER_AFTER = {
    S.SUBMITTED: datetime.timedelta(minutes=20),
    S.CONTRACT_SENT: datetime.timedelta(days=2),
    S.READY_FOR_DELIVERY: datetime.timedelta(days=1),
}


def orders_send_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind customers of a deposit, a signature or a balance still due. One reminder per
    order, status and day (the dedupe key), so running the job twice sends nothing twice."""
    now = now or timezone.now()
    sent = 0
    for status, after in REMINDER_AFTER.items():
        orders = Order.objects.filter(status=status, status_changed_at__lte=now - after)
        for order in orders.select_related("customer", "location", "vehicle", "consultant"):
            day = (now - order.status_changed_at).days
            order_notify(
                order=order,
                template_key="orders.reminder",
                dedupe_key=f"order:{order.pk}:reminder:{status}:{day}",
            )
            sent += 1
    return sent
