"""Who of a segment a campaign may reach, on which channel, and why the others are left out.

The same classification serves the preview (counts by reason) and the dispatch (one
Recipient row per customer and channel), so what the manager is shown is what is sent:
only addresses with a recorded marketing consent for the channel, never a suppressed one,
nobody over the frequency cap; then the control group is held out at random (deterministic
per campaign and customer, so a second run holds out the same people).
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from dealership.messaging.addresses import normalise_address
from dealership.messaging.models import OutboxMessage, Purpose
from dealership.messaging.selectors import marketing_consented_addresses, suppressed_addresses
from leads.models import Customer

from .models import Campaign, Recipient

Exclusion = Recipient.Exclusion
CAP_WINDOW = datetime.timedelta(days=30)
# Messages that did not reach anyone don't count towards the cap.
_NOT_COUNTED = (
    OutboxMessage.Status.SUPPRESSED,
    OutboxMessage.Status.CANCELLED,
    OutboxMessage.Status.FAILED,
)


@dataclass(frozen=True)
class Decision:
    customer: Customer
    channel: str
    address: str
    exclusion: str = ""
    is_control: bool = False

    @property
    def status(self) -> str:
        if self.exclusion:
            return Recipient.Status.EXCLUDED
        return Recipient.Status.CONTROL if self.is_control else Recipient.Status.PENDING


def frequency_cap() -> int:
    return settings.CAMPAIGNS_FREQUENCY_CAP


def in_control_group(campaign_id: int, customer_id: int, percent: int) -> bool:
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"campaign-control:{campaign_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def address_for(customer: Customer, channel: str) -> str:
    raw = customer.email if channel == "email" else customer.mobile_phone
    if not raw:
        return ""
    try:
        return normalise_address(channel, raw, default_region=customer.location.country)
    except Exception:  # an unparseable number: no usable address
        return ""


def _channels(choice: str) -> tuple[str, ...]:
    return {"email": ("email",), "sms": ("sms",), "both": ("email", "sms")}.get(
        choice, ("email", "sms")
    )


def classify(
    customers: list[Customer], *, campaign: Campaign, now: datetime.datetime
) -> list[Decision]:
    """One decision per customer and channel, with a handful of queries for the whole batch."""
    channels = _channels(campaign.channel)
    addresses = {(c.pk, ch): address_for(c, ch) for c in customers for ch in channels}
    consented, suppressed = {}, {}
    for ch in channels:
        wanted = {a for (_pk, c), a in addresses.items() if c == ch and a}
        consented[ch] = (
            marketing_consented_addresses(channel=ch, addresses=wanted) if wanted else set()
        )
        suppressed[ch] = suppressed_addresses(channel=ch, addresses=wanted) if wanted else set()
    cap = frequency_cap()
    sent = dict(
        OutboxMessage.objects.filter(
            customer_id__in=[c.pk for c in customers],
            purpose=Purpose.MARKETING,
            created_at__gte=now - CAP_WINDOW,
        )
        .exclude(status__in=_NOT_COUNTED)
        .exclude(dedupe_key__startswith=f"camp:{campaign.pk}:")
        .values("customer_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    decisions = []
    for customer in customers:
        options = []
        for ch in channels:
            address = addresses[(customer.pk, ch)]
            if not address:
                reason = Exclusion.NO_ADDRESS
            elif address in suppressed[ch]:
                reason = Exclusion.SUPPRESSED
            elif address not in consented[ch]:
                reason = Exclusion.NO_CONSENT
            elif cap and sent.get(customer.pk, 0) >= cap:
                reason = Exclusion.CAPPED
            else:
                reason = ""
            options.append((ch, address, reason))
        if campaign.channel == Campaign.ChannelChoice.PREFERRED:
            options.sort(key=lambda o: (bool(o[2]), o[0] != customer.preferred_channel))
            options = options[:1]
        control = in_control_group(campaign.pk or 0, customer.pk, campaign.control_percent)
        for ch, address, reason in options:
            decisions.append(
                Decision(customer, ch, address, reason, is_control=control and not reason)
            )
    return decisions


def audience_summary(customers_qs, *, campaign: Campaign, now: datetime.datetime, chunk=2000):
    """Counts for the preview: customers in the segment, messages to send, and the
    exclusions by reason (a customer left out on both channels counts once per channel)."""
    summary = {
        "customers": 0,
        "send": 0,
        "control": 0,
        **dict.fromkeys(Exclusion.values, 0),
    }
    batch: list[Customer] = []
    qs = customers_qs.select_related("location").order_by("pk")
    for customer in qs.iterator(chunk_size=chunk):
        batch.append(customer)
        if len(batch) >= chunk:
            _tally(summary, batch, campaign, now)
            batch = []
    if batch:
        _tally(summary, batch, campaign, now)
    summary["excluded"] = sum(summary[r] for r in Exclusion.values)
    return summary


def _tally(summary, batch, campaign, now):
    summary["customers"] += len(batch)
    for decision in classify(batch, campaign=campaign, now=now):
        if decision.exclusion:
            summary[decision.exclusion] += 1
        elif decision.is_control:
            summary["control"] += 1
        else:
            summary["send"] += 1
