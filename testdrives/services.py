"""Testdrives' writes. Every booking write owns its transaction; the exclusion constraints in
PostgreSQL are the truth about overlaps, Python checks only find friendly alternatives."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import User
from inventory.models import Vehicle
from inventory.selectors import vehicle_similar
from leads.models import OPEN_STATUSES as LEAD_OPEN_STATUSES
from leads.models import Activity, Customer, Lead, LeadEvent, Task
from leads.outbox import consent_record_for_enquiry
from leads.services import (
    activity_log,
    consultants_on_duty,
    customer_get_or_create_from_contact,
    lead_assign,
    lead_create,
    lead_event,
    task_create,
)

from . import outbox
from .models import (
    ACTIVE_STATUSES,
    BOOKING_MACHINE,
    OPEN_STATUSES,
    Booking,
)
from .selectors import testdrive_settings_for, vehicle_availability
from .slots import Slot, nearest

logger = logging.getLogger(__name__)

VEHICLE_OVERLAP = "booking_vehicle_no_overlap"
CONSULTANT_OVERLAP = "booking_consultant_no_overlap"
UNAVAILABLE_VEHICLE_STATUSES = (Vehicle.Status.SOLD, Vehicle.Status.ARCHIVED)


class SlotTaken(Exception):
    """The slot is no longer free. `alternatives` are the nearest free slots."""

    def __init__(self, alternatives: list[Slot]):
        super().__init__(_("That slot was just taken. Here are the nearest free ones."))
        self.alternatives = alternatives

    @property
    def message(self) -> str:
        return str(self.args[0])


def _violated(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _slot_taken(vehicle: Vehicle, start: datetime.datetime, ignore=None) -> SlotTaken:
    # Runs after a failed savepoint; the caller's transaction is still usable.
    free = vehicle_availability(vehicle=vehicle, ignore_booking=ignore).slot_list
    return SlotTaken(nearest(free, start))


def _record(booking: Booking, from_status: str, by: User | None, note: str = "") -> None:
    BOOKING_MACHINE.record(booking, from_status, by=by, note=note)


def _lead_ref(booking: Booking) -> str:
    return f"booking:{booking.pk}"


def _other_drive_ahead(booking: Booking) -> bool:
    """Another drive of the same lead still to come (or under way)."""
    return (
        Booking.objects.filter(
            lead_id=booking.lead_id,
            kind=Booking.Kind.DRIVE,
            status__in=(*OPEN_STATUSES, Booking.Status.CHECKED_IN),
        )
        .exclude(pk=booking.pk)
        .exists()
    )


def _local_label(booking: Booking) -> str:
    # The zone's abbreviation with its name: 10:00 on a DST switch day is CET or CEST.
    local = booking.local_start
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({booking.location.time_zone})"


def _insert(booking: Booking, consultant_ids: list[int | None]) -> Booking:
    """Insert with the first consultant the database accepts. Raises SlotTaken when the vehicle
    is taken or every consultant is."""
    for consultant_id in consultant_ids:
        booking.consultant_id = consultant_id
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as exc:
            booking.pk = None
            name = _violated(exc)
            if name == CONSULTANT_OVERLAP:
                continue
            if name == VEHICLE_OVERLAP:
                raise _slot_taken(booking.vehicle, booking.start_at) from None
            raise
        return booking
    raise _slot_taken(booking.vehicle, booking.start_at)


def _lead_for_booking(*, customer: Customer, vehicle: Vehicle, source: str, message: str) -> Lead:
    """The customer's open lead about this car, or a new test-drive request."""
    lead = (
        Lead.objects.filter(
            customer=customer,
            location=vehicle.selling_location,
            status__in=LEAD_OPEN_STATUSES,
            stock_number=vehicle.stock_number,
        )
        .order_by("-created_at")
        .first()
    )
    if lead is None:
        lead = lead_create(
            customer=customer,
            source=source,
            type=Lead.Type.TEST_DRIVE,
            location=vehicle.selling_location,
            message=message,
            assign=False,
            vin=vehicle.vin,
            stock_number=vehicle.stock_number,
            year=vehicle.model_year,
            make=vehicle.make,
            model=vehicle.model,
            trim=vehicle.trim,
            price=vehicle.price,
        )
    return lead


