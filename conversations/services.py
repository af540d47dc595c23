"""Conversations' writes: a consultant's reply (through the outbox), reading, inbound SMS."""

import logging
import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from dealership.messaging.models import Channel as OutboxChannel
from dealership.messaging.models import InboundSms, OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue
from leads.models import OPEN_STATUSES, Activity, Customer, Lead
from leads.services import (
    activity_log,
    customer_get_or_create_from_contact,
    lead_create,
    leads_rescore_soon,
)
from leads.services.cadence import cadence_may_manage, cadence_pause

from .models import Message
from .selectors import composer_channels, latest_open_lead
from .sms import MAX_SEGMENTS, sms_segments

logger = logging.getLogger(__name__)

MAX_BODY = 5000
ATTACH_BATCH = 200


class _Blank(dict):
    """Placeholders a template names but we cannot fill stay visible, e.g. "{vehicle}"."""

    def __missing__(self, key):
        return "{" + key + "}"


def reply_template_render(*, template, customer: Customer, by: User) -> str:
    """The template's body with the customer's first name, the car and price of their latest
    open lead, the consultant's name and the car's test-drive booking link filled in."""
    lead = latest_open_lead(customer=customer)
    vehicle, price, booking = "", "", ""
    if lead is not None:
        vehicle = lead.vehicle.title if lead.vehicle else lead.vehicle_label
        amount = lead.price if lead.price is not None else getattr(lead.vehicle, "price", None)
        if amount is not None:
            price = formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
        if lead.vehicle_id:
            try:
                # testdrives sits above this app: reversed by name, not imported.
                path = reverse("testdrives:book", kwargs={"vehicle_id": lead.vehicle_id})
                booking = settings.SITE_URL.rstrip("/") + path
            except NoReverseMatch:
                booking = ""
    values = _Blank(
        customer_first_name=customer.first_name,
        vehicle=vehicle,
        price=price,
        consultant=by.get_full_name() or by.get_username(),
        booking_link=booking,
    )
    try:
        return string.Formatter().vformat(template.body, (), values)
    except (ValueError, IndexError, AttributeError, KeyError):
        # A stray brace in the manager's text: insert it as written rather than fail.
        return template.body


def _check(*, customer: Customer, channel: str, body: str, subject: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {"body": _("A message has at most %(max)d characters.") % {"max": MAX_BODY}}
        )
    options = {o.channel: o for o in composer_channels(customer=customer)}
    option = options.get(channel)
    if option is None:
        raise ValidationError({"channel": _("Choose SMS or email.")})
    if not option.available:
        raise ValidationError({"channel": option.reason})
    if channel == "sms":
        segments = sms_segments(body)
        if segments > MAX_SEGMENTS:
            raise ValidationError(
                {
                    "body": _(
                        "This SMS would take %(count)d segments; at most %(max)d are allowed. "
                        "Shorten it or send an email."
                    )
                    % {"count": segments, "max": MAX_SEGMENTS}
                }
            )
    if channel == "email" and not (subject or "").strip():
        raise ValidationError({"subject": _("An email needs a subject.")})
    return body


@transaction.atomic
def message_send(
    *, customer: Customer, channel: str, body: str, by: User, subject: str = ""
) -> Message:
    """A consultant's reply: one conversation message and one outbox row (dedupe key
    "conv:<message id>"), sent when the transaction commits. The first reply on an open lead
    is logged as that lead's outbound contact, as a logged call is (leads' activity_log):
    it stops the response clock and moves a new lead to "contacted"."""
    body = _check(customer=customer, channel=channel, body=body, subject=subject)
    location = customer.location
    message = Message.objects.create(
        customer=customer,
        location=location,
        direction=Message.Direction.OUT,
        channel=channel,
        body=body,
        author=by,
    )
    outbox = message_enqueue(
        channel=OutboxChannel.SMS if channel == "sms" else OutboxChannel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=customer.mobile_phone if channel == "sms" else customer.email,
        template_key="conversations.reply",
        context={"body": body, "subject": " ".join(subject.split())[:255]},
        dedupe_key=f"conv:{message.pk}",
        location=location,
        customer_id=customer.pk,
        language=customer.language,
    )
    message.outbox_message = outbox
    message.save(update_fields=["outbox_message"])
    kind = Activity.Kind.SMS if channel == "sms" else Activity.Kind.EMAIL
    unanswered = Lead.objects.filter(
        customer=customer, status__in=OPEN_STATUSES, first_response_at__isnull=True
    ).order_by("pk")
    for lead in unanswered:
        activity_log(customer=customer, lead=lead, kind=kind, by=by, body=body)
        lead.refresh_from_db(fields=["cadence_next_at", "cadence_paused_at", "assigned_to"])
        # The consultant is talking with the customer now: the automatic follow-ups wait
        # (resumed or stopped from the lead page's cadence panel).
        if (
            lead.cadence_next_at is not None
            and lead.cadence_paused_at is None
            and cadence_may_manage(user=by, lead=lead)
        ):
            cadence_pause(lead=lead, by=by, reason=_("The consultant replied."))
    leads_rescore_soon(customer_ids=[customer.pk])  # a contact: no "no contact" decay
    return message


