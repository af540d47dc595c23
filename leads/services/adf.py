"""ADF import: keep the document, turn each trustworthy prospect into a lead, flag the rest."""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import Location
from inventory.vin import validate_vin

from ..adf import AdfSyntaxError, Prospect, parse_document, parse_prospects
from ..models import AdfDocument, Customer, Lead, ProviderApiKey
from ..phones import phone_to_e164_first
from .customers import customer_get_or_create_from_contact
from .leads import lead_create

logger = logging.getLogger(__name__)

KEY_PREFIX_LENGTH = 8


class AdfImportError(Exception):
    """The whole document was refused (it is still stored, as rejected)."""

    def __init__(self, message: str, document_id: int | None):
        super().__init__(message)
        self.document_id = document_id


@dataclass
class ImportResult:
    document_id: int
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicate: bool = False

    def as_json(self) -> dict:
        return {
            "document": self.document_id,
            "duplicate": self.duplicate,
            "created": self.created,
            "updated": self.updated,
            "flagged": self.flagged,
            "skipped": self.skipped,
        }


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def provider_key_create(*, name: str, location: Location, source: str = Lead.Source.ADF):
    """A new API key for a feed provider. Returns (row, key): the key is shown once."""
    key = secrets.token_urlsafe(32)
    row = ProviderApiKey(
        name=name,
        location=location,
        source=source,
        prefix=key[:KEY_PREFIX_LENGTH],
        key_hash=_hash_key(key),
    )
    row.full_clean()
    row.save()
    return row, key


def provider_for_key(key: str) -> ProviderApiKey | None:
    """The active provider whose key this is (constant-time hash comparison)."""
    if len(key) < KEY_PREFIX_LENGTH + 8:
        return None
    row = (
        ProviderApiKey.objects.filter(prefix=key[:KEY_PREFIX_LENGTH], is_active=True)
        .select_related("location")
        .first()
    )
    if row is None or not secrets.compare_digest(row.key_hash, _hash_key(key)):
        return None
    ProviderApiKey.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row


def _lead_type(prospect: Prospect) -> str:
    interest = prospect.vehicle.get("interest", "")
    service = prospect.provider_service.lower()
    if interest == "test-drive":
        return Lead.Type.TEST_DRIVE
    if interest in ("lease", "finance") or "finance" in service:
        return Lead.Type.FINANCE
    if not prospect.vehicle and prospect.tradein:
        return Lead.Type.TRADE_IN
    if "price" in service or "quote" in service:
        return Lead.Type.E_PRICE
    return Lead.Type.VEHICLE_ENQUIRY if prospect.vehicle else Lead.Type.GENERAL


def _location_for(prospect: Prospect, default: Location | None) -> Location | None:
    if prospect.vendor_name:
        found = Location.objects.filter(name__iexact=prospect.vendor_name, is_active=True).first()
        if found:
            return found
    return default


def _contact(
    prospect: Prospect, location: Location, problems: list[str]
) -> tuple[str, str, list[tuple[str | None, str]]]:
    """The email, the phone in E.164 (a mobile first) and the other numbers sent: as
    (E.164 or the text as sent when no region reads it, which is flagged). None is dropped."""
    email = ""
    for candidate in prospect.emails:
        try:
            validate_email(candidate)
        except ValidationError:
            problems.append(f"email “{candidate}” is not valid")
            continue
        email = candidate
        break
    # The customer's own country first (a US number on a lead for a German branch).
    regions = (prospect.country, location.country)
    ordered = sorted(prospect.phones, key=lambda p: p[0] not in ("cellphone", "mobile", "cell"))
    phone, others = "", []
    for _type, number in ordered:
        e164 = phone_to_e164_first(number, regions=regions)
        if e164 is None:
            problems.append(f"phone “{number}” is not a valid number")
            others.append((None, number))
        elif not phone:
            phone = e164
        elif e164 != phone:
            others.append((e164, number))
    return email, phone, others