def _attach_to_lead(booking: Booking, *, by: User | None) -> None:
    lead = booking.lead
    if booking.consultant is not None and lead.assigned_to_id is None:
        lead_assign(lead=lead, to_user=booking.consultant, by=by)
    lead_event(
        lead=lead,
        event=LeadEvent.TESTDRIVE_BOOKED,
        by=by,
        ref=_lead_ref(booking),
        detail=_local_label(booking),
    )
    activity_log(
        customer=booking.customer,
        lead=lead,
        kind=Activity.Kind.NOTE,
        by=by,
        body=_("Test drive booked: %(vehicle)s on %(when)s%(with)s.")
        % {
            "vehicle": booking.vehicle,
            "when": _local_label(booking),
            "with": _(" with %(name)s") % {"name": booking.consultant.get_full_name()}
            if booking.consultant
            else "",
        },
    )


@transaction.atomic
def booking_create_from_web(
    *,
    vehicle: Vehicle,
    start: datetime.datetime,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    licence_confirmed: bool,
    message: str = "",
    marketing_consent: bool = False,
    consent_wording: str = "",
    language: str = "",
) -> Booking:
    """Book one of the vehicle's offered slots for a customer from the website: finds or
    creates the customer and the test-drive lead, books with a free consultant, records the
    consent answer and queues the confirmation (email with .ics, SMS) and reminders on commit.

    Raises SlotTaken (nothing saved) when the slot is not free, including when another booking
    took it a moment ago; ValidationError for unusable contact details."""
    if not licence_confirmed:
        raise ValidationError(
            {"licence_confirmed": _("Please confirm that you hold a valid driving licence.")}
        )
    availability = vehicle_availability(vehicle=vehicle)
    offered = availability.slot_at(start)
    if offered is None:
        raise SlotTaken(nearest(availability.slot_list, start))
    slot, consultant_ids = offered
    customer, _created = customer_get_or_create_from_contact(
        location=vehicle.selling_location,
        source=Customer.Source.WEBSITE,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=language,
    )
    lead = _lead_for_booking(
        customer=customer, vehicle=vehicle, source=Lead.Source.WEBSITE, message=message
    )
    booking = Booking(
        location=vehicle.selling_location,
        vehicle=vehicle,
        customer=customer,
        lead=lead,
        start_at=slot.start,
        end_at=slot.end,
        busy_until=slot.busy_until,
        status=Booking.Status.CONFIRMED,
        channel=Booking.Channel.WEBSITE,
        message=message[:5000],
        licence_confirmed=True,
    )
    booking.full_clean(exclude=["consultant"])
    _insert(booking, consultant_ids)
    _record(booking, "", None, _("Booked on the website"))
    _attach_to_lead(booking, by=None)
    consent_record_for_enquiry(
        customer=customer,
        granted=marketing_consent,
        wording=consent_wording,
        location=vehicle.selling_location,
    )
    outbox.booking_confirmation_enqueue(booking=booking)
    return booking


def _consultant_candidates(vehicle: Vehicle, slot: Slot, consultant: User | None) -> list:
    """The given consultant, else those on duty with nothing else then; [None] for nobody."""
    if consultant is not None:
        return [consultant.pk]
    on_duty = consultants_on_duty(location=vehicle.selling_location)
    busy = Booking.objects.filter(
        status__in=ACTIVE_STATUSES, start_at__lt=slot.busy_until, busy_until__gt=slot.start
    ).values("consultant_id")
    return list(on_duty.exclude(pk__in=busy).values_list("pk", flat=True)) or [None]


