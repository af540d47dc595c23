"""Money in and out: provider webhooks, offline confirmation, refunds."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.services import audit_record

from ..models import FinanceApplication, Order, Payment, PaymentEvent
from ..payments import backend_named, get_payment_backend
from .lifecycle import S, _locked, order_transition


def payment_refund(*, order: Order, amount: Decimal, actor: User | None = None) -> Payment:
    """Refund `amount` of the order's received deposit; one refund per order (its
    idempotency key). Refunded at once by a card provider, pending for bank transfers.
    Audited ("update" of the order's refund status and amount; `actor` None = system)."""
    deposit = order.payments.filter(
        kind=Payment.Kind.DEPOSIT, status=Payment.Status.SUCCEEDED
    ).first()
    key = f"order:{order.pk}:refund"
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    backend = backend_named(deposit.provider) if deposit else get_payment_backend()
    reference = backend.refund(payment=deposit, amount=amount, idempotency_key=key)
    refund = Payment.objects.create(
        order=order,
        kind=Payment.Kind.REFUND,
        provider=backend.name,
        amount=amount,
        currency=deposit.currency if deposit else "",
        idempotency_key=key,
        provider_reference=reference,
        status=Payment.Status.SUCCEEDED if reference else Payment.Status.PENDING,
        settled_at=timezone.now() if reference else None,
    )
    before = {"refund_status": order.refund_status, "refund_amount": order.refund_amount}
    order.refund_status = Order.Refund.REFUNDED if reference else Order.Refund.PENDING
    order.refund_amount = amount
    order.save(update_fields=["refund_status", "refund_amount"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=order,
        changes={
            "refund_status": [before["refund_status"], order.refund_status],
            "refund_amount": [before["refund_amount"], amount],
            "payment": refund.pk,
        },
    )
    return refund


def _deposit_received(order: Order, payment: Payment, by: User | None) -> str:
    """Apply a received deposit, or refund it when the order no longer wants it."""
    payment.status = Payment.Status.SUCCEEDED
    payment.settled_at = timezone.now()
    payment.confirmed_by = by
    payment.save(update_fields=["status", "settled_at", "confirmed_by"])
    if order.status != S.SUBMITTED:
        # Late: the reservation expired or was cancelled. The money goes back.
        payment_refund(order=order, amount=payment.amount, actor=by)
        return "refunded"
    order.reserved_until = None
    order.save(update_fields=["reserved_until"])
    order_transition(order=order, to_status=S.DEPOSIT_PAID, by=by, note=_("Deposit received"))
    if order.is_financed:
        has_application = FinanceApplication.objects.filter(order=order).exists()
        if has_application:
            order_transition(order=order, to_status=S.FINANCE_PENDING, by=None)
    return "applied"


def payment_webhook_handle(
    *, provider: str, event_id: str, kind: str, reference: str, amount: Decimal, payload: dict
) -> str:
    """Apply one provider event. Idempotent: the event id is stored under a unique
    constraint, so a second delivery (even a concurrent one) does nothing and returns
    "duplicate". Returns "applied", "refunded", "declined", "duplicate" or "ignored"."""
    try:
        with transaction.atomic():
            event = PaymentEvent.objects.create(
                provider=provider, event_id=event_id, kind=kind, payload=payload
            )
    except IntegrityError:
        return "duplicate"
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=provider, provider_reference=reference, kind=Payment.Kind.DEPOSIT)
            .first()
        )
        if payment is None or payment.amount != amount:
            outcome = "ignored"
        elif kind == "payment.succeeded":
            if payment.status == Payment.Status.SUCCEEDED:
                outcome = "duplicate"
            else:
                order = _locked(payment.order)
                outcome = _deposit_received(order, payment, by=None)
        elif kind == "payment.failed" and payment.status == Payment.Status.PENDING:
            payment.status = Payment.Status.FAILED
            payment.failure_reason = str(payload.get("reason", ""))[:200] or _("Declined")
            payment.save(update_fields=["status", "failure_reason"])
            outcome = "declined"
        else:
            outcome = "ignored"
        event.outcome = outcome
        event.save(update_fields=["outcome"])
    return outcome


def payment_retry(*, order: Order) -> Payment:
    """After a decline the customer tries again: a fresh pending payment (new key)."""
    with transaction.atomic():
        order = _locked(order)
        if order.status != S.SUBMITTED:
            raise ValidationError(_("There is no deposit due on this order."))
        last = order.payments.filter(kind=Payment.Kind.DEPOSIT).order_by("-id").first()
        if last and last.status in (Payment.Status.PENDING, Payment.Status.SUCCEEDED):
            return last
        attempt = order.payments.filter(kind=Payment.Kind.DEPOSIT).count() + 1
        backend = get_payment_backend()
        payment = Payment.objects.create(
            order=order,
            kind=Payment.Kind.DEPOSIT,
            provider=backend.name,
            amount=last.amount,
            currency=last.currency,
            idempotency_key=f"order:{order.pk}:deposit:{attempt}",
        )
        payment.provider_reference = backend.start(payment=payment, order=order).reference
        payment.save(update_fields=["provider_reference"])
        return payment


def payment_confirm_offline(*, order: Order, by: User) -> str:
    """Staff confirm a bank transfer arrived. Idempotent (a second confirm does nothing)."""
    with transaction.atomic():
        order = _locked(order)
        payment = (
            order.payments.select_for_update()
            .filter(kind=Payment.Kind.DEPOSIT)
            .exclude(status=Payment.Status.FAILED)
            .order_by("-id")
            .first()
        )
        if payment is None:
            raise ValidationError(_("This order has no deposit to confirm."))
        if payment.status == Payment.Status.SUCCEEDED:
            return "duplicate"
        return _deposit_received(order, payment, by=by)
