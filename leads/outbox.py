"""Everything leads sends or reads in the outbox (dealership.messaging) goes through this
module: the one place that talks to it. Every message carries a dedupe key that names the
lead and the reason, so a job that runs twice queues nothing twice."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from dealership.accounts.language import user_language
from dealership.accounts.phones import phone_local
from dealership.messaging.models import Channel, InboundSms, OutboxMessage, Purpose
from dealership.messaging.selectors import consent_state, messages_for_customer
from dealership.messaging.services import consent_record, message_enqueue

from .models import CadenceStep, Customer, Lead

CONSENT_SOURCE_ENQUIRY = "enquiry_form"


def _lead_context(lead: Lead) -> dict:
    customer = lead.customer
    return {
        "first_name": customer.first_name,
        "name": customer.full_name,
        "lead_type": str(lead.get_type_display()),
        "vehicle": lead.vehicle_label,
        "stock_number": lead.stock_number,
        "location": lead.location.name,
        "location_phone": phone_local(lead.location.phone, lead.location),
        "location_email": lead.location.email,
        "consultant": lead.assigned_to.get_full_name() if lead.assigned_to else "",
    }


def customer_opted_out(customer: Customer) -> bool:
    """True when every address we have for the customer is suppressed (unsubscribed, STOP)."""
    states = (
        [consent_state(channel=Channel.EMAIL, address=customer.email)] if customer.email else []
    )
    if customer.mobile_phone:
        states.append(consent_state(channel=Channel.SMS, address=customer.mobile_phone))
    return bool(states) and all(state.suppressed for state in states)


def customer_replied_by_sms(customer: Customer, since) -> bool:
    """An inbound SMS from the customer's mobile since the lead arrived counts as a reply."""
    if not customer.mobile_phone:
        return False
    return (
        InboundSms.objects.filter(sender=customer.mobile_phone, received_at__gte=since)
        .exclude(keyword__in=("STOP", "HELP", "START"))
        .exists()
    )


def enquiry_confirmation_enqueue(*, lead: Lead) -> OutboxMessage | None:
    """Confirm an enquiry to the customer at once: by email, or by SMS without an email."""
    customer = lead.customer
    if customer.email:
        channel, to = Channel.EMAIL, customer.email
    elif customer.mobile_phone:
        channel, to = Channel.SMS, customer.mobile_phone
    else:
        return None
    return message_enqueue(
        channel=channel,
        purpose=Purpose.TRANSACTIONAL,
        to=to,
        template_key="leads.enquiry_received",
        context=_lead_context(lead),
        dedupe_key=f"lead:{lead.pk}:confirmation",
        location=lead.location,
        customer_id=customer.pk,
        language=customer.language,
    )


def cadence_message_enqueue(*, lead: Lead, step: CadenceStep) -> str:
    """Queue a cadence step's email or SMS about the customer's enquiry. Returns the outcome
    recorded on the run: "queued", "suppressed" or "no_address"."""
    customer = lead.customer
    if step.action == CadenceStep.Action.SMS:
        channel, to = Channel.SMS, customer.mobile_phone
    else:
        channel, to = Channel.EMAIL, customer.email
    if not to:
        return "no_address"
    message = message_enqueue(
        channel=channel,
        purpose=Purpose.TRANSACTIONAL,
        to=to,
        template_key=step.template_key or "leads.follow_up",
        context=_lead_context(lead),
        dedupe_key=f"lead:{lead.pk}:cadence:{step.pk}",
        location=lead.location,
        customer_id=customer.pk,
        language=customer.language,
    )
    return "suppressed" if message.status == OutboxMessage.Status.SUPPRESSED else "queued"


def escalation_notification_enqueue(*, lead: Lead, manager) -> OutboxMessage | None:
    """Tell the sales manager by email that a lead had no first response in time."""
    if not manager.email:
        return None
    # In the manager's own language (User.language), the lead's type included.
    language = user_language(manager)
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            **_lead_context(lead),
            "manager": manager.get_full_name() or manager.username,
            "url": settings.SITE_URL.rstrip("/") + reverse("leads:lead_detail", args=[lead.pk]),
        }
    return message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=manager.email,
        template_key="leads.escalation",
        context=context,
        dedupe_key=f"lead:{lead.pk}:escalation",
        location=lead.location,
        language=language,
    )


def consent_record_for_enquiry(*, customer: Customer, granted: bool, wording: str, location):
    """Record a ticked marketing-consent box, with its wording, for each address given.

    An unticked box records nothing: it is no decision, and must not withdraw a consent the
    customer gave before."""
    if not granted:
        return
    if customer.email:
        consent_record(
            channel=Channel.EMAIL,
            address=customer.email,
            granted=True,
            source=CONSENT_SOURCE_ENQUIRY,
            wording=wording,
            customer_id=customer.pk,
            location=location,
        )
    if customer.mobile_phone:
        consent_record(
            channel=Channel.SMS,
            address=customer.mobile_phone,
            granted=True,
            source=CONSENT_SOURCE_ENQUIRY,
            wording=wording,
            customer_id=customer.pk,
            location=location,
        )


def customer_messages(*, customer_id: int, limit: int) -> list[dict]:
    """The outbox's messages to this customer as timeline entries (newest first)."""
    return [
        {
            "at": m.created_at,
            "channel": m.get_channel_display(),
            "subject": m.subject or m.body[:80],
            "status": m.get_status_display(),
        }
        for m in messages_for_customer(customer_id=customer_id).only(
            "created_at", "channel", "subject", "body", "status"
        )[:limit]
    ]


def customer_consent(*, customer: Customer) -> list[dict]:
    """Marketing consent and suppression per channel for the 360 page."""
    rows = []
    for channel, label, address in (
        (Channel.EMAIL, "Email", customer.email),
        (Channel.SMS, "SMS", customer.mobile_phone),
    ):
        if address:
            state = consent_state(channel=channel, address=address)
            rows.append(
                {
                    "channel": label,
                    "granted": state.granted,
                    "suppressed": state.suppressed,
                    "since": state.since,
                }
            )
    return rows


def messages_cancel_for_lead(*, lead: Lead, reason: str) -> int:
    """Cancel the lead's cadence messages not yet sent (it was won, lost or answered)."""
    from dealership.messaging.services import messages_cancel

    return messages_cancel(dedupe_key_prefix=f"lead:{lead.pk}:cadence:", reason=reason)


def outbox_customer_move(*, from_customer_id: int, to_customer_id: int) -> dict[str, int]:
    """On a merge, re-point the outbox's plain customer ids (messages and consents).

    The outbox keeps `customer_id` as a plain number (it sits below leads), so the merge's
    walk over foreign keys cannot see these rows; the contract offers no service for it, so
    this is the one write leads makes to the outbox's tables."""
    from dealership.messaging.models import Consent

    moved = {}
    for model in (OutboxMessage, Consent):
        count = model.objects.filter(customer_id=from_customer_id).update(
            customer_id=to_customer_id
        )
        if count:
            moved[model._meta.label] = count
    return moved