def _check_arrival(vehicle: Vehicle, start: datetime.datetime) -> None:
    """A car in transit to this location is driven from the day it is due to arrive on."""
    eta = vehicle.transit_eta
    if eta is not None and vehicle.selling_location.localtime(start).date() < eta:
        raise ValidationError(
            {
                "start": _("This car arrives on %(date)s: book a drive from that day on.")
                % {"date": formats.date_format(eta, "SHORT_DATE_FORMAT")}
            }
        )


def _staff_slot(vehicle: Vehicle, start: datetime.datetime) -> Slot:
    """A drive of the location's length at any start inside opening hours (staff may book off
    the web grid, e.g. 10:10 on the phone)."""
    _check_arrival(vehicle, start)
    location = vehicle.selling_location
    config = testdrive_settings_for(location)
    slot = Slot(
        start=start, end=start + config.slot, busy_until=start + config.slot + config.buffer
    )
    if not location.is_open_at(start) or not location.is_open_at(
        slot.end - datetime.timedelta(seconds=1)
    ):
        raise ValidationError(
            {"start": _("The drive must start and end within the location's opening hours.")}
        )
    return slot


@transaction.atomic
def booking_create_by_staff(
    *,
    vehicle: Vehicle,
    start: datetime.datetime,
    by: User,
    customer: Customer | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    consultant: User | None = None,
    message: str = "",
    licence_confirmed: bool = False,
) -> Booking:
    """A booking taken on the phone: confirmed when it has a consultant (the given one, else a
    free one on duty), requested otherwise. For the existing `customer` given, else for the
    customer the contact details match (created only when none does, audited as entered by
    `by`). Same lead handling and messages as the website. Raises SlotTaken or
    ValidationError with nothing saved."""
    if start <= timezone.now():
        raise ValidationError({"start": _("Choose a time in the future.")})
    if (
        consultant is not None
        and not consultant.locations.filter(pk=vehicle.selling_location_id).exists()
    ):
        raise ValidationError({"consultant": _("This consultant does not work at the location.")})
    slot = _staff_slot(vehicle, start)
    if customer is not None:
        if customer.merged_into_id is not None:
            raise ValidationError(
                {"customer": _("This customer was merged into another. Search again.")}
            )
    else:
        customer, _created = customer_get_or_create_from_contact(
            location=vehicle.selling_location,
            source=Customer.Source.PHONE,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            actor=by,
        )
    lead = _lead_for_booking(
        customer=customer, vehicle=vehicle, source=Lead.Source.PHONE, message=message
    )
    candidates = _consultant_candidates(vehicle, slot, consultant)
    booking = Booking(
        location=vehicle.selling_location,
        vehicle=vehicle,
        customer=customer,
        lead=lead,
        start_at=slot.start,
        end_at=slot.end,
        busy_until=slot.busy_until,
        status=Booking.Status.CONFIRMED,
        channel=Booking.Channel.PHONE,
        message=message[:5000],
        licence_confirmed=licence_confirmed,
        created_by=by,
    )
    booking.full_clean(exclude=["consultant"])
    _check_free(booking)
    _insert(booking, candidates)
    if booking.consultant_id is None:
        booking.status = Booking.Status.REQUESTED
        booking.save(update_fields=["status", "updated_at"])
    _record(booking, "", by, _("Booked by phone"))
    _attach_to_lead(booking, by=by)
    if booking.status == Booking.Status.CONFIRMED:
        outbox.booking_confirmation_enqueue(booking=booking)
    return booking


def _check_free(booking: Booking) -> None:
    """The friendly Python check: refuse an overlap before the database's exclusion
    constraints have to."""
    overlapping = Booking.objects.filter(
        vehicle=booking.vehicle_id,
        status__in=ACTIVE_STATUSES,
        start_at__lt=booking.busy_until,
        busy_until__gt=booking.start_at,
    )
    if booking.pk:
        overlapping = overlapping.exclude(pk=booking.pk)
    if overlapping.exists():
        raise _slot_taken(booking.vehicle, booking.start_at, ignore=booking if booking.pk else None)


