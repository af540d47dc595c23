import datetime

from django.utils import timezone

from campaigns.models import Campaign, CampaignMessage, Segment
from dealership.messaging.services import consent_record

NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC)


def tree(*conditions, op="and"):
    return {"op": op, "children": list(conditions)}


def cond(type_, **params):
    return {"type": type_, "params": params}


def consent(customer, channel="email", granted=True):
    address = customer.email if channel == "email" else customer.mobile_phone
    return consent_record(
        channel=channel,
        address=address,
        granted=granted,
        source="test",
        wording="Yes, send me offers.",
        customer_id=customer.pk,
        location=customer.location,
    )


def segment(*conditions, location=None, name="Test segment", op="and"):
    return Segment.objects.create(name=name, location=location, conditions=tree(*conditions, op=op))


def campaign(
    seg,
    *,
    channel="email",
    control_percent=0,
    status=Campaign.Status.DRAFT,
    tested=True,
    **texts,
):
    c = Campaign.objects.create(
        name="Spring upgrade",
        segment=seg,
        location=seg.location,
        channel=channel,
        control_percent=control_percent,
        status=status,
        test_sent_at=timezone.now() if tested else None,
    )
    CampaignMessage.objects.create(
        campaign=c,
        language="",
        subject=texts.get("subject", "An offer for {first_name}"),
        email_body=texts.get(
            "email_body",
            "Hello {first_name}, your {their_car} deserves a successor: {booking_link}",
        ),
        sms_body=texts.get("sms_body", "Hi {first_name}: {booking_link}"),
    )
    return c