def _details(prospect: Prospect, problems: list[str]) -> dict:
    vehicle, details = prospect.vehicle, {}
    if vehicle:
        details.update(
            year=vehicle.get("year"),
            make=vehicle.get("make", ""),
            model=vehicle.get("model", ""),
            trim=vehicle.get("trim", ""),
            stock_number=vehicle.get("stock", ""),
            vehicle_status=vehicle.get("status", "")[:10],
            price=vehicle.get("price"),
            odometer_km=vehicle.get("odometer_km"),
        )
        if vehicle.get("vin"):
            try:
                details["vin"] = validate_vin(vehicle["vin"])
            except ValidationError as error:
                problems.append(f"vehicle VIN “{vehicle['vin']}”: {' '.join(error.messages)}")
    tradein = prospect.tradein
    if tradein:
        details.update(
            tradein_year=tradein.get("year"),
            tradein_make=tradein.get("make", ""),
            tradein_model=tradein.get("model", ""),
            tradein_mileage_km=tradein.get("odometer_km"),
        )
        if tradein.get("vin"):
            try:
                details["tradein_vin"] = validate_vin(tradein["vin"])
            except ValidationError as error:
                problems.append(f"trade-in VIN “{tradein['vin']}”: {' '.join(error.messages)}")
    if details.get("year") and not 1900 <= details["year"] <= 2100:
        problems.append(f"model year {details['year']} is not plausible")
        details["year"] = None
    if details.get("tradein_year") and not 1900 <= details["tradein_year"] <= 2100:
        details["tradein_year"] = None
    return {k: v for k, v in details.items() if v not in (None, "")}


# A request date later than the arrival by more than this is not trusted (a feed's clock or
# a day/month mix-up): the lead keeps the text and goes up for review. Old dates are kept:
# a feed may deliver late or re-send.
REQUEST_DATE_FUTURE = datetime.timedelta(hours=12)


def _requested(prospect: Prospect, received_at: datetime.datetime, problems: list[str]) -> dict:
    """The feed's request date as `requested_at` (when it can be trusted) and as sent."""
    if not prospect.request_date_text:
        return {}
    requested = {"requested_at_text": prospect.request_date_text}
    when = prospect.request_date
    if when is None:
        return requested  # the parser already flagged it
    if when > received_at + REQUEST_DATE_FUTURE:
        problems.append(
            f"requestdate “{prospect.request_date_text}” is in the future: kept as text"
        )
    else:
        requested["requested_at"] = when
    return requested


def _comment_label(where: str, vehicle: str) -> str:
    if where == "customer":
        return _("Customer comments")
    label = _("Trade-in comments") if where == "trade-in" else _("Vehicle comments")
    return f"{label} ({vehicle})" if vehicle else label


def _message(prospect: Prospect, other_phones: list[tuple[str | None, str]]) -> str:
    """Every comment of the prospect verbatim, each labelled by where it came from, then the
    phone numbers not kept on the customer (unreadable ones as sent) and the provider."""
    parts = [
        f"{_comment_label(where, vehicle)}: {text}"
        for where, text, vehicle in prospect.comment_sources
    ]
    for e164, number in other_phones:
        if e164 is None:
            parts.append(f"{_('Phone as sent (not a valid number)')}: {number}")
        else:
            parts.append(f"{_('Other phone')}: {e164}")
    if prospect.provider_name or prospect.provider_service:
        parts.append(f"— {prospect.provider_name} {prospect.provider_service}".strip())
    return "\n\n".join(parts)