@transaction.atomic
def booking_reschedule(
    *, booking: Booking, start: datetime.datetime, by: User | None = None
) -> Booking:
    """Move a requested, confirmed or missed (no-show) drive to another free slot of its
    vehicle: the same booking, its version bumped; the old time's pending confirmation and
    reminders are cancelled and the new ones queued. Customers (by=None) may only pick offered
    slots. Raises SlotTaken / ValidationError with nothing changed."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("location", "vehicle__location", "customer", "consultant", "lead")
        .get(pk=booking.pk)
    )
    movable = (*OPEN_STATUSES, Booking.Status.NO_SHOW)
    if booking.kind != Booking.Kind.DRIVE or booking.status not in movable:
        raise ValidationError(
            _("A %(status)s test drive cannot be moved.")
            % {"status": booking.get_status_display().lower()},
            code="not_movable",
        )
    if booking.vehicle.status in (*UNAVAILABLE_VEHICLE_STATUSES, Vehicle.Status.DRAFT):
        raise ValidationError(
            _("This car is no longer available. Please call us to choose another one."),
            code="vehicle_gone",
        )
    availability = vehicle_availability(vehicle=booking.vehicle, ignore_booking=booking)
    offered = availability.slot_at(start)
    if offered is None:
        if by is None:
            raise SlotTaken(nearest(availability.slot_list, start))
        slot = _staff_slot(booking.vehicle, start)
        candidates = [booking.consultant_id]
    else:
        slot, free = offered
        keep = booking.consultant_id in free
        candidates = [booking.consultant_id] if keep else free
    old_version, old_status, old_label = booking.version, booking.status, _local_label(booking)
    booking.start_at, booking.end_at, booking.busy_until = slot.start, slot.end, slot.busy_until
    booking.version += 1
    if booking.status == Booking.Status.NO_SHOW:
        booking.status = Booking.Status.CONFIRMED
    for consultant_id in candidates:
        booking.consultant_id = consultant_id
        try:
            with transaction.atomic():
                booking.save(
                    update_fields=[
                        "start_at",
                        "end_at",
                        "busy_until",
                        "version",
                        "status",
                        "consultant",
                        "updated_at",
                    ]
                )
            break
        except IntegrityError as exc:
            if _violated(exc) != CONSULTANT_OVERLAP:
                if _violated(exc) == VEHICLE_OVERLAP:
                    raise SlotTaken(nearest(availability.slot_list, start)) from None
                raise
    else:
        raise SlotTaken(nearest(availability.slot_list, start))
    booking.consultant = User.objects.filter(pk=booking.consultant_id).first()
    note = _("Moved from %(old)s to %(new)s") % {"old": old_label, "new": _local_label(booking)}
    _record(booking, old_status, by, note)
    if booking.lead_id and booking.customer_id:
        activity_log(
            customer=booking.customer,
            lead=booking.lead,
            kind=Activity.Kind.NOTE,
            by=by,
            body=_("Test drive moved: %(note)s.") % {"note": note},
        )
    outbox.booking_version_messages_cancel(
        booking=booking, version=old_version, reason="booking rescheduled"
    )
    outbox.booking_confirmation_enqueue(booking=booking)
    return booking


def _lock(booking: Booking) -> Booking:
    return BOOKING_MACHINE.lock(booking)


@transaction.atomic
def _check_in_day(booking: Booking) -> None:
    """Check-in is for the customer standing in the showroom: on the booking's local day only."""
    location = booking.location
    day = location.localtime(booking.start_at).date()
    if location.localtime().date() != day:
        raise ValidationError(
            _("A test drive can be checked in only on its day (%(day)s).")
            % {"day": formats.date_format(day, "SHORT_DATE_FORMAT")},
            code="check_in_day",
        )


