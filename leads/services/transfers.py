"""Consultants give leads up: back to the location's pool, or to a named colleague once a
manager of the location approves. Reassigning by hand is a manager's right (lead_assign)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.roles import MANAGER_ROLES, Role
from dealership.accounts.selectors import location_list_for_user
from dealership.accounts.services import audit_record

from ..models import Lead, LeadAssignment, TransferRequest
from .assignment import _record, lead_assign

REASON_MAX = 300


def lead_may_give_up(*, user: User, lead: Lead) -> bool:
    """Only the lead's own consultant hands it back or asks for a transfer."""
    return lead.assigned_to_id is not None and lead.assigned_to_id == user.pk


def transfer_may_decide(*, user: User, lead: Lead) -> bool:
    """A manager of the lead's location (administrators: of every location)."""
    if not user.has_role(*MANAGER_ROLES):
        return False
    return location_list_for_user(user=user).filter(pk=lead.location_id).exists()


def _reason(reason: str, missing: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": missing}, code="required")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}},
            code="max_length",
        )
    return reason


def _locked_lead(lead: Lead) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).select_related("location").get(pk=lead.pk)


def _refuse_pending(lead: Lead, by: User, reason: str, now) -> None:
    TransferRequest.objects.filter(lead=lead, state=TransferRequest.State.PENDING).update(
        state=TransferRequest.State.REFUSED, decided_by=by, decided_at=now, decision_reason=reason
    )


@transaction.atomic
def lead_hand_back(*, lead: Lead, by: User, reason: str) -> LeadAssignment:
    """The lead's consultant gives it back to the location's unassigned queue, saying why.
    Logged (an assignment to nobody, with the reason) and audited; a transfer the consultant
    had asked for is refused with it."""
    if not lead_may_give_up(user=by, lead=lead):
        raise PermissionDenied(_("Only the lead's consultant may hand it back."))
    reason = _reason(reason, _("Say why you hand the lead back."))
    lead = _locked_lead(lead)
    if lead.assigned_to_id != by.pk:
        raise PermissionDenied(_("Only the lead's consultant may hand it back."))
    _refuse_pending(lead, by, _("The lead was handed back to the pool."), timezone.now())
    entry = _record(lead, None, LeadAssignment.Reason.HANDED_BACK, by, reason)
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=lead,
        changes={"assigned_to": [by.pk, None], "handed_back": reason},
    )
    return entry


@transaction.atomic
def transfer_request_create(
    *, lead: Lead, by: User, to_user: User | None, reason: str
) -> TransferRequest:
    """The lead's consultant asks for it to go to `to_user`, a consultant of the lead's
    location. One pending request per lead (the database refuses a second)."""
    if not lead_may_give_up(user=by, lead=lead):
        raise PermissionDenied(_("Only the lead's consultant may ask for a transfer."))
    reason = _reason(reason, _("Say why the lead should go to your colleague."))
    if to_user is None:
        raise ValidationError({"to_user": _("Choose the colleague to hand the lead to.")})
    lead = _locked_lead(lead)
    if lead.assigned_to_id != by.pk:
        raise PermissionDenied(_("Only the lead's consultant may ask for a transfer."))
    if to_user.pk == by.pk:
        raise ValidationError({"to_user": _("Choose a colleague, not yourself.")})
    eligible = User.objects.filter(
        pk=to_user.pk,
        is_active=True,
        is_staff=True,
        groups__name=Role.CONSULTANT.value,
        locations=lead.location_id,
    ).exists()
    if not eligible:
        raise ValidationError(
            {
                "to_user": _("%(user)s is not a consultant at %(location)s.")
                % {"user": to_user.get_full_name() or to_user.username, "location": lead.location}
            }
        )
    pending = _("This lead already has a transfer request pending.")
    if TransferRequest.objects.filter(lead=lead, state=TransferRequest.State.PENDING).exists():
        raise ValidationError(pending, code="pending")
    try:
        with transaction.atomic():
            transfer = TransferRequest.objects.create(
                lead=lead,
                requested_by=by,
                to_user=to_user,
                reason=reason,
                requested_at=timezone.now(),
            )
    except IntegrityError:  # a request from another tab, committed a moment earlier
        raise ValidationError(pending, code="pending") from None
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        obj=transfer,
        changes={"lead": lead.pk, "to_user": to_user.pk, "reason": reason},
    )
    return transfer


def _locked_pending(transfer: TransferRequest, by: User) -> tuple[Lead, TransferRequest]:
    # The lead first, then the request: the order lead_hand_back and lead_assign lock in.
    lead = _locked_lead(transfer.lead)
    transfer = (
        TransferRequest.objects.select_for_update(of=("self",))
        .select_related("to_user", "requested_by")
        .get(pk=transfer.pk)
    )
    if not transfer_may_decide(user=by, lead=lead):
        raise PermissionDenied(_("Only a manager of the lead's location may decide transfers."))
    if transfer.state != TransferRequest.State.PENDING:
        raise ValidationError(
            _("This transfer request was already %(state)s.")
            % {"state": transfer.get_state_display().lower()},
            code="decided",
        )
    return lead, transfer


@transaction.atomic
def transfer_request_approve(*, transfer: TransferRequest, by: User) -> TransferRequest:
    """A manager of the lead's location approves: the lead goes to the colleague through
    lead_assign (logged as a transfer, with the consultant's reason; audited)."""
    lead, transfer = _locked_pending(transfer, by)
    if transfer.to_user is None:
        raise ValidationError(_("The colleague asked for no longer has an account."))
    lead_assign(
        lead=lead,
        to_user=transfer.to_user,
        by=by,
        reason=LeadAssignment.Reason.TRANSFER,
        note=transfer.reason,
    )
    transfer.state = TransferRequest.State.APPROVED
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=transfer,
        changes={"state": [TransferRequest.State.PENDING, TransferRequest.State.APPROVED]},
    )
    return transfer


@transaction.atomic
def transfer_request_refuse(*, transfer: TransferRequest, by: User, reason: str) -> TransferRequest:
    """A manager of the lead's location refuses, saying why; the lead stays where it is."""
    reason = _reason(reason, _("Say why you refuse the transfer."))
    _lead, transfer = _locked_pending(transfer, by)
    transfer.state = TransferRequest.State.REFUSED
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.decision_reason = reason
    transfer.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=transfer,
        changes={
            "state": [TransferRequest.State.PENDING, TransferRequest.State.REFUSED],
            "reason": reason,
        },
    )
    return transfer