def messages_mark_read(*, customer: Customer) -> int:
    """The customer's unread messages are read (someone opened the thread)."""
    return Message.objects.filter(
        customer=customer, direction=Message.Direction.IN, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- Inbound SMS ----------------------------------------------------------------------------


def _location_for_unknown(sender: str) -> Location | None:
    last = (
        OutboxMessage.objects.filter(channel=OutboxChannel.SMS, to=sender, location__isnull=False)
        .select_related("location")
        .order_by("-created_at", "-id")
        .first()
    )
    if last is not None:
        return last.location
    return Location.objects.filter(is_active=True).order_by("pk").first()


def _customer_for(inbound: InboundSms) -> Customer | None:
    return (
        Customer.objects.filter(
            Q(mobile_phone=inbound.sender) | Q(other_phone=inbound.sender),
            merged_into__isnull=True,
        )
        .select_related("location")
        .order_by("-updated_at", "-pk")
        .first()
    )


def _attach(inbound: InboundSms) -> Message | None:
    customer = _customer_for(inbound)
    if customer is None:
        if inbound.keyword:
            return None  # STOP / START / HELP from a stranger: messaging answered it
        location = _location_for_unknown(inbound.sender)
        if location is None:
            logger.warning("inbound SMS %s: no location to create a customer at", inbound.pk)
            return None
        customer, _created = customer_get_or_create_from_contact(
            location=location, source=Customer.Source.SMS, phone=inbound.sender
        )
        lead_create(
            customer=customer,
            source=Lead.Source.SMS,
            type=Lead.Type.GENERAL,
            location=location,
            message=inbound.body,
            received_at=inbound.received_at,
        )
    leads_rescore_soon(customer_ids=[customer.pk])  # a reply: the customer's leads' scores
    return Message.objects.create(
        customer=customer,
        location=customer.location,
        direction=Message.Direction.IN,
        channel=Message.Channel.SMS,
        body=inbound.body,
        inbound_sms=inbound,
        created_at=inbound.received_at,
    )


def _pending_inbound():
    """Inbound SMS not in a thread yet: every text but the keywords, and keywords from a
    known customer (their STOP shows in the thread; a stranger's makes no customer)."""
    known = Customer.objects.filter(merged_into__isnull=True)
    return InboundSms.objects.filter(conversation_message__isnull=True).filter(
        Q(keyword="")
        | Q(sender__in=known.exclude(mobile_phone="").values("mobile_phone"))
        | Q(sender__in=known.exclude(other_phone="").values("other_phone"))
    )


def inbound_sms_attach_pending(*, batch_size: int = ATTACH_BATCH) -> dict[str, int]:
    """Attach every pending inbound SMS to its customer's thread, matched by E.164 number; an
    unknown number becomes a customer with an "SMS" lead, assigned by the usual rules. Each
    SMS in its own transaction, claimed with SKIP LOCKED: safe to run twice or concurrently
    (the unique inbound_sms link holds it)."""
    counts = {"attached": 0, "new_customers": 0, "skipped": 0}
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            inbound = (
                _pending_inbound()
                .exclude(pk__in=seen)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("received_at", "id")
                .first()
            )
            if inbound is None:
                break
            seen.add(inbound.pk)
            before = Customer.objects.filter(
                Q(mobile_phone=inbound.sender) | Q(other_phone=inbound.sender)
            ).exists()
            try:
                with transaction.atomic():
                    message = _attach(inbound)
            except ValidationError as error:
                # A number the leads app cannot take as a contact: logged, left for staff
                # (it stays in messaging's inbound list), retried at the next run.
                logger.warning("inbound SMS %s not attached: %s", inbound.pk, error)
                message = None
            if message is None:
                counts["skipped"] += 1
            else:
                counts["attached"] += 1
                counts["new_customers"] += 0 if before else 1
        if len(seen) >= batch_size:
            break
    return counts
