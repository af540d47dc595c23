"""Recall campaigns: parse the affected VINs, import on confirmation, notify owners."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dealership.accounts.models import User
from dealership.accounts.phones import phone_local
from dealership.messaging.models import Purpose
from dealership.messaging.services import message_enqueue
from inventory.vin import validate_vin

from ..models import OwnedVehicle, RecallCampaign, RecallVehicle
from .reminders import reminder_channels


@dataclass
class ParsedVins:
    vins: list[str] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, message)
    duplicates: int = 0


def recall_parse_vins(text: str) -> ParsedVins:
    """VINs from a CSV (first column; a header row "vin" is skipped) or one per line.
    Every invalid line is reported with its number; repeated VINs are counted once."""
    parsed = ParsedVins()
    seen: set[str] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cell = (row[0] if row else "").strip()
        if not cell or (number == 1 and cell.lower() in ("vin", "fin", "vin number")):
            continue
        try:
            vin = validate_vin(cell)
        except ValidationError as error:
            parsed.errors.append((number, cell[:40], " ".join(error.messages)))
            continue
        if vin in seen:
            parsed.duplicates += 1
            continue
        seen.add(vin)
        parsed.vins.append(vin)
    return parsed


@transaction.atomic
def recall_campaign_import(
    *, code: str, title: str, description: str, remedy: str, vins: list[str], by: User
) -> RecallCampaign:
    """Create the campaign with its (already validated) VINs, flag the matching active owned
    vehicles and queue a transactional notice to their owners (no marketing consent needed;
    suppressed addresses still get nothing). Raises ValidationError for a repeated code."""
    if RecallCampaign.objects.filter(code=code.strip()).exists():
        raise ValidationError({"code": "A campaign with this code exists already."})
    if not vins:
        raise ValidationError({"vins": "No valid VIN to import."})
    campaign = RecallCampaign(
        code=code.strip(),
        title=title.strip(),
        description=description,
        remedy=remedy,
        created_by=by,
    )
    campaign.full_clean()
    campaign.save()
    owners = dict(
        OwnedVehicle.objects.filter(vin__in=vins, status=OwnedVehicle.Status.ACTIVE).values_list(
            "vin", "id"
        )
    )
    RecallVehicle.objects.bulk_create(
        [
            RecallVehicle(campaign=campaign, vin=vin, owned_vehicle_id=owners.get(vin))
            for vin in vins
        ],
        batch_size=1000,
    )
    recalls_notify_owners(campaign_id=campaign.pk)
    return campaign


def recalls_notify_owners(*, campaign_id: int) -> int:
    """Queue the recall notice for each flagged car not yet notified. Idempotent."""
    now = timezone.now()
    pending = (
        RecallVehicle.objects.filter(
            campaign_id=campaign_id, owned_vehicle__isnull=False, notified_at__isnull=True
        )
        .select_related("campaign", "owned_vehicle__customer", "owned_vehicle__location")
        .order_by("id")
    )
    count = 0
    for recall in pending:
        ov = recall.owned_vehicle
        context = {
            "first_name": ov.customer.first_name,
            "vehicle": ov.label,
            "vin": ov.vin,
            "code": recall.campaign.code,
            "title": recall.campaign.title,
            "description": recall.campaign.description,
            "remedy": recall.campaign.remedy,
            "location": ov.location.name,
            "location_phone": phone_local(ov.location.phone, ov.location),
        }
        for channel, address in reminder_channels(ov.customer):
            message_enqueue(
                channel=channel,
                purpose=Purpose.TRANSACTIONAL,
                to=address,
                template_key="aftersales.recall_notice",
                context=context,
                dedupe_key=f"aftersales:recall:{recall.campaign_id}:{ov.pk}:{channel}",
                location=ov.location,
                customer_id=ov.customer_id,
                language=ov.customer.language,
            )
        RecallVehicle.objects.filter(pk=recall.pk).update(notified_at=now)
        count += 1
    return count


def recalls_open_by_location(*, location_ids) -> list[dict]:
    """Open (not remedied) recalls on registered cars, per location and campaign."""
    return list(
        RecallVehicle.objects.filter(
            remedied_at__isnull=True,
            owned_vehicle__isnull=False,
            owned_vehicle__location_id__in=location_ids,
        )
        .values("owned_vehicle__location__name", "campaign__code", "campaign__title")
        .annotate(open=Count("id"), notified=Count("id", filter=Q(notified_at__isnull=False)))
        .order_by("owned_vehicle__location__name", "campaign__code")
    )