def booking_transition(
    *,
    booking: Booking,
    to_status: str,
    by: User | None,
    reason: str = "",
    cancelled_by: str = "",
    lost_reason: str = "",
) -> Booking:
    """Move a booking along its statuses: locks the row, refuses an illegal move with a clear
    error, writes a history row. Cancelling needs a reason and tells the customer; a no-show
    sends the customer a reschedule offer and gives the consultant a call task. Both move the
    lead (leads.services.events): a cancellation with a `lost_reason` (bought elsewhere, not
    interested) loses it. Completing goes through booking_complete."""
    if lost_reason and lost_reason not in (
        Lead.LostReason.BOUGHT_ELSEWHERE,
        Lead.LostReason.NOT_INTERESTED,
    ):
        raise ValidationError({"lost_reason": _("Choose why the customer is no longer buying.")})
    if lost_reason and to_status != Booking.Status.CANCELLED:
        raise ValidationError({"lost_reason": _("Only a cancellation loses the lead.")})

    def check(booking: Booking) -> None:
        if to_status == Booking.Status.CANCELLED:
            if not reason.strip():
                raise ValidationError({"reason": _("Say why the test drive is cancelled.")})
            if booking.kind == Booking.Kind.DRIVE and cancelled_by not in Booking.CancelledBy:
                raise ValidationError({"cancelled_by": _("Say who cancelled.")})
        if to_status == Booking.Status.CHECKED_IN:
            _check_in_day(booking)
        if to_status == Booking.Status.CONFIRMED and booking.consultant_id is None:
            raise ValidationError({"consultant": _("Assign a consultant before confirming.")})

    def apply(booking: Booking, from_status: str) -> list[str]:
        if to_status != Booking.Status.CANCELLED:
            return []
        booking.reason = reason.strip()[:200]
        booking.cancelled_by = cancelled_by
        return ["reason", "cancelled_by"]

    booking, _change = BOOKING_MACHINE.transition(
        booking, to_status, by, reason, check=check, apply=apply
    )
    if booking.kind != Booking.Kind.DRIVE:
        return booking
    if to_status == Booking.Status.CANCELLED:
        outbox.booking_cancellation_enqueue(booking=booking)
        _note(booking, by, _("Test drive cancelled: %(reason)s") % {"reason": booking.reason})
        if booking.lead_id:
            lead_event(
                lead=booking.lead,
                event=LeadEvent.TESTDRIVE_CANCELLED,
                by=by,
                ref=_lead_ref(booking),
                lost_reason=lost_reason,
                detail=_local_label(booking),
                still_active=_other_drive_ahead(booking),
            )
    elif to_status == Booking.Status.NO_SHOW:
        outbox.booking_no_show_enqueue(booking=booking)
        _note(booking, by, _("Customer did not come to the test drive; offered another time."))
        if booking.lead_id:
            lead_event(
                lead=booking.lead,
                event=LeadEvent.TESTDRIVE_NO_SHOW,
                by=by,
                ref=_lead_ref(booking),
                detail=_local_label(booking),
                still_active=_other_drive_ahead(booking),
            )
            task_create(
                owner=booking.consultant or booking.lead.assigned_to,
                title=_("Call %(customer)s: missed the test drive of %(vehicle)s")
                % {"customer": booking.customer, "vehicle": booking.vehicle.title},
                due_at=timezone.now(),
                by=by,
                lead=booking.lead,
                kind=Task.Kind.CALL,
                dedupe_key=f"testdrive:{booking.pk}:no_show",
            )
    elif to_status == Booking.Status.CONFIRMED:
        outbox.booking_confirmation_enqueue(booking=booking)
    return booking


