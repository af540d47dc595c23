"""The response clock's job: unanswered leads escalate to the sales manager, then move on."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import User
from dealership.accounts.roles import Role

from ..models import Lead, LeadAssignment, Task
from .assignment import lead_assign_automatically
from .work import task_create

BATCH_SIZE = 200


def sales_manager_for(lead: Lead) -> User | None:
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name=Role.SALES_MANAGER.value,
            locations=lead.location_id,
        )
        .order_by("pk")
        .first()
    )


def _unanswered():
    return Lead.objects.filter(first_response_at__isnull=True, status=Lead.Status.NEW)


def lead_escalate(*, lead_id: int, now: datetime.datetime) -> bool:
    """Escalate one overdue lead: a task for the sales manager and a notification. Locks the
    lead and marks it escalated in the same transaction: a second run does nothing."""
    with transaction.atomic():
        lead = (
            _unanswered()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("customer", "location", "assigned_to")
            .filter(pk=lead_id, escalated_at__isnull=True, response_due_at__lte=now)
            .first()
        )
        if lead is None:
            return False
        manager = sales_manager_for(lead)
        task_create(
            owner=manager,
            title=_("No first response yet: %(lead)s") % {"lead": lead},
            due_at=now,
            lead=lead,
            kind=Task.Kind.ESCALATION,
            by=None,
            dedupe_key=f"lead:{lead.pk}:escalation",
        )
        lead.escalated_at = now
        lead.save(update_fields=["escalated_at", "updated_at"])
        if manager is not None:
            from ..outbox import escalation_notification_enqueue

            escalation_notification_enqueue(lead=lead, manager=manager)
        return True


def lead_offer_to_next(*, lead_id: int, now: datetime.datetime) -> bool:
    """Past the second limit, hand the lead to the next consultant on duty (once)."""
    with transaction.atomic():
        lead = (
            _unanswered()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("location")
            .filter(pk=lead_id, reassigned_at__isnull=True, reassign_due_at__lte=now)
            .first()
        )
        if lead is None:
            return False
        exclude = {lead.assigned_to_id} if lead.assigned_to_id else set()
        lead_assign_automatically(
            lead=lead, exclude=exclude, reason=LeadAssignment.Reason.NO_RESPONSE
        )
        lead.reassigned_at = now
        lead.save(update_fields=["reassigned_at", "updated_at"])
        return True


def leads_escalate_overdue(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic job. Idempotent: each lead is escalated once and offered on once."""
    now = now or timezone.now()
    due = list(
        _unanswered()
        .filter(escalated_at__isnull=True, response_due_at__lte=now)
        .order_by("response_due_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    escalated = sum(lead_escalate(lead_id=pk, now=now) for pk in due)
    late = list(
        _unanswered()
        .filter(reassigned_at__isnull=True, reassign_due_at__lte=now)
        .order_by("reassign_due_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    offered = sum(lead_offer_to_next(lead_id=pk, now=now) for pk in late)
    return {"escalated": escalated, "offered": offered}
