"""A campaign's results: delivery from the outbox, clicks, replies, and the leads, test drives
and orders of the 30 days after launch, for the recipients and for the control group."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate

from conversations.models import Message
from dealership.messaging.models import Consent, OutboxMessage, Suppression
from leads.models import Customer, Lead
from orders.models import Order
from testdrives.models import Booking

from .models import Campaign, Recipient

WINDOW = datetime.timedelta(days=30)
OS = OutboxMessage.Status


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _attribution(campaign: Campaign, status: str, start, end) -> dict:
    customers = Customer.objects.filter(
        Exists(Recipient.objects.filter(customer=OuterRef("pk"), campaign=campaign, status=status))
    )
    window = {"created_at__gte": start, "created_at__lt": end}
    lead = Exists(Lead.objects.filter(customer=OuterRef("pk"), **window))
    drive = Exists(
        Booking.objects.filter(customer=OuterRef("pk"), kind=Booking.Kind.DRIVE, **window)
    )
    order = Exists(
        Order.objects.filter(customer=OuterRef("pk"), **window).exclude(status=Order.Status.DRAFT)
    )
    row = customers.aggregate(
        customers=Count("pk"),
        leads=Count("pk", filter=Q(lead)),
        test_drives=Count("pk", filter=Q(drive)),
        orders=Count("pk", filter=Q(order)),
        converted=Count("pk", filter=Q(lead) | Q(drive) | Q(order)),
    )
    row["rate"] = _rate(row["converted"], row["customers"])
    return row


def campaign_results(*, campaign: Campaign) -> dict:
    treated = campaign.recipients.filter(status=Recipient.Status.QUEUED)
    unsubscribed = Exists(
        Suppression.objects.filter(
            channel=OuterRef("channel"),
            address=OuterRef("outbox_message__to"),
            created_at__gte=OuterRef("queued_at"),
        )
    ) | Exists(
        Consent.objects.filter(
            channel=OuterRef("channel"),
            address=OuterRef("outbox_message__to"),
            granted=False,
            recorded_at__gte=OuterRef("queued_at"),
        )
    )
    replied = Exists(
        Message.objects.filter(
            customer=OuterRef("customer"),
            direction=Message.Direction.IN,
            created_at__gte=OuterRef("queued_at"),
        )
    )
    counts = treated.aggregate(
        handed=Count("pk"),
        sent=Count("pk", filter=Q(outbox_message__status__in=(OS.SENT, OS.DELIVERED))),
        delivered=Count("pk", filter=Q(outbox_message__status=OS.DELIVERED)),
        failed=Count("pk", filter=Q(outbox_message__status=OS.FAILED)),
        refused=Count("pk", filter=Q(outbox_message__status=OS.SUPPRESSED)),
        waiting=Count(
            "pk", filter=Q(outbox_message__status__in=(OS.SCHEDULED, OS.QUEUED, OS.SENDING))
        ),
        unsubscribed=Count("pk", filter=Q(unsubscribed)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        replied=Count("pk", filter=Q(replied)),
    )
    counts["click_rate"] = _rate(counts["clicked"], counts["sent"])
    result = {"counts": counts, "treated": None, "control": None, "lift": None, "chart": None}
    if campaign.launched_at:
        start, end = campaign.launched_at, campaign.launched_at + WINDOW
        result["treated"] = _attribution(campaign, Recipient.Status.QUEUED, start, end)
        if campaign.control_percent:
            result["control"] = _attribution(campaign, Recipient.Status.CONTROL, start, end)
            t, c = result["treated"]["rate"], result["control"]["rate"]
            if t is not None and c is not None:
                result["lift"] = t - c
        result["chart"] = _chart(campaign, start)
    return result


def _chart(campaign: Campaign, start: datetime.datetime) -> dict:
    """Messages handed out and first clicks per day over the 30 days from launch, as
    coordinates for an inline SVG (no script, no library)."""
    days = [(start + datetime.timedelta(days=n)).date() for n in range(30)]
    sent = dict(
        campaign.recipients.filter(queued_at__isnull=False)
        .annotate(day=TruncDate("queued_at"))
        .values("day")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    clicks = dict(
        campaign.recipients.filter(clicked_at__isnull=False)
        .annotate(day=TruncDate("clicked_at"))
        .values("day")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    top = max([1, *sent.values(), *clicks.values()])
    width, height, bar = 600, 160, 20
    bars = []
    for i, day in enumerate(days):
        s, c = sent.get(day, 0), clicks.get(day, 0)
        hs, hc = round(s * height / top), round(c * height / top)
        bars.append(
            {
                "day": day,
                "sent": s,
                "clicks": c,
                "x": i * bar,
                "sent_y": height - hs,
                "sent_h": hs,
                "click_x": i * bar + bar // 2,
                "click_y": height - hc,
                "click_h": hc,
            }
        )
    return {"bars": bars, "width": width, "height": height, "top": top, "half": bar // 2 - 1}
