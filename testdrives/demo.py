"""Demo test drives: settings per location and a few bookings in the coming days.
Idempotent: settings by location, bookings by (vehicle, start)."""

import datetime

from django.db import transaction
from django.utils import timezone

from dealership.accounts.models import Location
from inventory.models import Vehicle

from .models import Booking, TestDriveSettings
from .selectors import vehicle_availability
from .services import SlotTaken, booking_create_from_web

DEMO_CUSTOMERS = [
    ("Lena", "Hoffmann", "lena.hoffmann@example.de", "+4915112345601"),
    ("Tiago", "Sousa", "tiago.sousa@example.pt", "+351912345602"),
    ("Aino", "Laine", "aino.laine@example.fi", "+358401234503"),
]


@transaction.atomic
def seed(*, locations: list[Location]) -> dict[str, int]:
    for location in locations:
        TestDriveSettings.objects.get_or_create(location=location)
    if Booking.objects.filter(channel=Booking.Channel.WEBSITE).exists():
        return {"testdrive_bookings": Booking.objects.count()}
    now = timezone.now()
    for location, (first, last, email, phone) in zip(locations, DEMO_CUSTOMERS, strict=False):
        vehicle = (
            Vehicle.objects.filter(location=location, status=Vehicle.Status.AVAILABLE)
            .select_related("location")
            .order_by("pk")
            .first()
        )
        if vehicle is None:
            continue
        slots = vehicle_availability(vehicle=vehicle, now=now).slot_list
        # The first slot from two days out, so the demo shows reminders waiting in the outbox.
        later = [s for s in slots if s.start > now + datetime.timedelta(days=2)]
        if not later:
            continue
        try:
            booking_create_from_web(
                vehicle=vehicle,
                start=later[0].start,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                licence_confirmed=True,
                message="",
            )
        except SlotTaken:
            continue
    return {"testdrive_bookings": Booking.objects.count()}
