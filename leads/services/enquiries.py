"""Public web enquiries: a customer, a lead, trade-in photos, consent, a confirmation."""

from django.db import transaction

from dealership.accounts.models import Location

from ..models import Customer, Lead, TradeInPhoto
from .customers import customer_get_or_create_from_contact
from .leads import lead_create

TRADEIN_FIELDS = (
    "tradein_year",
    "tradein_make",
    "tradein_model",
    "tradein_mileage_km",
    "tradein_condition",
    "tradein_vin",
)


@transaction.atomic
def enquiry_submit(
    *,
    type: str,
    location: Location,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    message: str = "",
    stock_number: str = "",
    photos=(),
    marketing_consent: bool = False,
    consent_wording: str = "",
    language: str = "",
    utm: dict | None = None,
    **tradein,
) -> Lead:
    """Create (or find) the customer and the lead from a web form, store trade-in photos,
    record the marketing-consent answer with its wording, and queue the confirmation email
    on commit."""
    from ..outbox import consent_record_for_enquiry, enquiry_confirmation_enqueue

    customer, _created = customer_get_or_create_from_contact(
        location=location,
        source=Customer.Source.WEBSITE,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=language,
    )
    details = {k: v for k, v in tradein.items() if k in TRADEIN_FIELDS and v not in (None, "")}
    utm = {
        f"utm_{k}": v[:100]
        for k, v in (utm or {}).items()
        if k in ("source", "medium", "campaign") and v
    }
    lead = lead_create(
        customer=customer,
        source=Lead.Source.CAMPAIGN if utm else Lead.Source.WEBSITE,
        type=type,
        location=location,
        message=message,
        stock_number=stock_number,
        **details,
        **utm,
    )
    for upload in photos:
        TradeInPhoto.objects.create(lead=lead, image=upload)
    consent_record_for_enquiry(
        customer=customer, granted=marketing_consent, wording=consent_wording, location=location
    )
    enquiry_confirmation_enqueue(lead=lead)
    return lead
