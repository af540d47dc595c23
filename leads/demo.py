"""Demo leads: a few customers and enquiries per location, a cadence, a response target."""

import datetime

from django.utils import timezone

from dealership.accounts.models import Location

from .models import CadenceStep, Customer, Lead, ResponseTarget

CADENCE = [
    # lead type, position, delay minutes, action, template key, task title
    (Lead.Type.VEHICLE_ENQUIRY, 1, 0, CadenceStep.Action.EMAIL, "leads.enquiry_received", ""),
    (Lead.Type.VEHICLE_ENQUIRY, 2, 60, CadenceStep.Action.SMS, "leads.follow_up_sms", ""),
    (Lead.Type.VEHICLE_ENQUIRY, 3, 24 * 60, CadenceStep.Action.CALL_TASK, "", "Call the customer"),
    (Lead.Type.VEHICLE_ENQUIRY, 4, 3 * 24 * 60, CadenceStep.Action.EMAIL, "leads.follow_up", ""),
    (Lead.Type.VEHICLE_ENQUIRY, 5, 7 * 24 * 60, CadenceStep.Action.EMAIL, "leads.follow_up", ""),
]

# external id, location slug, first, last, email, phone, type, make, model, year, message
DEMO_LEADS = [
    (
        "demo-1",
        "leipzig",
        "Lena",
        "Hoffmann",
        "lena.hoffmann@example.de",
        "0151 23456789",
        Lead.Type.VEHICLE_ENQUIRY,
        "Volkswagen",
        "Golf",
        2022,
        "Is a test drive possible on Saturday?",
    ),
    (
        "demo-2",
        "leipzig",
        "Paul",
        "Wagner",
        "paul.wagner@example.de",
        "0170 1234567",
        Lead.Type.E_PRICE,
        "Skoda",
        "Octavia Combi",
        2023,
        "Best price with winter tyres?",
    ),
    (
        "demo-3",
        "lisbon",
        "Marta",
        "Silva",
        "marta.silva@example.pt",
        "912 345 678",
        Lead.Type.TRADE_IN,
        "Renault",
        "Clio",
        2019,
        "I would like to trade in my Clio.",
    ),
    (
        "demo-4",
        "helsinki",
        "Aino",
        "Korhonen",
        "aino.korhonen@example.fi",
        "040 1234567",
        Lead.Type.FINANCE,
        "Toyota",
        "RAV4 Hybrid",
        2024,
        "Monthly payment over 48 months?",
    ),
]


def seed(locations: list[Location]) -> dict[str, int]:
    """Idempotent: natural keys (the demo leads' external ids, cadence positions)."""
    from .services import customer_get_or_create_from_contact, lead_create

    for lead_type, position, delay, action, template_key, title in CADENCE:
        CadenceStep.objects.get_or_create(
            lead_type=lead_type,
            position=position,
            defaults={
                "delay_minutes": delay,
                "action": action,
                "template_key": template_key,
                "task_title": title,
            },
        )
    by_slug = {location.slug: location for location in locations}
    for location in locations:
        ResponseTarget.objects.get_or_create(location=location)
    now = timezone.now()
    for index, (
        ext,
        slug,
        first,
        last,
        email,
        phone,
        lead_type,
        make,
        model,
        year,
        message,
    ) in enumerate(DEMO_LEADS):
        if Lead.objects.filter(external_source="demo", external_id=ext).exists():
            continue
        location = by_slug[slug]
        customer, _ = customer_get_or_create_from_contact(
            location=location,
            source=Customer.Source.WEBSITE,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
        )
        lead_create(
            customer=customer,
            source=Lead.Source.WEBSITE,
            type=lead_type,
            location=location,
            message=message,
            make=make,
            model=model,
            year=year,
            external_source="demo",
            external_id=ext,
            received_at=now - datetime.timedelta(hours=index * 5),
        )
    return {
        "customers": Customer.objects.count(),
        "leads": Lead.objects.count(),
    }