def _import_prospect(
    prospect: Prospect,
    *,
    document: AdfDocument,
    default_location: Location | None,
    source: str,
    received_at: datetime.datetime,
    repairs: list[str],
    result: ImportResult,
) -> None:
    problems = [*repairs, *prospect.problems]
    location = _location_for(prospect, default_location)
    label = prospect.id_value or f"{prospect.first_name} {prospect.last_name}".strip() or "prospect"
    if location is None:
        result.skipped.append(f"{label}: no location (vendor “{prospect.vendor_name}” unknown)")
        return
    email, phone, other_phones = _contact(prospect, location, problems)
    if not email and not phone:
        result.skipped.append(f"{label}: no valid email or phone to contact the person")
        return
    details = {**_details(prospect, problems), **_requested(prospect, received_at, problems)}
    external_source = (prospect.id_source or (document.provider.name if document.provider else ""))[
        :100
    ]
    existing = (
        Lead.objects.select_for_update()
        .filter(external_source=external_source, external_id=prospect.external_id)
        .first()
    )
    if existing is not None:
        newer = (
            prospect.status == "resend"
            or prospect.sequence is None
            or existing.external_sequence is None
            or prospect.sequence >= existing.external_sequence
        )
        if newer:
            for name, value in details.items():
                setattr(existing, name, value)
            existing.message = _message(prospect, other_phones) or existing.message
            existing.timeframe = prospect.timeframe[:200]
            existing.external_sequence = prospect.sequence
            existing.adf_document = document
            if problems:
                existing.needs_review = True
                existing.review_notes = "\n".join(problems)
            existing.full_clean()
            existing.save()
        result.updated.append(existing.pk)
        return
    customer, _created = customer_get_or_create_from_contact(
        location=location,
        source=Customer.Source.ADF,
        first_name=prospect.first_name,
        last_name=prospect.last_name,
        email=email,
        phone=phone,
        street=prospect.street,
        postal_code=prospect.postal_code,
        city=prospect.city,
        country=prospect.country,
    )
    lead = lead_create(
        customer=customer,
        source=source,
        type=_lead_type(prospect),
        location=location,
        message=_message(prospect, other_phones),
        # The response clock starts when the lead reaches us, not when the feed says.
        received_at=received_at,
        timeframe=prospect.timeframe[:200],
        external_source=external_source,
        external_id=prospect.external_id,
        external_sequence=prospect.sequence,
        adf_document=document,
        needs_review=bool(problems),
        review_notes="\n".join(problems),
        **details,
    )
    result.created.append(lead.pk)
    if problems:
        result.flagged.append(lead.pk)


def adf_import_document(
    *,
    raw: bytes,
    channel: str,
    provider: ProviderApiKey | None = None,
    location: Location | None = None,
) -> ImportResult:
    """Store the document, then import each prospect in its own savepoint.

    Idempotent: the same bytes twice return the first import's result (duplicate=True); a
    re-sent prospect (same id, or status="resend") updates its lead. A document that is not
    safe, well-formed ADF is stored as rejected and AdfImportError raised.
    """
    digest = hashlib.sha256(raw).hexdigest()
    previous = AdfDocument.objects.filter(sha256=digest).first()
    if previous is not None:
        if previous.status == AdfDocument.Status.REJECTED:
            raise AdfImportError("; ".join(previous.problems) or "rejected before", previous.pk)
        leads = list(previous.leads.values_list("pk", flat=True))
        return ImportResult(document_id=previous.pk, updated=leads, duplicate=True)
    now = timezone.now()
    try:
        with transaction.atomic():
            document = AdfDocument.objects.create(
                received_at=now,
                channel=channel,
                provider=provider,
                sha256=digest,
                raw=raw,
                status=AdfDocument.Status.IMPORTED,
            )
    except IntegrityError:  # the same document arrived concurrently
        previous = AdfDocument.objects.get(sha256=digest)
        return ImportResult(document_id=previous.pk, duplicate=True)
    default_location = location or (provider.location if provider else None)
    tzinfo = default_location.tzinfo if default_location else datetime.UTC
    try:
        root, repairs = parse_document(raw)
        prospects = parse_prospects(root, tzinfo=tzinfo, currency=settings.CURRENCY)
        if not prospects:
            raise AdfSyntaxError("the document has no <prospect>")
    except AdfSyntaxError as error:
        document.status = AdfDocument.Status.REJECTED
        document.problems = [str(error)]
        document.save(update_fields=["status", "problems"])
        raise AdfImportError(str(error), document.pk) from None
    result = ImportResult(document_id=document.pk)
    source = provider.source if provider else Lead.Source.ADF
    for prospect in prospects:
        try:
            with transaction.atomic():
                _import_prospect(
                    prospect,
                    document=document,
                    default_location=default_location,
                    source=source,
                    received_at=now,
                    repairs=repairs,
                    result=result,
                )
        except ValidationError as error:
            result.skipped.append(f"{prospect.id_value or 'prospect'}: {'; '.join(error.messages)}")
    problems = [*repairs, *result.skipped]
    if not result.created and not result.updated:
        document.status = AdfDocument.Status.REJECTED
    elif problems or result.flagged:
        document.status = AdfDocument.Status.PARTIAL
    document.problems = problems
    document.save(update_fields=["status", "problems"])
    if document.status == AdfDocument.Status.REJECTED:
        logger.warning("ADF document %s: no lead imported: %s", document.pk, problems)
        raise AdfImportError(
            "no prospect could be imported: " + "; ".join(result.skipped), document.pk
        )
    return result
