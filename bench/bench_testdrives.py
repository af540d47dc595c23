"""Slot computation for one vehicle over 14 days with 10,000 bookings at its location (9,000
past, 1,000 in the coming two weeks on 200 other cars, four consultants busy), against the
floor of one indexed query reading the vehicle's own bookings in the window. Also checks the
query count does not grow with the data."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import measure, report
from dealership.accounts.models import Location, OpeningHours, User
from dealership.accounts.roles import Role
from inventory.models import Vehicle
from testdrives.models import Booking
from testdrives.selectors import vehicle_availability

CARS = 200
PAST = 9_000
UPCOMING = 1_000


def _location() -> Location:
    location, _ = Location.objects.get_or_create(
        slug="bench-testdrives",
        defaults={
            "name": "Bench Test Drives",
            "street": "Benchstraße 1",
            "postal_code": "04107",
            "city": "Leipzig",
            "country": "DE",
            "phone": "+49 341 555 0100",
            "email": "bench@showroom.example",
            "time_zone": "Europe/Berlin",
            "sales_tax_rate": Decimal("19.000"),
        },
    )
    for weekday in range(6):
        OpeningHours.objects.get_or_create(
            location=location,
            weekday=weekday,
            defaults={"opens": datetime.time(9), "closes": datetime.time(19)},
        )
    return location


def _consultants(location: Location) -> list[User]:
    group, _ = Group.objects.get_or_create(name=Role.CONSULTANT.value)
    users = []
    for n in range(4):
        user, _ = User.objects.get_or_create(
            username=f"bench-consultant-{n}", defaults={"is_staff": True}
        )
        user.groups.add(group)
        user.locations.add(location)
        users.append(user)
    return users


def _vehicles(location: Location) -> list[Vehicle]:
    Vehicle.objects.filter(location=location).delete()
    vehicles = [
        Vehicle(
            vin=f"BENCHTD{n:010d}",
            stock_number=f"BT{n:05d}",
            slug=f"bench-td-{n}",
            location=location,
            condition=Vehicle.Condition.USED,
            make="Volkswagen",
            model="Golf",
            model_year=2022,
            body_type=Vehicle.BodyType.HATCHBACK,
            fuel=Vehicle.Fuel.PETROL,
            transmission=Vehicle.Transmission.MANUAL,
            drivetrain=Vehicle.Drivetrain.FWD,
            mileage=30_000,
            exterior_colour=Vehicle.Colour.BLUE,
            list_price=Decimal("24990.00"),
            status=Vehicle.Status.AVAILABLE,
        )
        for n in range(CARS + 1)
    ]
    return Vehicle.objects.bulk_create(vehicles)


def _fill(location: Location, cars: list[Vehicle], consultants: list[User]) -> None:
    """Set-based: every (car, day) pair gets at most one drive, and each consultant drives
    only one car, so no row breaks the exclusion constraints."""
    car_ids = [c.pk for c in cars[1:]]
    consultant_ids = [c.pk for c in consultants]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM testdrives_booking WHERE location_id = %s", [location.pk])
        for count, first_day, status in ((PAST, -60, "completed"), (UPCOMING, 1, "confirmed")):
            cursor.execute(
                """
                INSERT INTO testdrives_booking (
                    kind, location_id, vehicle_id, consultant_id, customer_id, lead_id,
                    start_at, end_at, busy_until, status, channel, version, message,
                    licence_confirmed, reason, cancelled_by, outcome, created_at, updated_at)
                SELECT 'block', %(location)s, (%(cars)s::bigint[])[1 + n %% %(ncars)s],
                       CASE WHEN n %% %(ncars)s < 4
                            THEN (%(consultants)s::bigint[])[1 + n %% %(ncars)s] END,
                       NULL, NULL, t, t + interval '45 minutes', t + interval '60 minutes',
                       %(status)s, 'staff', 1, '', true, 'bench', '', '', now(), now()
                FROM (
                    SELECT n, ((current_date + (%(first)s + n / %(ncars)s) * interval '1 day'
                                + (9 + n %% 9) * interval '1 hour')
                               AT TIME ZONE 'Europe/Berlin') AS t
                    FROM generate_series(0, %(count)s - 1) AS n
                ) AS grid
                """,
                {
                    "location": location.pk,
                    "cars": car_ids,
                    "ncars": len(car_ids),
                    "consultants": consultant_ids,
                    "status": status,
                    "first": first_day,
                    "count": count,
                },
            )
        cursor.execute("ANALYZE testdrives_booking")


def main() -> None:
    with transaction.atomic():
        location = _location()
        consultants = _consultants(location)
        cars = _vehicles(location)
    target = Vehicle.objects.select_related("location").get(pk=cars[0].pk)

    with CaptureQueriesContext(connection) as empty:
        vehicle_availability(vehicle=target)
    _fill(location, cars, consultants)
    total = Booking.objects.filter(location=location).count()
    with CaptureQueriesContext(connection) as full:
        slots = vehicle_availability(vehicle=target).slot_list
    print(
        f"{total} bookings at the location; {len(slots)} free slots; "
        f"queries: {len(empty)} with no bookings, {len(full)} with {total}",
        flush=True,
    )

    now = timezone.now()
    horizon = now + datetime.timedelta(days=15)

    def floor():
        list(
            Booking.objects.filter(
                vehicle=target, start_at__lt=horizon, busy_until__gt=now
            ).values_list("start_at", "busy_until")
        )

    floor_timing = measure("floor: the vehicle's bookings, one query", floor, repeat=50)
    timing = measure(
        "vehicle_availability (14 days, 10,000 bookings)",
        lambda: vehicle_availability(vehicle=target),
        repeat=50,
    )
    report(floor_timing)
    report(timing, floor_timing)
    # The busy-ranges query exactly as vehicle_availability runs it.
    busy = Booking.objects.filter(
        status__in=["requested", "confirmed", "checked_in", "completed"],
        start_at__lt=horizon,
        busy_until__gt=now,
    ).filter(Q(vehicle=target) | Q(consultant__in=[c.pk for c in consultants]))
    print(busy.values_list("start_at").explain(analyze=True, costs=False, timing=False), flush=True)
