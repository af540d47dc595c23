"""Demo data: a believable dealership group. Every function is idempotent (natural keys)."""

import datetime
from decimal import Decimal

from django.db import transaction

from aftersales import demo as aftersales_demo
from dealership.accounts.models import Location, OpeningHours, TaxRateChange, User
from dealership.accounts.roles import Role
from dealership.knowledge import demo as knowledge_demo
from dealership.messaging import demo as messaging_demo
from dealership.reports import demo as reports_demo
from inventory import demo as inventory_demo
from leads import demo as leads_demo
from orders import demo as orders_demo
from surveys import demo as surveys_demo
from testdrives import demo as testdrives_demo

DEMO_PASSWORD = "showroom-demo"  # noqa: S105 - printed for the demo, never used in production

LOCATIONS = [
    {
        "slug": "leipzig",
        "default_language": "de",
        "name": "Showroom Motors Leipzig",
        "street": "Gartenstraße 12",
        "postal_code": "04107",
        "city": "Leipzig",
        "country": "DE",
        "phone": "+49 341 555 0100",
        "email": "leipzig@showroom.example",
        "time_zone": "Europe/Berlin",
        "sales_tax_rate": Decimal("19.000"),
        "tax_regime": "inclusive",
        "documentation_fee": Decimal("249.00"),
        "hours": {
            0: ("09:00", "19:00"),
            1: ("09:00", "19:00"),
            2: ("09:00", "19:00"),
            3: ("09:00", "19:00"),
            4: ("09:00", "19:00"),
            5: ("10:00", "16:00"),
        },
    },
    {
        "slug": "lisbon",
        "default_language": "pt",
        "name": "Showroom Motors Lisboa",
        "street": "Avenida da Liberdade 190",
        "postal_code": "1250-147",
        "city": "Lisboa",
        "country": "PT",
        "phone": "+351 21 555 0200",
        "email": "lisboa@showroom.example",
        "time_zone": "Europe/Lisbon",
        "sales_tax_rate": Decimal("23.000"),
        "tax_regime": "inclusive",
        "documentation_fee": Decimal("199.00"),
        "hours": {
            0: ("09:30", "19:30"),
            1: ("09:30", "19:30"),
            2: ("09:30", "19:30"),
            3: ("09:30", "19:30"),
            4: ("09:30", "19:30"),
            5: ("10:00", "17:00"),
        },
    },
    {
        "slug": "helsinki",
        "default_language": "fi",
        "name": "Showroom Motors Helsinki",
        "street": "Mannerheimintie 50",
        "postal_code": "00260",
        "city": "Helsinki",
        "country": "FI",
        "phone": "+358 9 555 0300",
        "email": "helsinki@showroom.example",
        "time_zone": "Europe/Helsinki",
        "sales_tax_rate": Decimal("25.500"),
        "tax_regime": "inclusive",
        # Finland's standard VAT rate went from 24 % to 25.5 % on 1 September 2024.
        "rate_changes": [
            (datetime.date(2013, 1, 1), Decimal("24.000")),
            (datetime.date(2024, 9, 1), Decimal("25.500")),
        ],
        "documentation_fee": Decimal("290.00"),
        "hours": {
            0: ("10:00", "18:00"),
            1: ("10:00", "18:00"),
            2: ("10:00", "18:00"),
            3: ("10:00", "18:00"),
            4: ("10:00", "18:00"),
            5: ("10:00", "15:00"),
            6: ("12:00", "16:00"),
        },
    },
]

# username, first name, last name, role, location slugs (empty: all)
STAFF = [
    ("admin", "Ada", "Admin", Role.ADMINISTRATOR, []),
    ("manager", "Maren", "Vogel", Role.SALES_MANAGER, ["leipzig", "lisbon", "helsinki"]),
    ("manager.lisbon", "Rui", "Costa", Role.SALES_MANAGER, ["lisbon"]),
    ("anna", "Anna", "Schmidt", Role.CONSULTANT, ["leipzig"]),
    ("jonas", "Jonas", "Becker", Role.CONSULTANT, ["leipzig"]),
    ("ines", "Inês", "Ferreira", Role.CONSULTANT, ["lisbon"]),
    ("mikko", "Mikko", "Virtanen", Role.CONSULTANT, ["helsinki"]),
    ("advisor", "Sven", "Krüger", Role.SERVICE_ADVISOR, ["leipzig"]),
]


def seed_locations() -> list[Location]:
    locations = []
    for spec in LOCATIONS:
        spec = dict(spec)
        hours = spec.pop("hours")
        rate_changes = spec.pop("rate_changes", [])
        location, _ = Location.objects.get_or_create(slug=spec.pop("slug"), defaults=spec)
        for valid_from, rate in rate_changes:
            TaxRateChange.objects.get_or_create(
                location=location, valid_from=valid_from, defaults={"rate": rate}
            )
        for weekday, (opens, closes) in hours.items():
            OpeningHours.objects.get_or_create(
                location=location,
                weekday=weekday,
                defaults={
                    "opens": datetime.time.fromisoformat(opens),
                    "closes": datetime.time.fromisoformat(closes),
                },
            )
        locations.append(location)
    return locations


def seed_staff(locations: list[Location]) -> list[User]:
    from django.contrib.auth.models import Group

    by_slug = {location.slug: location for location in locations}
    users = []
    for username, first, last, role, slugs in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@showroom.example",
                "is_staff": True,
                "is_superuser": role == Role.ADMINISTRATOR,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role.value))
            user.locations.set([by_slug[slug] for slug in slugs] if slugs else locations)
        users.append(user)
    return users


@transaction.atomic
def seed_all() -> dict[str, int]:
    """Fill the database with the demo dealership; run again, it changes nothing."""
    locations = seed_locations()
    staff = seed_staff(locations)
    messaging_demo.seed(locations=locations)
    knowledge_demo.seed()
    vehicles = inventory_demo.seed(locations=locations)
    leads_demo.seed(locations)
    aftersales_demo.seed(locations=locations)
    testdrives_demo.seed(locations=locations)
    orders_demo.seed(locations=locations)
    surveys_demo.seed(locations=locations)
    reports_demo.seed(locations=locations)
    # Last, so the demo leads' scores see their test drives, replies and orders (idempotent).
    from scoring.services import leads_rescore_all

    leads_rescore_all()
    return {"locations": len(locations), "staff": len(staff), "vehicles": vehicles}