def _note(booking: Booking, by: User | None, body: str) -> None:
    if booking.customer_id:
        activity_log(
            customer=booking.customer,
            lead=booking.lead,
            kind=Activity.Kind.NOTE,
            by=by,
            body=body,
        )


def booking_cancel_by_customer(
    *, booking: Booking, reason: str = "", lost_reason: str = ""
) -> Booking:
    """The customer cancels online; saying they bought elsewhere (or lost interest) loses the
    lead with that reason."""
    return booking_transition(
        booking=booking,
        to_status=Booking.Status.CANCELLED,
        by=None,
        reason=reason.strip() or _("Cancelled by the customer"),
        cancelled_by=Booking.CancelledBy.CUSTOMER,
        lost_reason=lost_reason,
    )


# What each outcome does to the lead, and the next task: (lost reason or "", title, days).
# Without a lost reason the lead moves on to negotiation (leads.services.events).
OUTCOME_FOLLOW_UP = {
    Booking.Outcome.INTERESTED: ("", _("Follow up on the test drive"), 2),
    Booking.Outcome.WANTS_OFFER: ("", _("Prepare and send an offer"), 1),
    Booking.Outcome.NOT_INTERESTED: (
        Lead.LostReason.NOT_INTERESTED,
        _("Ask what would suit them better after the test drive"),
        1,
    ),
}


@transaction.atomic
def booking_complete(*, booking: Booking, outcome: str, by: User, note: str = "") -> Booking:
    """Finish a checked-in drive with its outcome: the lead advances (interested or wants an
    offer → negotiation, not interested → lost) and the next task lands with the consultant."""
    if outcome not in Booking.Outcome:
        raise ValidationError({"outcome": _("Choose how the test drive went.")})
    booking = booking_transition(
        booking=booking, to_status=Booking.Status.COMPLETED, by=by, reason=note
    )
    booking.outcome = outcome
    booking.save(update_fields=["outcome", "updated_at"])
    lead = booking.lead
    lost_reason, title, days = OUTCOME_FOLLOW_UP[outcome]
    if lead is not None:
        lead_event(
            lead=lead,
            event=LeadEvent.TESTDRIVE_COMPLETED,
            by=by,
            ref=_lead_ref(booking),
            lost_reason=lost_reason,
            detail=str(Booking.Outcome(outcome).label),
        )
        lead = Lead.objects.get(pk=lead.pk)
        task_create(
            owner=booking.consultant or lead.assigned_to or by,
            title=f"{title}: {booking.vehicle.title}",
            due_at=timezone.now() + datetime.timedelta(days=days),
            by=by,
            lead=lead,
            dedupe_key=f"testdrive:{booking.pk}:outcome",
        )
    _note(
        booking,
        by,
        _("Test drive completed: %(outcome)s. %(note)s")
        % {"outcome": Booking.Outcome(outcome).label, "note": note},
    )
    return booking


@transaction.atomic
def booking_assign(*, booking: Booking, consultant: User, by: User) -> Booking:
    """Give the drive to another consultant of the location (who must be free then). A
    requested booking becomes confirmed and the customer is told."""
    booking = _lock(booking)
    if booking.kind != Booking.Kind.DRIVE or booking.status not in (
        *OPEN_STATUSES,
        Booking.Status.CHECKED_IN,
    ):
        raise ValidationError(_("Only upcoming test drives can be reassigned."))
    if not consultant.is_active or not consultant.locations.filter(pk=booking.location_id).exists():
        raise ValidationError(
            {"consultant": _("%(name)s does not work at this location.") % {"name": consultant}}
        )
    previous = booking.consultant
    booking.consultant = consultant
    try:
        with transaction.atomic():
            booking.save(update_fields=["consultant", "updated_at"])
    except IntegrityError as exc:
        if _violated(exc) == CONSULTANT_OVERLAP:
            raise ValidationError(
                {"consultant": _("%(name)s has another drive at that time.") % {"name": consultant}}
            ) from None
        raise
    label = consultant.get_full_name() or consultant.username
    note = _("Assigned to %(name)s") % {"name": label}
    if previous is not None:
        note = _("Reassigned from %(old)s to %(name)s") % {
            "old": previous.get_full_name() or previous.username,
            "name": label,
        }
    from_status = booking.status
    if booking.status == Booking.Status.REQUESTED:
        booking.status = Booking.Status.CONFIRMED
        booking.save(update_fields=["status", "updated_at"])
        outbox.booking_confirmation_enqueue(booking=booking)
    _record(booking, from_status, by, note)
    return booking


