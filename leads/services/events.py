"""What test drives and orders do to a lead: one table (lead_event_decide), one entry point
(lead_event) that moves the lead through lead_transition or records why it stays.

The apps above leads (testdrives, orders) call lead_event explicitly after their own state
change, in their transaction. The mapping:

    test drive booked     → Appointment (from New, Contacted, Qualified)
    test drive completed  → Negotiation (the demo is done; the customer is still in), or
                            Lost with the reason when the customer is not interested
    no-show               → back to the working state before the appointment (at least
                            Contacted); testdrives adds a call task
    cancelled, customer
      bought elsewhere /  → Lost with that reason (from any open status)
      not interested
    cancelled, other      → back to the working state before the appointment
    order placed          → Won
    order cancelled       → Negotiation (a won lead reopens; the consultant works the deal)
    order delivered       → Won (normally already won: recorded, not moved)

No-show and cancellations move only a lead in Appointment without another drive ahead; a
closed lead (won, lost) stays closed except that a cancelled order reopens its won lead.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User

from ..models import LEAD_MACHINE, OPEN_STATUSES, Customer, Lead, LeadEvent, LeadStatusChange
from .leads import CLOSED_STATUSES, lead_transition
from .rescore import leads_rescore_soon

S = Lead.Status
RANK = {status: rank for rank, status in enumerate(OPEN_STATUSES)}
# States a lead goes back to when its appointment falls through. Never New: the customer was
# in touch (they booked), and the pipeline does not move back to New.
WORKING_STATES = (S.CONTACTED, S.QUALIFIED, S.NEGOTIATION)
TESTDRIVE_EVENTS = (
    LeadEvent.TESTDRIVE_BOOKED,
    LeadEvent.TESTDRIVE_COMPLETED,
    LeadEvent.TESTDRIVE_NO_SHOW,
    LeadEvent.TESTDRIVE_CANCELLED,
)
# The lost reasons an event may close a lead with (the customer is gone).
EVENT_LOST_REASONS = (Lead.LostReason.BOUGHT_ELSEWHERE, Lead.LostReason.NOT_INTERESTED)


@dataclass(frozen=True)
class Decision:
    to_status: str | None  # None: the lead stays where it is
    why_not: str = ""


def _label(status: str) -> str:
    return str(S(status).label)


def lead_event_decide(
    *,
    event: str,
    status: str,
    lost_reason: str = "",
    previous: str | None = None,
    still_active: bool = False,
) -> Decision:
    """The pure mapping: where a lead in `status` goes on `event`. `previous` is the status it
    had before its latest move to Appointment; `still_active` says another drive (or order)
    of the lead is still ahead (or live)."""
    if event == LeadEvent.ORDER_CANCELLED and status == S.WON:
        if still_active:
            return Decision(None, _("another order of the customer is still live"))
        return Decision(S.NEGOTIATION)
    if event == LeadEvent.ORDER_DELIVERED and status == S.WON:
        return Decision(None, _("the lead is already won"))
    if status in CLOSED_STATUSES:
        return Decision(None, _("the lead is closed (%(status)s)") % {"status": _label(status)})
    if lost_reason:
        return Decision(S.LOST)
    rank = RANK[status]
    if event == LeadEvent.TESTDRIVE_BOOKED:
        if rank < RANK[S.APPOINTMENT]:
            return Decision(S.APPOINTMENT)
        return Decision(None, _further(status, S.APPOINTMENT))
    if event == LeadEvent.TESTDRIVE_COMPLETED:
        if rank < RANK[S.NEGOTIATION]:
            return Decision(S.NEGOTIATION)
        return Decision(None, _further(status, S.NEGOTIATION))
    if event in (LeadEvent.TESTDRIVE_NO_SHOW, LeadEvent.TESTDRIVE_CANCELLED):
        if status != S.APPOINTMENT:
            return Decision(
                None,
                _("the lead is not in Appointment (%(status)s)") % {"status": _label(status)},
            )
        if still_active:
            return Decision(None, _("another test drive is still booked"))
        return Decision(previous if previous in WORKING_STATES else S.CONTACTED)
    if event in (LeadEvent.ORDER_PLACED, LeadEvent.ORDER_DELIVERED):
        return Decision(S.WON)
    if event == LeadEvent.ORDER_CANCELLED:
        return Decision(
            None, _("the lead was not won by the order (%(status)s)") % {"status": _label(status)}
        )
    raise ValueError(f"unknown lead event: {event}")


def _further(status: str, target: str) -> str:
    if status == target:
        return _("the lead is already in %(status)s") % {"status": _label(status)}
    return _("the lead is already further on (%(status)s)") % {"status": _label(status)}


def _previous_working_state(lead: Lead) -> str | None:
    return (
        LeadStatusChange.objects.filter(lead=lead, to_status=S.APPOINTMENT)
        .exclude(from_status=S.APPOINTMENT)
        .order_by("-changed_at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )


@transaction.atomic
def lead_event(
    *,
    lead: Lead,
    event: str,
    by: User | None,
    ref: str = "",
    lost_reason: str = "",
    detail: str = "",
    still_active: bool = False,
) -> LeadStatusChange:
    """Apply another app's event to the lead: locks it, decides with lead_event_decide, moves
    it through lead_transition (history with the event, its ref and a reason; closing stops
    the response clock and the cadence) or, when it stays, writes a history row from and to
    its status saying why. The same event with the same ref again is a no-op (returns the
    first row). `detail` (a reference, an outcome) goes into the reason."""
    if event not in LeadEvent.values:
        raise ValueError(f"unknown lead event: {event}")
    if lost_reason and lost_reason not in EVENT_LOST_REASONS:
        raise ValueError(f"not a lost reason for an event: {lost_reason}")
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    # A test drive booked, done or missed, an order placed: the score looks at them.
    leads_rescore_soon(lead_ids=[locked.pk])
    if ref:
        done = LeadStatusChange.objects.filter(lead=locked, event=event, ref=ref).first()
        if done is not None:
            return done
    previous = None
    if event in (LeadEvent.TESTDRIVE_NO_SHOW, LeadEvent.TESTDRIVE_CANCELLED):
        previous = _previous_working_state(locked)
    decision = lead_event_decide(
        event=event,
        status=locked.status,
        lost_reason=lost_reason,
        previous=previous,
        still_active=still_active,
    )
    label = str(LeadEvent(event).label)
    if lost_reason:
        detail = ", ".join(p for p in (detail, str(Lead.LostReason(lost_reason).label)) if p)
    reason = f"{label}: {detail}" if detail else label
    if decision.to_status is not None:
        lead_transition(
            lead=locked,
            to_status=decision.to_status,
            by=by,
            lost_reason=lost_reason if decision.to_status == S.LOST else "",
            reason=reason,
            event=event,
            ref=ref,
        )
        return LeadStatusChange.objects.filter(lead=locked).order_by("-id").first()
    return LEAD_MACHINE.record(
        locked,
        locked.status,
        by=by,
        event=event,
        ref=ref,
        reason=(_("%(reason)s. Not moved: %(why)s.") % {"reason": reason, "why": decision.why_not})[
            :300
        ],
    )


def lead_for_sale(
    *, customer: Customer, location: Location, vin: str, stock_number: str, ref: str
) -> Lead | None:
    """The lead an order's event is about: the lead its earlier event moved (found by `ref`),
    else the customer's open lead at the location about this car, else their latest open
    lead there. None: the customer has no such lead (nothing to move)."""
    earlier = (
        LeadStatusChange.objects.filter(ref=ref, lead__customer=customer)
        .order_by("-changed_at", "-id")
        .values_list("lead_id", flat=True)
        .first()
    )
    if earlier is not None:
        return Lead.objects.get(pk=earlier)
    open_leads = Lead.objects.filter(customer=customer, location=location, status__in=OPEN_STATUSES)
    car = Q(vin=vin) if vin else Q(pk__in=[])
    if stock_number:
        car |= Q(stock_number=stock_number)
    return (
        open_leads.filter(car).order_by("-created_at", "-id").first()
        or open_leads.order_by("-created_at", "-id").first()
    )
