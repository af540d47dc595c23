"""Erasure and retention. Export is a read: see selectors.py."""

import datetime
import logging
import time

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.services import audit_record
from dealership.messaging.models import Channel, OutboxMessage
from dealership.messaging.services import message_cancel, suppression_pseudonymise
from leads.models import Activity, Customer, Lead

from .models import Erasure
from .registry import DELETE, PSEUDONYMISE, mapped_models
from .selectors import customer_subject

logger = logging.getLogger(__name__)


def customer_erase(
    *, customer: Customer, by: User | None, reason: str, trigger: str = Erasure.Trigger.REQUEST
) -> Erasure:
    """Erase a customer's personal data, as registry.MAPPINGS says for every model.

    Locks the customer row; idempotent (a second call returns the first erasure and changes
    nothing). Cancels the customer's pending messages, keeps their suppressions as hashes,
    writes an Erasure row and an "erase" audit event, all in one transaction; files of deleted
    rows are removed once it commits. The customer row itself stays, emptied, because orders,
    invoices and finance decisions point at it.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        existing = Erasure.objects.filter(customer=customer).first()
        if existing is not None:
            return existing
        subject = customer_subject(customer=customer)
        selected = [
            (
                model,
                mapping,
                list(model.objects.filter(mapping.match(subject)).values_list("pk", flat=True)),
            )
            for model, mapping in mapped_models()
        ]
        for message in OutboxMessage.objects.filter(
            pk__in=_pks(selected, OutboxMessage), status__in=OutboxMessage.PENDING_STATUSES
        ):
            message_cancel(message=message, reason="erasure")
        for email in sorted(subject.emails):
            suppression_pseudonymise(channel=Channel.EMAIL, address=email)
        for phone in sorted(subject.phones):
            suppression_pseudonymise(channel=Channel.SMS, address=phone)
        counts = {}
        for model, mapping, pks in selected:
            counts[model._meta.label] = len(pks)
            if not pks:
                continue
            rows = model.objects.filter(pk__in=pks)
            if mapping.treatment == DELETE:
                _delete_files_on_commit(rows)
                rows.delete()
            elif mapping.treatment == PSEUDONYMISE:
                rows.update(**mapping.erase)
        erasure = Erasure(
            customer=customer,
            trigger=trigger,
            reason=reason,
            erased_by=by,
            erased_at=timezone.now(),
            counts=counts,
        )
        erasure.full_clean(exclude=["customer", "erased_by"])
        erasure.save()
        customer.refresh_from_db()
        audit_record(
            actor=by,
            action=AuditEvent.Action.ERASE,
            obj=customer,
            changes={"trigger": trigger, "reason": reason, "records": counts},
        )
    return erasure


def _pks(selected, model) -> list:
    return next(pks for m, _mapping, pks in selected if m is model)


def _delete_files_on_commit(rows) -> None:
    file_fields = [f for f in rows.model._meta.concrete_fields if isinstance(f, models.FileField)]
    for field in file_fields:
        names = [name for name in rows.values_list(field.attname, flat=True) if name]
        storage = field.storage
        transaction.on_commit(lambda names=names, storage=storage: _delete_files(storage, names))


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s after an erasure", name, exc_info=True)


# --- Retention -------------------------------------------------------------------------------


def retention_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - relativedelta(months=settings.PRIVACY_LEAD_RETENTION_MONTHS)


def retention_candidates(*, now: datetime.datetime):
    """Customers who came as leads, never bought (no lead won, nothing a mapping says blocks
    retention) and have had no lead or activity since the cut-off; not erased yet."""
    cutoff = retention_cutoff(now)
    leads = Lead.objects.filter(customer=OuterRef("pk"))
    qs = (
        Customer.objects.filter(created_at__lt=cutoff, merged_into__isnull=True)
        .filter(Exists(leads))
        .exclude(Exists(leads.filter(status=Lead.Status.WON)))
        .exclude(Exists(leads.filter(created_at__gte=cutoff)))
        .exclude(Exists(Activity.objects.filter(customer=OuterRef("pk"), occurred_at__gte=cutoff)))
        .exclude(Exists(Erasure.objects.filter(customer=OuterRef("pk"))))
    )
    for model, mapping in mapped_models():
        if mapping.blocks_retention:
            rows = model.objects.filter(**{mapping.blocks_retention: OuterRef("pk")})
            qs = qs.exclude(Exists(rows))
    return qs.order_by("pk")


def privacy_retention_run(
    *, now: datetime.datetime | None = None, window: int = 5000, time_budget: float = 200.0
) -> int:
    """Erase the customers `retention_candidates` finds, one transaction each, oldest id first.

    Walks the customer ids in windows of `window`, so each query checks a bounded number of
    customers by index (the planner would otherwise compute every candidate and sort them).
    Safe to run twice or to crash halfway: an erased customer has an Erasure row and is no
    longer a candidate. Stops after `time_budget` seconds (the next run starts again and goes
    on). Returns how many customers it erased."""
    now = now or timezone.now()
    started, erased, after = time.monotonic(), 0, 0
    last = Customer.objects.aggregate(last=Max("pk"))["last"] or 0
    while after < last and time.monotonic() - started < time_budget:
        batch = list(
            retention_candidates(now=now)
            .filter(pk__gt=after, pk__lte=after + window)
            .values_list("pk", flat=True)
        )
        after += window
        for pk in batch:
            if time.monotonic() - started >= time_budget:
                break
            customer_erase(
                customer=Customer(pk=pk),
                by=None,
                reason=(
                    "No purchase and no contact for "
                    f"{settings.PRIVACY_LEAD_RETENTION_MONTHS} months"
                ),
                trigger=Erasure.Trigger.RETENTION,
            )
            erased += 1
    return erased
