"""Follow-up cadences: per lead type a sequence of steps, counted from the lead's arrival.

The lead carries the position of its next step and when it is due; a periodic job polls that
column. Each step done is a CadenceRun row (unique per lead and step), so a job that runs
twice or dies halfway does no step twice.
"""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import User
from dealership.accounts.roles import MANAGER_ROLES

from ..models import Activity, CadenceEvent, CadenceRun, CadenceStep, Lead, Task

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# Past these stages the consultant works the lead by hand: the automatic sequence stops.
PROGRESSED = (
    Lead.Status.QUALIFIED,
    Lead.Status.APPOINTMENT,
    Lead.Status.NEGOTIATION,
)


def _next_step(lead_type: str, after_position: int | None) -> CadenceStep | None:
    steps = CadenceStep.objects.filter(lead_type=lead_type, is_active=True)
    if after_position is not None:
        steps = steps.filter(position__gt=after_position)
    return steps.order_by("position").first()


def _schedule(lead: Lead, step: CadenceStep | None) -> None:
    if step is None:
        lead.cadence_next_at = None
        lead.cadence_stopped_reason = lead.cadence_stopped_reason or "finished"
    else:
        lead.cadence_position = step.position
        lead.cadence_next_at = (
            lead.created_at + lead.cadence_shift + datetime.timedelta(minutes=step.delay_minutes)
        )


def cadence_start(*, lead: Lead) -> None:
    """Schedule the lead type's first step (called by lead_create inside its transaction)."""
    step = _next_step(lead.type, None)
    if step is None:
        return
    _schedule(lead, step)
    lead.save(update_fields=["cadence_position", "cadence_next_at"])


def cadence_stop_reason(lead: Lead) -> str:
    """Why the sequence must stop now, or "" to go on."""
    if lead.status == Lead.Status.WON:
        return "won"
    if lead.status == Lead.Status.LOST:
        return "lost"
    if lead.status in PROGRESSED:
        return "progressed"
    if lead.customer.do_not_contact:
        return "opted_out"
    from ..outbox import customer_opted_out, customer_replied_by_sms

    if customer_opted_out(lead.customer):
        return "opted_out"
    replied = Activity.objects.filter(
        customer_id=lead.customer_id,
        direction=Activity.Direction.INBOUND,
        occurred_at__gte=lead.created_at,
    ).exists()
    if replied or customer_replied_by_sms(lead.customer, lead.created_at):
        return "replied"
    return ""


def cadence_stop(*, lead: Lead, reason: str, by: User | None = None, note: str = "") -> None:
    """End the lead's sequence (paused or not) and cancel its cadence messages still waiting
    in the outbox (an SMS held back by quiet hours, say), with a history row. The caller
    holds the lead's row lock."""
    from ..outbox import messages_cancel_for_lead

    lead.cadence_next_at = None
    lead.cadence_paused_at = None
    lead.cadence_stopped_reason = reason
    lead.save(
        update_fields=[
            "cadence_next_at",
            "cadence_paused_at",
            "cadence_stopped_reason",
            "updated_at",
        ]
    )
    CadenceEvent.objects.create(
        lead=lead,
        action=CadenceEvent.Action.STOPPED,
        reason=(note or reason)[:300],
        by=by,
        at=timezone.now(),
    )
    messages_cancel_for_lead(lead=lead, reason=f"cadence stopped: {reason}")


def cadence_may_manage(*, user: User, lead: Lead) -> bool:
    """The lead's consultant or a manager may pause, resume or stop its cadence (the caller
    has found the lead through the user's selector, so it is of their locations)."""
    return lead.assigned_to_id == user.pk or user.has_role(*MANAGER_ROLES)


def _locked_active(lead: Lead, by: User) -> Lead:
    if not cadence_may_manage(user=by, lead=lead):
        raise PermissionDenied(_("Only the lead's consultant or a manager may change its cadence."))
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.cadence_next_at is None:
        raise ValidationError(_("This lead has no cadence running."), code="no_cadence")
    return lead


