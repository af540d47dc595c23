"""Lead creation and the status pipeline."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, Location, User
from dealership.accounts.services import audit_diff, audit_record
from inventory.models import Vehicle

from ..business_hours import add_business_minutes, business_minutes_between
from ..models import (
    LEAD_EVENT_MOVES,
    LEAD_MACHINE,
    STAGE_TIMESTAMP,
    Customer,
    Lead,
    ResponseTarget,
)
from .assignment import lead_assign_automatically
from .cadence import PROGRESSED, cadence_start, cadence_stop
from .rescore import leads_rescore_soon

# Plain fields a caller may set on a new lead (vehicle of interest, trade-in, campaign, feed).
LEAD_DETAIL_FIELDS = frozenset(
    {
        "vin",
        "stock_number",
        "year",
        "make",
        "model",
        "trim",
        "vehicle_status",
        "price",
        "odometer_km",
        "tradein_year",
        "tradein_make",
        "tradein_model",
        "tradein_mileage_km",
        "tradein_condition",
        "tradein_vin",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "timeframe",
        "requested_at",
        "requested_at_text",
        "external_source",
        "external_id",
        "external_sequence",
        "adf_document",
        "needs_review",
        "review_notes",
    }
)

# The table of moves lives next to the model (leads.models.LEAD_MACHINE).
ALLOWED_TRANSITIONS = LEAD_MACHINE.moves
EVENT_TRANSITIONS = LEAD_EVENT_MOVES
CLOSED_STATUSES = (Lead.Status.WON, Lead.Status.LOST)


def vehicle_match(*, vin: str = "", stock_number: str = "") -> Vehicle | None:
    """The stock car an enquiry means: by VIN first, then by stock number."""
    if vin:
        found = Vehicle.objects.filter(vin=vin.strip().upper()).first()
        if found is not None:
            return found
    if stock_number:
        return Vehicle.objects.filter(stock_number=stock_number.strip().upper()).first()
    return None


def response_target_for(location: Location) -> tuple[int, int]:
    target = ResponseTarget.objects.filter(location=location).first()
    if target is None:
        return (
            ResponseTarget.DEFAULT_FIRST_RESPONSE_MINUTES,
            ResponseTarget.DEFAULT_REASSIGN_AFTER_MINUTES,
        )
    return target.first_response_minutes, target.reassign_after_minutes


def response_clock_due(
    *, location: Location, received_at: datetime.datetime
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """(first response due, offer to the next consultant at), in business hours."""
    first, reassign_after = response_target_for(location)
    return (
        add_business_minutes(location, received_at, first),
        add_business_minutes(location, received_at, first + reassign_after),
    )


@transaction.atomic
def lead_create(
    *,
    customer: Customer,
    source: str,
    type: str,
    location: Location,
    vehicle=None,
    message: str = "",
    received_at: datetime.datetime | None = None,
    assign: bool = True,
    **details,
) -> Lead:
    """Create a lead, start its response clock and cadence, and assign it (rules, then
    round-robin). `details` are plain fields from LEAD_DETAIL_FIELDS. Sends nothing itself:
    the caller decides on confirmations."""
    unknown = set(details) - LEAD_DETAIL_FIELDS
    if unknown:
        raise TypeError(f"unknown lead fields: {sorted(unknown)}")
    if vehicle is None:
        vehicle = vehicle_match(
            vin=details.get("vin", ""), stock_number=details.get("stock_number", "")
        )
    if vehicle is not None:
        details.update(
            vin=vehicle.vin,
            stock_number=vehicle.stock_number,
            year=vehicle.model_year,
            make=vehicle.make,
            model=vehicle.model,
            trim=vehicle.trim,
        )
    received_at = received_at or timezone.now()
    lead = Lead(
        customer=customer,
        vehicle=vehicle,
        source=source,
        type=type,
        location=location,
        message=message,
        created_at=received_at,
        **details,
    )
    lead.response_due_at, lead.reassign_due_at = response_clock_due(
        location=location, received_at=received_at
    )
    lead.full_clean()
    lead.save()
    cadence_start(lead=lead)
    if assign:
        lead_assign_automatically(lead=lead)
    # A new enquiry scores itself and the customer's other open leads ("another enquiry").
    leads_rescore_soon(customer_ids=[customer.pk])
    return lead


def lead_record_first_response(*, lead: Lead, at: datetime.datetime) -> bool:
    """Stop the response clock (once) and store its business minutes (for reports). The caller
    holds the lead's row lock."""
    if lead.first_response_at is not None:
        return False
    location = Location.objects.prefetch_related("opening_hours").get(pk=lead.location_id)
    lead.first_response_at = at
    lead.first_response_minutes = business_minutes_between(location, lead.created_at, at)
    lead.save(update_fields=["first_response_at", "first_response_minutes", "updated_at"])
    return True