@transaction.atomic
def vehicle_block(
    *,
    vehicle: Vehicle,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str,
    by: User,
) -> Booking:
    """Take a vehicle off test drives for a period (service, sold, photo shoot). Refused while
    active drives fall in the period: they must be moved or cancelled first."""
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the vehicle is blocked.")})
    block = Booking(
        kind=Booking.Kind.BLOCK,
        location=vehicle.selling_location,
        vehicle=vehicle,
        start_at=start,
        end_at=end,
        busy_until=end,
        status=Booking.Status.CONFIRMED,
        channel=Booking.Channel.STAFF,
        reason=reason.strip()[:200],
        created_by=by,
    )
    block.full_clean()
    clashes = Booking.objects.filter(
        vehicle=vehicle, status__in=ACTIVE_STATUSES, start_at__lt=end, busy_until__gt=start
    ).count()
    error = ValidationError(
        _("The vehicle has %(count)s booking(s) in that period. Move or cancel them first.")
        % {"count": clashes or 1}
    )
    if clashes:
        raise error
    try:
        with transaction.atomic():
            block.save()
    except IntegrityError as exc:
        if _violated(exc) == VEHICLE_OVERLAP:
            raise error from None
        raise
    _record(block, "", by, block.reason)
    return block


def bookings_flag_unavailable_vehicles(
    *, now: datetime.datetime | None = None, batch_size: int = 200
) -> int:
    """Find upcoming drives whose car was sold or archived and not yet flagged; for each,
    once: flag it, give the consultant a task and offer the customer similar cars. Pull, not
    signals (inventory knows nothing of test drives). Safe to run twice or concurrently: rows
    are claimed with SKIP LOCKED and flagged in the same transaction."""
    now = now or timezone.now()
    flagged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Booking.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("location", "vehicle", "customer", "consultant", "lead")
                .filter(
                    kind=Booking.Kind.DRIVE,
                    status__in=OPEN_STATUSES,
                    start_at__gt=now,
                    vehicle_unavailable_at__isnull=True,
                    vehicle__status__in=UNAVAILABLE_VEHICLE_STATUSES,
                )
                .order_by("pk")[:batch_size]
            )
            for booking in batch:
                booking.vehicle_unavailable_at = now
                booking.save(update_fields=["vehicle_unavailable_at", "updated_at"])
                _flag_one(booking)
            flagged += len(batch)
        if len(batch) < batch_size:
            return flagged


def _flag_one(booking: Booking) -> None:
    vehicle = booking.vehicle
    task_create(
        owner=booking.consultant or (booking.lead.assigned_to if booking.lead else None),
        title=_("Car no longer available for the test drive on %(when)s: offer another")
        % {"when": _local_label(booking)},
        due_at=booking.start_at - datetime.timedelta(hours=2),
        by=None,
        lead=booking.lead,
        customer=booking.customer,
        dedupe_key=f"testdrive:{booking.pk}:vehicle-gone",
    )
    similar = vehicle_similar(vehicle=vehicle, limit=3)
    outbox.booking_vehicle_gone_enqueue(booking=booking, similar=similar)
    _note(
        booking,
        None,
        _("The %(vehicle)s was %(status)s; the customer was offered similar cars.")
        % {"vehicle": vehicle, "status": vehicle.get_status_display().lower()},
    )
