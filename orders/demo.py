"""Demo data for orders: the add-ons on sale and two weeks of delivery slots per location.
Idempotent (natural keys: add-on slug, slot location + start)."""

import datetime
from decimal import Decimal

from dealership.accounts.models import Location

from .models import AddOn, DeliverySlot

ADD_ONS = [
    ("extended-warranty", "Extended warranty (3 years)", Decimal("890.00"), "taxable"),
    ("paint-protection", "Paint protection", Decimal("349.00"), "taxable"),
    ("floor-mats", "All-weather floor mats", Decimal("89.00"), "taxable"),
    ("winter-wheels", "Winter wheels, fitted", Decimal("1190.00"), "taxable"),
]
SLOT_HOURS = ((10, 12), (14, 16))


def seed(*, locations: list[Location], days: int = 14) -> dict[str, int]:
    for position, (slug, name, price, rule) in enumerate(ADD_ONS):
        AddOn.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "price": price, "tax_rule": rule, "position": position},
        )
    slots = 0
    for location in locations:
        today = location.localtime().date()
        for offset in range(1, days + 1):
            day = today + datetime.timedelta(days=offset)
            if day.weekday() == 6:
                continue
            for start, end in SLOT_HOURS:
                starts = datetime.datetime.combine(day, datetime.time(start), location.tzinfo)
                ends = datetime.datetime.combine(day, datetime.time(end), location.tzinfo)
                _slot, created = DeliverySlot.objects.get_or_create(
                    location=location,
                    starts_at=starts.astimezone(datetime.UTC),
                    defaults={"ends_at": ends.astimezone(datetime.UTC), "capacity": 2},
                )
                slots += created
    return {"add_ons": AddOn.objects.count(), "new_slots": slots}
