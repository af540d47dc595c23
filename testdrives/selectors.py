"""Testdrives' reads. Staff selectors take the user; public ones only show public vehicles."""

import datetime
from dataclasses import dataclass

from django.db.models import BigIntegerField, Count, DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from dealership.accounts.selectors import location_list_for_user
from inventory.models import Vehicle
from leads.services import consultants_on_duty

from .models import ACTIVE_STATUSES, Booking, TestDriveSettings
from .slots import BusyRanges, Slot, free_slots, slot_grid


@dataclass
class Availability:
    location: Location
    settings: TestDriveSettings
    slots: list[tuple[Slot, list[int]]]  # (slot, the free consultants' ids)

    @property
    def slot_list(self) -> list[Slot]:
        return [slot for slot, _consultant in self.slots]

    def days(self) -> list[tuple[datetime.date, list[Slot]]]:
        """Slots grouped by local day, for the picker."""
        tz = self.location.tzinfo
        grouped: dict[datetime.date, list[Slot]] = {}
        for slot, _consultant in self.slots:
            grouped.setdefault(slot.local(tz).date(), []).append(slot)
        return list(grouped.items())

    def slot_at(self, start: datetime.datetime) -> tuple[Slot, list[int]] | None:
        for slot, consultant_ids in self.slots:
            if slot.start == start:
                return slot, consultant_ids
        return None


def testdrive_settings_for(location: Location) -> TestDriveSettings:
    return TestDriveSettings.objects.filter(
        location=location
    ).first() or TestDriveSettings.defaults_for(location)


def vehicle_availability(
    *,
    vehicle: Vehicle,
    now: datetime.datetime | None = None,
    ignore_booking: Booking | None = None,
) -> Availability:
    """The free slots for one vehicle over the location's horizon, in three queries whatever
    the number of bookings: settings, opening hours (none when prefetched), and the busy
    ranges with the consultants on duty.

    `ignore_booking` leaves one booking out (its own slot is free when rescheduling it)."""
    now = now or timezone.now()
    location = vehicle.selling_location
    config = testdrive_settings_for(location)
    tz = location.tzinfo
    hours = {h.weekday: (h.opens, h.closes) for h in location.opening_hours.all()}
    first_day = now.astimezone(tz).date()
    grid = slot_grid(
        tz=tz,
        hours=hours,
        slot=config.slot,
        buffer=config.buffer,
        start_day=first_day,
        days=config.horizon_days + 1,
    )
    if vehicle.transit_eta is not None:
        # A car on its way from another location: drives at the destination from the day
        # it is due to arrive.
        grid = [s for s in grid if s.start.astimezone(tz).date() >= vehicle.transit_eta]
    if not grid:
        return Availability(location, config, [])
    window_start, window_end = grid[0].start, grid[-1].busy_until
    # One round trip for both: the busy ranges of the vehicle and of the consultants on duty,
    # and (UNION ALL, times NULL) the ids of those consultants, busy or not.
    on_duty = consultants_on_duty(location=location).order_by()
    busy = (
        Booking.objects.filter(
            status__in=ACTIVE_STATUSES, start_at__lt=window_end, busy_until__gt=window_start
        )
        .filter(Q(vehicle=vehicle) | Q(consultant__in=on_duty.values("pk")))
        .order_by()
    )
    if ignore_booking is not None:
        busy = busy.exclude(pk=ignore_booking.pk)
    # Typed NULLs: a bare NULL under SELECT DISTINCT is text to PostgreSQL.
    no_time = Cast(Value(None), output_field=DateTimeField())
    # Only annotations, so the columns keep this order (Django puts model fields first).
    people = on_duty.annotate(
        no_vehicle=Cast(Value(None), output_field=BigIntegerField()),
        person=F("pk"),
        no_start=no_time,
        no_end=no_time,
    ).values_list("no_vehicle", "person", "no_start", "no_end")
    rows = busy.values_list("vehicle_id", "consultant_id", "start_at", "busy_until").union(
        people, all=True
    )
    vehicle_ranges = []
    consultant_ranges: dict[int, list] = {}
    busy_rows = []
    for vehicle_id, consultant_id, start, until in rows:
        if start is None:
            consultant_ranges[consultant_id] = []
        else:
            busy_rows.append((vehicle_id, consultant_id, start, until))
    for vehicle_id, consultant_id, start, until in busy_rows:
        if vehicle_id == vehicle.pk:
            vehicle_ranges.append((start, until))
        if consultant_id in consultant_ranges:
            consultant_ranges[consultant_id].append((start, until))
    consultant_ranges = dict(sorted(consultant_ranges.items()))
    # The last day is only partly inside the horizon: cut at now + horizon.
    horizon_end = now + datetime.timedelta(days=config.horizon_days)
    slots = free_slots(
        grid=[s for s in grid if s.start <= horizon_end],
        not_before=now + config.notice,
        vehicle_busy=BusyRanges(vehicle_ranges),
        consultants_busy={pk: BusyRanges(r) for pk, r in consultant_ranges.items()},
    )
    return Availability(location, config, slots)


