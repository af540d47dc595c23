"""Service appointments: free days and drop-off slots, booking against the workshop's daily
capacity, confirmation and reminder, check-in, completion into the service history."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from dealership.accounts.phones import phone_local
from dealership.accounts.templatetags.zones import in_zone
from dealership.messaging.models import Purpose
from dealership.messaging.services import message_enqueue, messages_cancel

from ..models import (
    APPOINTMENT_MACHINE,
    OdometerReading,
    OwnedVehicle,
    RecallVehicle,
    ServiceAppointment,
    ServiceItem,
    ServiceRecord,
    WorkshopCapacity,
)
from ..tokens import appointment_token
from .reminders import reminder_channels
from .vehicles import odometer_record, owned_vehicle_recompute_due

Status = ServiceAppointment.Status


def workshop_for(location: Location) -> WorkshopCapacity:
    return WorkshopCapacity.objects.get_or_create(location=location)[0]


def appointment_slots(*, location: Location, day: datetime.date) -> list[datetime.datetime]:
    """Drop-off times on a day, every slot length from opening until one slot before closing,
    as aware datetimes in the location's zone. Empty when closed."""
    hours = location.hours_on(day.weekday())
    if hours is None:
        return []
    step = datetime.timedelta(minutes=workshop_for(location).slot_minutes)
    tz = location.tzinfo
    at = datetime.datetime.combine(day, hours.opens, tzinfo=tz)
    end = datetime.datetime.combine(day, hours.closes, tzinfo=tz) - step
    slots = []
    while at <= end:
        slots.append(at)
        at += step
    return slots


