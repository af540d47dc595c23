"""Everything testdrives sends goes through the outbox (dealership.messaging) from here.

Dedupe keys name the booking, its version and the reason: "testdrive:<id>:v<version>:…" for
what belongs to one time of the drive (confirmation, reminders), so a reschedule cancels the
old version's pending messages by prefix and queues the new version's without colliding;
"testdrive:<id>:<event>:…" for what happens once (cancellation, no-show, vehicle gone).

Reminders: email and SMS 24 hours before, SMS 2 hours before. SMS respect the location's
quiet hours: a reminder due in them waits for their end, and the 2-hour SMS is only sent when
that is still at least an hour before the drive (a 9:00 drive with quiet hours until 8:00 gets
it at 8:00; an 8:30 drive gets none, the 24-hour reminder having told them already)."""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealership.accounts.language import language_url
from dealership.accounts.phones import phone_local
from dealership.accounts.templatetags.zones import in_zone_long
from dealership.messaging import quiet_hours as qh
from dealership.messaging.models import Channel, Purpose
from dealership.messaging.selectors import quiet_hours_for
from dealership.messaging.services import message_enqueue, messages_cancel

from .ics import booking_ics
from .models import Booking
from .tokens import manage_token

REMINDER_24H = datetime.timedelta(hours=24)
REMINDER_2H = datetime.timedelta(hours=2)
# The 2-hour SMS is dropped when quiet hours would push it closer to the drive than this.
REMINDER_2H_LATEST = datetime.timedelta(hours=1)


def manage_url(booking: Booking, language: str = "") -> str:
    """The customer's link to their booking; with `language`, under that language's prefix
    (``/de/test-drives/manage/…``). Messages get the prefix from the outbox; the .ics
    attachment, which the outbox does not read, asks for it here."""
    token = manage_token(booking_id=booking.pk)
    path = reverse("testdrives:manage", args=[token])
    if language:
        path = language_url(path, language)
    return settings.SITE_URL.rstrip("/") + path


