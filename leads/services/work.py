"""Activities (calls, notes, emails, SMS, meetings) and tasks."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import User

from ..models import Activity, Customer, Lead, Task
from .leads import lead_record_first_response, lead_transition
from .rescore import leads_rescore_soon

# Outbound contact that counts as the first response to a lead.
RESPONSE_KINDS = (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.SMS, Activity.Kind.MEETING)


@transaction.atomic
def activity_log(
    *,
    customer: Customer,
    kind: str,
    by: User | None,
    lead: Lead | None = None,
    direction: str = Activity.Direction.OUTBOUND,
    outcome: str = "",
    body: str = "",
    occurred_at: datetime.datetime | None = None,
) -> Activity:
    """Log a contact or note. An outbound contact on a lead stops its response clock; a call
    that reached the customer, or any outbound email, SMS or meeting, moves a new lead to
    "contacted". An inbound contact (the customer replied) stops the lead's cadence at its
    next poll."""
    if lead is not None and lead.customer_id != customer.pk:
        raise ValidationError(_("The lead belongs to another customer."))
    if kind == Activity.Kind.CALL and not outcome:
        raise ValidationError({"outcome": _("Record the outcome of the call.")})
    if kind != Activity.Kind.CALL and outcome:
        raise ValidationError({"outcome": _("Only calls have an outcome.")})
    activity = Activity(
        customer=customer,
        lead=lead,
        kind=kind,
        direction=direction,
        outcome=outcome,
        body=body,
        user=by,
        occurred_at=occurred_at or timezone.now(),
    )
    activity.full_clean()
    activity.save()
    if kind != Activity.Kind.NOTE:
        # A reply (inbound) or a contact (outbound) changes the score's engagement and decay.
        leads_rescore_soon(lead_ids=[lead.pk] if lead else (), customer_ids=[customer.pk])
    if lead is not None and direction == Activity.Direction.OUTBOUND and kind in RESPONSE_KINDS:
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        lead_record_first_response(lead=locked, at=activity.occurred_at)
        reached = kind != Activity.Kind.CALL or outcome in (
            Activity.Outcome.REACHED,
            Activity.Outcome.CALL_BACK,
        )
        if locked.status == Lead.Status.NEW and reached:
            lead_transition(lead=locked, to_status=Lead.Status.CONTACTED, by=by)
    return activity


def task_create(
    *,
    owner: User | None,
    title: str,
    due_at: datetime.datetime,
    by: User | None,
    customer: Customer | None = None,
    lead: Lead | None = None,
    kind: str = Task.Kind.FOLLOW_UP,
    dedupe_key: str | None = None,
) -> Task:
    """Create a task; with a dedupe_key a second call returns the first task (idempotent)."""
    if lead is not None and customer is None:
        customer = lead.customer
    task = Task(
        owner=owner,
        title=title[:200],
        due_at=due_at,
        customer=customer,
        lead=lead,
        kind=kind,
        created_by=by,
        dedupe_key=dedupe_key,
    )
    task.full_clean(validate_unique=False)
    if dedupe_key is None:
        task.save()
        return task
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        return Task.objects.get(dedupe_key=dedupe_key)
    return task


@transaction.atomic
def task_complete(*, task: Task, by: User) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.completed_at is None:
        task.completed_at = timezone.now()
        task.save(update_fields=["completed_at"])
    return task
