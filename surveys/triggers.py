"""The trigger registry: for each touchpoint, "what is due and has no invitation yet".

A trigger is a pull: a set-based query over a lower app's records in a time window, minus
those that already have an invitation (any status, so a skipped one is not retried). Running
it twice finds nothing the second time, and the invitation's unique dedupe key settles a race.
Surveys sits above leads, test drives, orders and after-sales in the layers, so it may read
their models; they never import surveys.

Wired: a lead won (purchase), a test drive completed, a delivery, a service visit completed
and a complaint resolved. Each is one query; a touchpoint is added with a function and a
TRIGGERS entry.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from django.db.models import CharField, Exists, IntegerField, OuterRef, QuerySet, Value
from django.db.models.functions import Cast

from aftersales.models import Complaint, ServiceAppointment
from leads.models import Lead
from orders.models import Order
from testdrives.models import Booking, BookingStatusChange

from .models import Invitation, Touchpoint


@dataclass(frozen=True)
class Due:
    source_id: str
    customer_id: int
    location_id: int
    consultant_id: int | None
    occurred_at: datetime.datetime


@dataclass(frozen=True)
class Trigger:
    touchpoint: str
    # The touchpoint is due this long after it happened ...
    delay: datetime.timedelta
    # ... and stays due for this long (a survey switched on today does not ask about last year).
    window: datetime.timedelta
    rows: Callable[[datetime.datetime, datetime.datetime], Iterable[Due]]

    def due(self, *, now: datetime.datetime, limit: int) -> list[Due]:
        until = now - self.delay
        return list(islice(self.rows(until - self.window, until), limit))


def without_invitation(qs: QuerySet, touchpoint: str, pk: str = "pk") -> QuerySet:
    """Rows of qs that no invitation for this touchpoint names as its source."""
    return qs.exclude(
        Exists(
            Invitation.objects.filter(
                touchpoint=touchpoint, source_id=Cast(OuterRef(pk), output_field=CharField())
            )
        )
    )


def leads_won(since: datetime.datetime, until: datetime.datetime) -> Iterable[Due]:
    qs = Lead.objects.filter(
        status=Lead.Status.WON,
        won_at__gt=since,
        won_at__lte=until,
        customer__merged_into__isnull=True,
    )
    rows = (
        without_invitation(qs, Touchpoint.PURCHASE)
        .order_by("won_at", "pk")
        .values_list("pk", "customer_id", "location_id", "assigned_to_id", "won_at")
    )
    for pk, customer_id, location_id, consultant_id, won_at in rows.iterator(chunk_size=500):
        yield Due(str(pk), customer_id, location_id, consultant_id, won_at)


def _due_rows(rows: QuerySet) -> Iterable[Due]:
    for pk, customer_id, location_id, consultant_id, occurred_at in rows.iterator(chunk_size=500):
        yield Due(str(pk), customer_id, location_id, consultant_id, occurred_at)


def test_drives_completed(since: datetime.datetime, until: datetime.datetime) -> Iterable[Due]:
    # A booking has no completion column: the history row of its move to "completed" is the
    # moment it ended. Completed is final, so a booking has at most one such row.
    qs = BookingStatusChange.objects.filter(
        to_status=Booking.Status.COMPLETED,
        changed_at__gt=since,
        changed_at__lte=until,
        booking__kind=Booking.Kind.DRIVE,
        booking__status=Booking.Status.COMPLETED,
        booking__customer__merged_into__isnull=True,
    )
    return _due_rows(
        without_invitation(qs, Touchpoint.TEST_DRIVE, pk="booking_id")
        .order_by("changed_at", "booking_id")
        .values_list(
            "booking_id",
            "booking__customer_id",
            "booking__location_id",
            "booking__consultant_id",
            "changed_at",
        )
    )


def orders_delivered(since: datetime.datetime, until: datetime.datetime) -> Iterable[Due]:
    qs = Order.objects.filter(
        status=Order.Status.DELIVERED,
        delivered_at__gt=since,
        delivered_at__lte=until,
        customer__merged_into__isnull=True,
    )
    return _due_rows(
        without_invitation(qs, Touchpoint.DELIVERY)
        .order_by("delivered_at", "pk")
        .values_list("pk", "customer_id", "location_id", "consultant_id", "delivered_at")
    )


def service_visits_completed(since: datetime.datetime, until: datetime.datetime) -> Iterable[Due]:
    qs = ServiceAppointment.objects.filter(
        status=ServiceAppointment.Status.COMPLETED,
        completed_at__gt=since,
        completed_at__lte=until,
        customer__merged_into__isnull=True,
    )
    # The workshop has no consultant on the visit: results count it for the location only.
    return _due_rows(
        without_invitation(qs, Touchpoint.SERVICE)
        .order_by("completed_at", "pk")
        .values_list(
            "pk",
            "customer_id",
            "location_id",
            Value(None, output_field=IntegerField()),
            "completed_at",
        )
    )


def complaints_resolved(since: datetime.datetime, until: datetime.datetime) -> Iterable[Due]:
    # Resolved or already closed after resolving: either way the customer heard the outcome.
    # A complaint reopened (back in progress) waits until it is resolved again.
    qs = Complaint.objects.filter(
        status__in=[Complaint.Status.RESOLVED, Complaint.Status.CLOSED],
        resolved_at__gt=since,
        resolved_at__lte=until,
        customer__merged_into__isnull=True,
    )
    return _due_rows(
        without_invitation(qs, Touchpoint.COMPLAINT)
        .order_by("resolved_at", "pk")
        .values_list("pk", "customer_id", "location_id", "handler_id", "resolved_at")
    )


TRIGGERS: dict[str, Trigger] = {
    Touchpoint.PURCHASE: Trigger(
        touchpoint=Touchpoint.PURCHASE,
        delay=datetime.timedelta(days=1),
        window=datetime.timedelta(days=14),
        rows=leads_won,
    ),
    Touchpoint.TEST_DRIVE: Trigger(
        touchpoint=Touchpoint.TEST_DRIVE,
        delay=datetime.timedelta(days=1),
        window=datetime.timedelta(days=7),
        rows=test_drives_completed,
    ),
    Touchpoint.DELIVERY: Trigger(
        touchpoint=Touchpoint.DELIVERY,
        delay=datetime.timedelta(days=7),
        window=datetime.timedelta(days=14),
        rows=orders_delivered,
    ),
    Touchpoint.SERVICE: Trigger(
        touchpoint=Touchpoint.SERVICE,
        delay=datetime.timedelta(days=2),
        window=datetime.timedelta(days=14),
        rows=service_visits_completed,
    ),
    Touchpoint.COMPLAINT: Trigger(
        touchpoint=Touchpoint.COMPLAINT,
        delay=datetime.timedelta(days=1),
        window=datetime.timedelta(days=14),
        rows=complaints_resolved,
    ),
}