def appointment_days(
    *, location: Location, start: datetime.date, days: int = 28
) -> list[tuple[datetime.date, int]]:
    """(day, free places) for open days from `start` on; full days are left out. One query."""
    capacity = workshop_for(location).appointments_per_day
    end = start + datetime.timedelta(days=days)
    booked = dict(
        ServiceAppointment.objects.filter(
            location=location,
            day__gte=start,
            day__lt=end,
            status__in=ServiceAppointment.ACTIVE_STATUSES,
        )
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    result = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        if location.hours_on(day.weekday()) is None:
            continue
        free = capacity - booked.get(day, 0)
        if free > 0:
            result.append((day, free))
    return result


def _when(value, location, customer) -> str:
    """The drop-off time as the customer reads it: their language, the workshop's wall clock
    and the zone's abbreviation ("30.03.2026 08:00 CEST")."""
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        return in_zone(value, location, "SHORT_DATETIME_FORMAT")


def _notify(appointment: ServiceAppointment, *, kind: str, template_key: str, send_after=None):
    ov, customer, location = appointment.owned_vehicle, appointment.customer, appointment.location
    url = settings.SITE_URL.rstrip("/") + reverse(
        "aftersales:appointment", kwargs={"token": appointment_token(appointment=appointment)}
    )
    context = {
        "first_name": customer.first_name,
        "vehicle": ov.label,
        "when": _when(appointment.drop_off_at, location, customer),
        "handover": appointment.get_handover_display(),
        "courtesy_car": appointment.courtesy_car,
        "services": [i.name for i in appointment.items.all()],
        "location": location.name,
        "location_address": ", ".join(location.address_lines),
        "location_phone": phone_local(location.phone, location),
        "url": url,
    }
    for channel, address in reminder_channels(customer):
        message_enqueue(
            channel=channel,
            purpose=Purpose.TRANSACTIONAL,
            to=address,
            template_key=template_key,
            context=context,
            dedupe_key=f"aftersales:appointment:{appointment.pk}:{kind}:{channel}",
            location=location,
            customer_id=customer.pk,
            language=customer.language,
            send_after=send_after,
        )


@transaction.atomic
def appointment_book(
    *,
    owned_vehicle: OwnedVehicle,
    drop_off_at: datetime.datetime,
    items: list[ServiceItem],
    handover: str,
    courtesy_car: bool = False,
    notes: str = "",
    via: str,
    location: Location | None = None,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> ServiceAppointment:
    """Book a car into the workshop. Locks the workshop's capacity row, so two customers can't
    both take the last place. Raises ValidationError when the slot is not offered, the day is
    full or no courtesy car is left. Queues the confirmation now and the reminder for 24 hours
    before drop-off (both sent on commit through the outbox)."""
    now = now or timezone.now()
    location = location or owned_vehicle.location
    workshop = workshop_for(location)
    workshop = WorkshopCapacity.objects.select_for_update().get(pk=workshop.pk)
    day = location.localtime(drop_off_at).date()
    if drop_off_at <= now or drop_off_at not in appointment_slots(location=location, day=day):
        raise ValidationError(
            {"drop_off_at": _("This drop-off time is not offered. Choose another.")}
        )
    if handover not in ServiceAppointment.Handover.values:
        raise ValidationError({"handover": _("Choose drop-off or wait.")})
    if owned_vehicle.status != OwnedVehicle.Status.ACTIVE:
        raise ValidationError(_("This car is no longer registered to you."))
    active = ServiceAppointment.objects.filter(
        location=location, day=day, status__in=ServiceAppointment.ACTIVE_STATUSES
    ).aggregate(n=Count("id"), cars=Count("id", filter=Q(courtesy_car=True)))
    if active["n"] >= workshop.appointments_per_day:
        raise ValidationError(_("The workshop is fully booked on this day. Choose another day."))
    if courtesy_car and active["cars"] >= workshop.courtesy_cars:
        raise ValidationError(
            {
                "courtesy_car": _(
                    "No courtesy car is left on this day. Choose another day or book without one."
                )
            }
        )
    plan_items = set(
        ServiceItem.objects.filter(plan_id=owned_vehicle.plan_id).values_list("id", flat=True)
    )
    if any(item.pk not in plan_items for item in items):
        raise ValidationError({"items": _("Choose services from this car's plan.")})
    appointment = ServiceAppointment(
        owned_vehicle=owned_vehicle,
        customer_id=owned_vehicle.customer_id,
        location=location,
        day=day,
        drop_off_at=drop_off_at,
        handover=handover,
        courtesy_car=courtesy_car,
        customer_notes=notes.strip(),
        booked_via=via,
    )
    appointment.full_clean()
    appointment.save()
    appointment.items.set(items)
    APPOINTMENT_MACHINE.record(appointment, "", by=by, at=now)
    _notify(appointment, kind="confirmation", template_key="aftersales.appointment_confirmation")
    remind_at = drop_off_at - datetime.timedelta(hours=24)
    if remind_at > now:
        _notify(
            appointment,
            kind="reminder",
            template_key="aftersales.appointment_reminder",
            send_after=remind_at,
        )
    return appointment


@transaction.atomic
def appointment_cancel(
    *, appointment: ServiceAppointment, by: User | None = None
) -> ServiceAppointment:
    """Cancel a booked appointment and its pending reminder. Idempotent."""
    appt = APPOINTMENT_MACHINE.lock(appointment)
    if appt.status == Status.CANCELLED:
        return appt
    appt, _entry = APPOINTMENT_MACHINE.transition(appt, Status.CANCELLED, by=by, locked=appt)
    messages_cancel(
        dedupe_key_prefix=f"aftersales:appointment:{appt.pk}:reminder:",
        reason="appointment cancelled",
    )
    return appt


@transaction.atomic
def appointment_check_in(
    *,
    appointment: ServiceAppointment,
    odometer_km: int,
    by: User,
    now: datetime.datetime | None = None,
) -> tuple[ServiceAppointment, OdometerReading]:
    """Check a car in with its odometer reading (which updates the mileage estimate unless it
    is lower than the last one: then it is kept with a warning and ignored). Only on the
    appointment's day, in the location's time zone."""
    now = now or timezone.now()

    def on_the_day(appt):
        if appt.location.localtime(now).date() != appt.day:
            raise ValidationError(
                _("A car can be checked in only on the day of its appointment (%(day)s).")
                % {"day": formats.date_format(appt.day, "SHORT_DATE_FORMAT")},
                code="check_in_day",
            )

    def checked_in(appt, _from):
        appt.checked_in_at, appt.checkin_odometer_km = now, odometer_km
        return ["checked_in_at", "checkin_odometer_km"]

    appt, _entry = APPOINTMENT_MACHINE.transition(
        appointment,
        Status.CHECKED_IN,
        by=by,
        note=f"{odometer_km} km",
        check=on_the_day,
        apply=checked_in,
        at=now,
    )
    reading = odometer_record(
        owned_vehicle=appt.owned_vehicle,
        km=odometer_km,
        read_on=appt.location.localtime(now).date(),
        source=OdometerReading.Source.CHECK_IN,
    )
    return appt, reading


@transaction.atomic
def appointment_complete(
    *,
    appointment: ServiceAppointment,
    work_done: str,
    price: Decimal,
    items_done: list[ServiceItem],
    recalls_remedied: list[RecallVehicle],
    by: User,
    now: datetime.datetime | None = None,
) -> ServiceAppointment:
    """Finish a visit: the work and price are stored, each item done becomes a service record
    (the base of its next due date), remedied recalls are cleared, the next due is recomputed."""
    now = now or timezone.now()

    def complete(appt):
        if price is None or price < 0:
            raise ValidationError({"price": _("Enter the price (0 or more).")})
        if not work_done.strip():
            raise ValidationError({"work_done": _("Describe the work done.")})
        if any(r.owned_vehicle_id != appt.owned_vehicle_id for r in recalls_remedied):
            raise ValidationError(_("That recall belongs to another car."))

    def completed(appt, _from):
        appt.completed_at = now
        appt.work_done, appt.price = work_done.strip(), price.quantize(Decimal("0.01"))
        return ["completed_at", "work_done", "price"]

    appt, _entry = APPOINTMENT_MACHINE.transition(
        appointment, Status.COMPLETED, by=by, check=complete, apply=completed, at=now
    )
    ov = appt.owned_vehicle
    done_on = appt.location.localtime(now).date()
    ServiceRecord.objects.bulk_create(
        [
            ServiceRecord(
                owned_vehicle=ov,
                item=item,
                description=item.name,
                done_on=done_on,
                odometer_km=appt.checkin_odometer_km,
                appointment=appt,
            )
            for item in items_done
        ]
    )
    RecallVehicle.objects.filter(
        pk__in=[r.pk for r in recalls_remedied], remedied_at__isnull=True
    ).update(remedied_at=now, remedied_appointment=appt)
    owned_vehicle_recompute_due(owned_vehicle=OwnedVehicle.objects.get(pk=ov.pk))
    return appt
