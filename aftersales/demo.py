"""Demo after-sales: maintenance plans, workshop capacity, owned cars for the demo customers
(one due for a reminder), a booked visit, a recall campaign and a complaint."""

import datetime

from django.utils import timezone

from dealership.accounts.models import Location, User
from leads.models import Customer

from .models import (
    Complaint,
    MaintenancePlan,
    OwnedVehicle,
    RecallCampaign,
    ServiceItem,
    WorkshopCapacity,
)

# plan (make, model, fuel, name) → items (name, months, km, days ahead, km ahead)
PLANS = {
    ("", "", "", "Standard (all makes)"): [
        ("Annual inspection", 12, 15000, 30, 1000),
        ("Brake fluid", 24, None, 30, 0),
        ("Cabin filter", 24, 30000, 30, 1500),
    ],
    ("Volkswagen", "Golf", "", "Volkswagen Golf"): [
        ("Oil service", 24, 30000, 30, 1500),
        ("Inspection", 48, 60000, 30, 2000),
    ],
    ("", "", "electric", "Electric vehicles"): [
        ("EV inspection", 24, 30000, 30, 2000),
        ("Brake fluid", 24, None, 30, 0),
    ],
}

# customer email, location slug, VIN, make, model, year, fuel, delivered days ago, km now
CARS = [
    (
        "lena.hoffmann@example.de",
        "leipzig",
        "WVWZZZ1KZ8W000101",
        "Volkswagen",
        "Golf",
        2022,
        "petrol",
        700,
        29000,
    ),
    (
        "paul.wagner@example.de",
        "leipzig",
        "WBA8E9C50GK000102",
        "BMW",
        "320d",
        2021,
        "diesel",
        345,
        14000,
    ),
]


def seed(*, locations: list[Location]) -> dict[str, int]:
    """Idempotent: plans by their match, items by name, cars by VIN, campaign by code."""
    from .services import (
        complaint_create,
        odometer_record,
        owned_vehicle_create,
        recall_campaign_import,
    )

    for (make, model, fuel, name), items in PLANS.items():
        plan, _ = MaintenancePlan.objects.get_or_create(
            make=make, model=model, fuel=fuel, defaults={"name": name}
        )
        for position, (item, months, km, days, km_ahead) in enumerate(items):
            ServiceItem.objects.get_or_create(
                plan=plan,
                name=item,
                defaults={
                    "interval_months": months,
                    "interval_km": km,
                    "remind_days_ahead": days,
                    "remind_km_ahead": km_ahead,
                    "position": position,
                },
            )
    for location in locations:
        WorkshopCapacity.objects.get_or_create(location=location)
    by_slug = {location.slug: location for location in locations}
    today = timezone.localdate()
    cars = 0
    for email, slug, vin, make, model, year, fuel, days_ago, km in CARS:
        customer = Customer.objects.filter(email=email, merged_into__isnull=True).first()
        if customer is None or slug not in by_slug:
            continue
        if not OwnedVehicle.objects.filter(vin=vin).exists():
            owned_vehicle_create(
                customer=customer,
                location=by_slug[slug],
                vin=vin,
                make=make,
                model=model,
                year=year,
                fuel=fuel,
                delivered_on=today - datetime.timedelta(days=days_ago),
                odometer_km=0,
                origin=OwnedVehicle.Origin.OURS,
            )
            odometer_record(
                owned_vehicle=OwnedVehicle.objects.get(vin=vin),
                km=km,
                read_on=today - datetime.timedelta(days=10),
                source="staff",
            )
        cars += 1
    staff = User.objects.filter(is_superuser=True).order_by("id").first()
    if staff is not None and not RecallCampaign.objects.filter(code="DEMO-24V-001").exists():
        recall_campaign_import(
            code="DEMO-24V-001",
            title="Fuel pump relay",
            description="The fuel pump relay may fail and the engine stall.",
            remedy="Replace the fuel pump relay (about 30 minutes).",
            vins=[CARS[1][2], "WVWZZZ1KZ8W999999"],
            by=staff,
        )
    paul = Customer.objects.filter(email=CARS[1][0], merged_into__isnull=True).first()
    if paul is not None and not Complaint.objects.filter(customer=paul).exists():
        complaint_create(
            customer=paul,
            location=paul.location,
            channel=Complaint.Channel.PHONE,
            category=Complaint.Category.SERVICE,
            severity=Complaint.Severity.HIGH,
            subject="Car returned unwashed",
            description="After the inspection the car was dirty inside.",
        )
    return {"owned_vehicles": cars}