def vehicle_bookable(*, vehicle_id: int) -> Vehicle | None:
    """A public vehicle (available or reserved) with its location and opening hours."""
    return (
        Vehicle.objects.select_related("location", "transit_to")
        .prefetch_related("location__opening_hours", "transit_to__opening_hours")
        .filter(pk=vehicle_id, status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED])
        .first()
    )


def test_drive_models() -> list[dict]:
    """Makes and models a customer can test-drive, with how many cars of each."""
    return list(
        Vehicle.objects.filter(status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED])
        .values("make", "model")
        .annotate(cars=Count("pk"))
        .order_by("make", "model")
    )


def test_drive_cars(*, make: str, model: str) -> list[Vehicle]:
    return list(
        Vehicle.objects.filter(
            status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED],
            make=make,
            model=model,
        )
        .select_related("location")
        .order_by("location__name", "price", "pk")[:50]
    )


def booking_for_customer(*, booking_id: int) -> Booking | None:
    """A booking reached by its signed link (the token already bound the id)."""
    return (
        Booking.objects.select_related("location", "vehicle", "consultant", "customer")
        .prefetch_related("location__opening_hours")
        .filter(pk=booking_id, kind=Booking.Kind.DRIVE)
        .first()
    )


def booking_list_for_user(*, user: User) -> QuerySet[Booking]:
    return Booking.objects.filter(location__in=location_list_for_user(user=user))


def booking_get_for_user(*, user: User, pk: int) -> Booking:
    """One booking the user may see, with its history; raises Booking.DoesNotExist."""
    return (
        booking_list_for_user(user=user)
        .select_related("location", "vehicle", "consultant", "customer", "lead")
        .prefetch_related("history__changed_by", "location__opening_hours")
        .get(pk=pk)
    )


@dataclass
class CalendarRow:
    key: int
    label: str
    cells: list[list[Booking]]


def calendar(
    *,
    user: User,
    location: Location,
    first_day: datetime.date,
    days: int,
    by: str,
) -> dict:
    """Bookings of one location over `days` local days, as rows (vehicles or consultants)
    by columns (days). Three queries: vehicles or consultants, bookings, nothing per row."""
    tz = location.tzinfo
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        first_day + datetime.timedelta(days=days), datetime.time.min, tzinfo=tz
    )
    bookings = list(
        booking_list_for_user(user=user)
        .filter(location=location, start_at__lt=end, end_at__gt=start)
        .select_related("vehicle", "consultant", "customer")
        .order_by("start_at", "id")
    )
    if by == "consultant":
        people = list(
            User.objects.filter(locations=location, is_active=True, is_staff=True)
            .filter(Q(groups__name="Consultant") | Q(pk__in={b.consultant_id for b in bookings}))
            .distinct()
            .order_by("first_name", "last_name", "pk")
        )
        rows = [CalendarRow(u.pk, u.get_full_name() or u.username, []) for u in people]
        key = "consultant_id"
        unassigned = CalendarRow(0, "", [])
        rows.append(unassigned)
    else:
        vehicles = list(
            Vehicle.objects.filter(location=location)
            .filter(
                Q(status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED])
                | Q(pk__in={b.vehicle_id for b in bookings})
            )
            .order_by("make", "model", "stock_number")
        )
        rows = [CalendarRow(v.pk, f"{v.title} · {v.stock_number}", []) for v in vehicles]
        key = "vehicle_id"
    by_key = {row.key: row for row in rows}
    day_list = [first_day + datetime.timedelta(days=i) for i in range(days)]
    for row in rows:
        row.cells = [[] for _ in day_list]
    for booking in bookings:
        row = by_key.get(getattr(booking, key) or 0)
        if row is None:
            continue
        index = (booking.start_at.astimezone(tz).date() - first_day).days
        if 0 <= index < days:
            row.cells[index].append(booking)
    if by == "consultant" and not any(rows[-1].cells):
        rows.pop()
    return {"rows": rows, "days": day_list, "bookings": bookings}


def vehicles_for_staff_booking(*, location: Location) -> QuerySet[Vehicle]:
    """The vehicles a test drive may be booked in at a location (on sale or reserved)."""
    return (
        Vehicle.objects.filter(
            location=location, status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED]
        )
        .select_related("location")
        .order_by("make", "model", "stock_number")
    )


def vehicle_search(vehicles: QuerySet[Vehicle], q: str) -> QuerySet[Vehicle]:
    """Vehicles whose stock number, make or model contain every word typed ("golf g22")."""
    for word in q.split():
        vehicles = vehicles.filter(
            Q(stock_number__icontains=word) | Q(make__icontains=word) | Q(model__icontains=word)
        )
    return vehicles


def consultants_at(*, location_id: int) -> QuerySet[User]:
    """Active consultants who work at the location, by name."""
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name=Role.CONSULTANT.value,
            locations=location_id,
        )
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )
