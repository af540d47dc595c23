"""Demo data for the outbox: each location's SMS quiet hours, visible and editable in admin."""

import datetime

from dealership.accounts.models import Location

from .models import QuietHours

# Helsinki keeps its evenings a little longer; the others use the defaults (21:00–08:00).
QUIET_HOURS = {"helsinki": ("22:00", "08:00")}


def seed(*, locations: list[Location]) -> int:
    for location in locations:
        start, end = QUIET_HOURS.get(location.slug, ("21:00", "08:00"))
        QuietHours.objects.get_or_create(
            location=location,
            defaults={
                "start": datetime.time.fromisoformat(start),
                "end": datetime.time.fromisoformat(end),
            },
        )
    return QuietHours.objects.filter(location__in=locations).count()
