"""Who gets a lead: assignment rules first, then round-robin among consultants on duty."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, Location, User
from dealership.accounts.roles import Role
from dealership.accounts.services import audit_record

from ..models import (
    AssignmentRotation,
    AssignmentRule,
    ConsultantAvailability,
    Lead,
    LeadAssignment,
)


def consultants_on_duty(*, location: Location) -> QuerySet[User]:
    """Active consultants of the location who have not marked themselves unavailable."""
    unavailable = ConsultantAvailability.objects.filter(user=OuterRef("pk"), is_available=False)
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name=Role.CONSULTANT.value,
            locations=location,
        )
        .exclude(Exists(unavailable))
        .order_by("pk")
        .distinct()
    )


def _rule_assignee(lead: Lead) -> User | None:
    rules = (
        AssignmentRule.objects.filter(is_active=True)
        .filter(Q(location__isnull=True) | Q(location=lead.location_id))
        .filter(Q(source="") | Q(source=lead.source))
        .filter(Q(type="") | Q(type=lead.type))
        .select_related("assign_to")
    )
    on_duty = set(consultants_on_duty(location=lead.location).values_list("pk", flat=True))
    for rule in rules:
        if rule.assign_to_id in on_duty:
            return rule.assign_to
    return None


def _next_in_rotation(location: Location, exclude: set[int]) -> User | None:
    """Take the location's turn: the rotation row is locked until the transaction ends, so
    concurrent leads queue up and each consultant gets the next lead in turn."""
    AssignmentRotation.objects.bulk_create(
        [AssignmentRotation(location=location)], ignore_conflicts=True
    )
    rotation = AssignmentRotation.objects.select_for_update().get(location=location)
    candidates = [u for u in consultants_on_duty(location=location) if u.pk not in exclude]
    if not candidates:
        return None
    last = rotation.last_assigned_id or 0
    chosen = next((u for u in candidates if u.pk > last), candidates[0])
    rotation.last_assigned = chosen
    rotation.save(update_fields=["last_assigned"])
    return chosen


def _record(
    lead: Lead, to_user: User | None, reason: str, by: User | None, note: str = ""
) -> LeadAssignment:
    entry = LeadAssignment.objects.create(
        lead=lead,
        from_user_id=lead.assigned_to_id,
        to_user=to_user,
        reason=reason,
        assigned_by=by,
        assigned_at=timezone.now(),
        note=note,
    )
    lead.assigned_to = to_user
    lead.save(update_fields=["assigned_to", "updated_at"])
    return entry


@transaction.atomic
def lead_assign_automatically(
    *, lead: Lead, exclude: set[int] | None = None, reason: str | None = None
) -> User | None:
    """Assign by the first matching rule, else the next consultant on duty in rotation.

    Safe under concurrency (the location's rotation row is locked). Returns the consultant,
    or None when nobody is on duty (the lead stays unassigned for the manager to hand out).
    """
    exclude = exclude or set()
    user = None if exclude else _rule_assignee(lead)
    chosen_reason = LeadAssignment.Reason.RULE
    if user is None:
        user = _next_in_rotation(lead.location, exclude)
        chosen_reason = LeadAssignment.Reason.ROUND_ROBIN
    if user is not None:
        _record(lead, user, reason or chosen_reason, None)
    return user


@transaction.atomic
def lead_assign(
    *,
    lead: Lead,
    to_user: User,
    by: User,
    reason: str = LeadAssignment.Reason.MANUAL,
    note: str = "",
) -> LeadAssignment:
    """Hand a lead to a consultant of its location by hand; the change is logged and audited
    ("update", `assigned_to` as user ids before and after, actor `by`). Only managers
    reassign (the views check the role; an approved transfer request comes here too)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    eligible = User.objects.filter(
        pk=to_user.pk, is_active=True, is_staff=True, locations=lead.location_id
    ).exists()
    if not eligible:
        raise ValidationError(
            _("%(user)s does not work at %(location)s.")
            % {"user": to_user.get_full_name() or to_user.username, "location": lead.location}
        )
    from_user_id = lead.assigned_to_id
    entry = _record(lead, to_user, reason, by, note)
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=lead,
        changes={"assigned_to": [from_user_id, to_user.pk]},
    )
    return entry


@transaction.atomic
def leads_bulk_assign(*, leads: QuerySet[Lead], to_user: User, by: User) -> int:
    """Reassign many leads (a manager's bulk action); returns how many moved. One audit
    event per lead that moved."""
    count = 0
    for lead in leads.order_by("pk").select_related("location"):
        if lead.assigned_to_id != to_user.pk:
            lead_assign(lead=lead, to_user=to_user, by=by)
            count += 1
    return count


@transaction.atomic
def consultant_set_availability(*, user: User, is_available: bool) -> ConsultantAvailability:
    row, _created = ConsultantAvailability.objects.update_or_create(
        user=user, defaults={"is_available": is_available}
    )
    return row