def _context(booking: Booking, **extra) -> dict:
    customer = booking.customer
    location = booking.location
    local = booking.local_start
    # "Monday, 30 March 2026, 10:00 CEST" / "Montag, 30. März 2026, 10:00 CEST": the wall
    # clock with the zone's abbreviation, in the customer's language's own date pattern
    when = in_zone_long(booking.start_at, location, customer.language or settings.LANGUAGE_CODE)
    return {
        "first_name": customer.first_name,
        "vehicle": f"{booking.vehicle.title} {booking.vehicle.trim}".strip(),
        "stock_number": booking.vehicle.stock_number,
        "when": when,
        "time": f"{local:%H:%M} {local.tzname()}",
        "time_zone": location.time_zone,
        "minutes": int((booking.end_at - booking.start_at).total_seconds() // 60),
        "location": location.name,
        "address": ", ".join(location.address_lines),
        "location_phone": phone_local(location.phone, location),
        "consultant": booking.consultant.get_full_name() if booking.consultant else "",
        "manage_url": manage_url(booking),
        **extra,
    }


def _send(booking: Booking, *, channel: str, key: str, template: str, context: dict, **kwargs):
    customer = booking.customer
    to = customer.email if channel == Channel.EMAIL else customer.mobile_phone
    if not to:
        return None
    return message_enqueue(
        channel=channel,
        purpose=Purpose.TRANSACTIONAL,
        to=to,
        template_key=template,
        context=context,
        dedupe_key=key,
        location=booking.location,
        customer_id=customer.pk,
        language=customer.language,
        **kwargs,
    )


def booking_ics_text(booking: Booking, *, cancelled: bool = False) -> str:
    location = booking.location
    with translation.override(booking.customer.language or settings.LANGUAGE_CODE):
        summary = _("Test drive: %(vehicle)s (%(location)s)") % {
            "vehicle": booking.vehicle.title,
            "location": location.name,
        }
    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "showroom"
    return booking_ics(
        uid=f"testdrive-{booking.pk}@{host}",
        sequence=booking.version if not cancelled else booking.version + 1,
        start=booking.start_at,
        end=booking.end_at,
        summary=summary,
        description=f"{booking.vehicle} · {manage_url(booking, booking.customer.language)}",
        location=", ".join([location.name, *location.address_lines]),
        organizer_email=location.email,
        cancelled=cancelled,
        now=timezone.now(),
    )


def booking_confirmation_enqueue(*, booking: Booking) -> None:
    """Confirmation email (with the .ics) and SMS, and the reminders, for the booking's current
    version. Idempotent (dedupe keys)."""
    prefix = f"testdrive:{booking.pk}:v{booking.version}"
    context = _context(booking, rescheduled=booking.version > 1)
    _send(
        booking,
        channel=Channel.EMAIL,
        key=f"{prefix}:confirmed:email",
        template="testdrives.confirmed",
        context=context,
        attachments=[("test-drive.ics", booking_ics_text(booking), "text/calendar")],
    )
    _send(
        booking,
        channel=Channel.SMS,
        key=f"{prefix}:confirmed:sms",
        template="testdrives.confirmed",
        context=context,
    )
    booking_reminders_enqueue(booking=booking)


def reminder_2h_send_at(booking: Booking) -> datetime.datetime | None:
    """When the 2-hour SMS goes, after quiet hours; None when it would be too late."""
    due = booking.start_at - REMINDER_2H
    tz, start, end = quiet_hours_for(booking.location)
    allowed = qh.next_allowed(due, tz=tz, start=start, end=end)
    if allowed > booking.start_at - REMINDER_2H_LATEST:
        return None
    return allowed


def booking_reminders_enqueue(*, booking: Booking, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    prefix = f"testdrive:{booking.pk}:v{booking.version}"
    context = _context(booking)
    day_before = booking.start_at - REMINDER_24H
    if day_before > now:
        for channel in (Channel.EMAIL, Channel.SMS):
            _send(
                booking,
                channel=channel,
                key=f"{prefix}:reminder-24h:{channel}",
                template="testdrives.reminder",
                context=context,
                send_after=day_before,
            )
    send_at = reminder_2h_send_at(booking)
    if send_at is not None and send_at > now:
        _send(
            booking,
            channel=Channel.SMS,
            key=f"{prefix}:reminder-2h:sms",
            template="testdrives.reminder",
            context=context,
            send_after=send_at,
        )


def booking_version_messages_cancel(*, booking: Booking, version: int, reason: str) -> int:
    """Cancel the pending messages of one version (the old time after a reschedule)."""
    return messages_cancel(dedupe_key_prefix=f"testdrive:{booking.pk}:v{version}:", reason=reason)


def _all_versions_cancel(booking: Booking, *, reason: str) -> int:
    # Prefix per version: "testdrive:5:v" alone would also match "testdrive:5:vehicle-gone".
    return sum(
        booking_version_messages_cancel(booking=booking, version=v, reason=reason)
        for v in range(1, booking.version + 1)
    )


def booking_cancellation_enqueue(*, booking: Booking) -> None:
    _all_versions_cancel(booking, reason="booking cancelled")
    context = _context(booking, reason=booking.reason)
    _send(
        booking,
        channel=Channel.EMAIL,
        key=f"testdrive:{booking.pk}:cancelled:email",
        template="testdrives.cancelled",
        context=context,
        attachments=[
            ("test-drive.ics", booking_ics_text(booking, cancelled=True), "text/calendar")
        ],
    )
    _send(
        booking,
        channel=Channel.SMS,
        key=f"testdrive:{booking.pk}:cancelled:sms",
        template="testdrives.cancelled",
        context=context,
    )


def booking_no_show_enqueue(*, booking: Booking) -> None:
    """Sorry we missed you: an offer to pick another time (the manage link reschedules)."""
    _all_versions_cancel(booking, reason="no-show")
    context = _context(booking)
    for channel in (Channel.EMAIL, Channel.SMS):
        _send(
            booking,
            channel=channel,
            key=f"testdrive:{booking.pk}:no-show:{channel}",
            template="testdrives.no_show",
            context=context,
        )


def booking_vehicle_gone_enqueue(*, booking: Booking, similar: list) -> None:
    """The car was sold or withdrawn: offer similar ones (the booking stays until staff or the
    customer move or cancel it)."""
    context = _context(
        booking,
        similar=[
            {
                "title": f"{v.title} {v.trim}".strip(),
                "url": settings.SITE_URL.rstrip("/") + v.get_absolute_url(),
            }
            for v in similar
        ],
    )
    for channel in (Channel.EMAIL, Channel.SMS):
        _send(
            booking,
            channel=channel,
            key=f"testdrive:{booking.pk}:vehicle-gone:{channel}",
            template="testdrives.vehicle_gone",
            context=context,
        )