def response_clock_stop(*, lead: Lead, at: datetime.datetime) -> list[str]:
    """A closed lead's response clock stops: a first-response target (or hand-on time) not
    yet reached is withdrawn, so nothing escalates, reassigns or counts as a breach later. A
    target already missed stays (the breach happened). The caller holds the row lock.
    Returns the fields changed."""
    if lead.first_response_at is not None:
        return []
    fields = []
    if lead.response_due_at is not None and lead.response_due_at > at:
        lead.response_due_at = None
        fields.append("response_due_at")
    if lead.reassign_due_at is not None and lead.reassign_due_at > at:
        lead.reassign_due_at = None
        fields.append("reassign_due_at")
    return fields


@transaction.atomic
def lead_transition(
    *,
    lead: Lead,
    to_status: str,
    by: User | None,
    lost_reason: str = "",
    reason: str = "",
    event: str = "",
    ref: str = "",
) -> Lead:
    """Move a lead along the pipeline: locks the row, refuses an illegal move with a clear
    error, records the stage time and a history row (who, when, from, to, why: `reason`, and
    the `event` and its `ref` when another app's event moved it); leaving "new" counts as
    first response. Closing (won, lost) stops the response clock and the cadence.
    Audited ("update" with the status and lost reason before and after; `by` None = system)."""
    lead = LEAD_MACHINE.lock(lead)
    moves = LEAD_MACHINE.allowed(lead.status) | (
        LEAD_EVENT_MOVES.get(lead.status, frozenset()) if event else frozenset()
    )
    from_reason = lead.lost_reason

    def check(lead: Lead) -> None:
        if to_status == Lead.Status.LOST and lost_reason not in Lead.LostReason:
            raise ValidationError({"lost_reason": _("Say why the lead was lost.")})

    def apply(lead: Lead, from_status: str) -> list[str]:
        lead.lost_reason = lost_reason if to_status == Lead.Status.LOST else ""
        fields = ["lost_reason", STAGE_TIMESTAMP[to_status]]
        setattr(lead, STAGE_TIMESTAMP[to_status], now)
        if from_status == Lead.Status.NEW and by is not None:
            lead_record_first_response(lead=lead, at=now)
        if to_status in CLOSED_STATUSES:
            fields += response_clock_stop(lead=lead, at=now)
        lead.full_clean()
        return fields

    now = timezone.now()
    lead, change = LEAD_MACHINE.transition(
        lead,
        to_status,
        by,
        locked=lead,
        moves=moves,
        check=check,
        apply=apply,
        at=now,
        event=event,
        ref=ref,
        reason=reason[:300],
    )
    from_status = change.from_status
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=lead,
        changes=audit_diff(
            {"status": from_status, "lost_reason": from_reason},
            {"status": lead.status, "lost_reason": lead.lost_reason},
        ),
    )
    if lead.cadence_next_at is not None and to_status in (
        *PROGRESSED,
        Lead.Status.WON,
        Lead.Status.LOST,
    ):
        cadence_stop(lead=lead, reason="progressed" if to_status in PROGRESSED else to_status)
    leads_rescore_soon(lead_ids=[lead.pk])
    return lead