def _reason(reason: str, message: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": message})
    return reason[:300]


@transaction.atomic
def cadence_pause(*, lead: Lead, by: User, reason: str) -> Lead:
    """Hold the lead's cadence: the job sends nothing for it until it is resumed, and its
    messages still waiting in the outbox are cancelled. Needs a reason; history row."""
    reason = _reason(reason, _("Say why the cadence is paused."))
    lead = _locked_active(lead, by)
    if lead.cadence_paused_at is not None:
        raise ValidationError(_("The cadence is already paused."), code="paused")
    from ..outbox import messages_cancel_for_lead

    now = timezone.now()
    lead.cadence_paused_at = now
    lead.save(update_fields=["cadence_paused_at", "updated_at"])
    CadenceEvent.objects.create(
        lead=lead, action=CadenceEvent.Action.PAUSED, reason=reason, by=by, at=now
    )
    messages_cancel_for_lead(lead=lead, reason="cadence paused")
    return lead


@transaction.atomic
def cadence_resume(*, lead: Lead, by: User, reason: str = "") -> Lead:
    """Go on where the cadence was: the next step and every later one move later by the time
    spent paused (nothing missed fires in a burst). History row, with the reason if given
    (the lead page asks for one)."""
    reason = " ".join(reason.split())[:300]
    lead = _locked_active(lead, by)
    if lead.cadence_paused_at is None:
        raise ValidationError(_("The cadence is not paused."), code="not_paused")
    now = timezone.now()
    paused_for = now - lead.cadence_paused_at
    lead.cadence_shift += paused_for
    lead.cadence_next_at += paused_for
    lead.cadence_paused_at = None
    lead.save(update_fields=["cadence_shift", "cadence_next_at", "cadence_paused_at", "updated_at"])
    CadenceEvent.objects.create(
        lead=lead, action=CadenceEvent.Action.RESUMED, reason=reason, by=by, at=now
    )
    return lead


@transaction.atomic
def cadence_stop_by_staff(*, lead: Lead, by: User, reason: str) -> Lead:
    """End the cadence for good (paused or running). Needs a reason; history row."""
    reason = _reason(reason, _("Say why the cadence is stopped."))
    lead = _locked_active(lead, by)
    cadence_stop(lead=lead, reason="stopped_by_staff", by=by, note=reason)
    return lead


def _perform(lead: Lead, step: CadenceStep) -> str:
    if step.action == CadenceStep.Action.CALL_TASK:
        from .work import task_create

        task_create(
            owner=lead.assigned_to,
            title=step.task_title or f"Call {lead.customer}",
            due_at=timezone.now(),
            customer=lead.customer,
            lead=lead,
            kind=Task.Kind.CALL,
            by=None,
            dedupe_key=f"lead:{lead.pk}:cadence:{step.pk}",
        )
        return "task_created"
    from ..outbox import cadence_message_enqueue

    return cadence_message_enqueue(lead=lead, step=step)


def cadence_run_lead(*, lead_id: int, now: datetime.datetime) -> str:
    """Do the lead's due step (or stop its sequence). Locks the lead; skips it when another
    worker holds it. Returns what happened."""
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer", "location", "assigned_to")
            .filter(pk=lead_id, cadence_next_at__lte=now, cadence_paused_at__isnull=True)
            .first()
        )
        if lead is None:
            return "skipped"
        reason = cadence_stop_reason(lead)
        if reason:
            cadence_stop(lead=lead, reason=reason)
            return f"stopped:{reason}"
        step = CadenceStep.objects.filter(
            lead_type=lead.type, position=lead.cadence_position, is_active=True
        ).first()
        outcome = "step_missing"
        if step is not None:
            run, created = CadenceRun.objects.get_or_create(
                lead=lead, step=step, defaults={"ran_at": now, "outcome": "running"}
            )
            if created:
                outcome = _perform(lead, step)
                run.outcome = outcome
                run.save(update_fields=["outcome"])
            else:
                outcome = "already_done"
        _schedule(lead, _next_step(lead.type, lead.cadence_position))
        lead.save(
            update_fields=[
                "cadence_position",
                "cadence_next_at",
                "cadence_stopped_reason",
                "updated_at",
            ]
        )
        return outcome


def cadence_run_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic job: every lead whose next step is due and not paused, in batches. Safe
    to run twice."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    ids = list(
        Lead.objects.filter(cadence_next_at__lte=now, cadence_paused_at__isnull=True)
        .order_by("cadence_next_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    for lead_id in ids:
        outcome = cadence_run_lead(lead_id=lead_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
