"""The staff home ("Today"): the work waiting for this person now, per role, not a menu.

It sits at the top of the import order (like reports) and reads every app's tables. Each
section is one query (a list capped at `LIMIT` rows, or one aggregate), so the page costs
the same with ten leads or a million.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.models import RecallVehicle, ServiceAppointment, ServiceReminder, WorkshopCapacity
from campaigns.selectors import upgrade_opportunities_for
from conversations.selectors import unread_customers_for_user
from dealership.accounts.models import Location, User
from dealership.accounts.roles import MANAGER_ROLES, Role
from dealership.accounts.selectors import location_list_for_user
from leads.models import Lead, Task
from orders.models import Order
from surveys.models import Invitation
from testdrives.models import Booking

LIMIT = 10
UNREAD_LIMIT = 5
OPEN_LEAD = ~Q(status__in=[Lead.Status.WON, Lead.Status.LOST])
# Where the next step is the staff's, not the customer's.
ORDERS_WAITING_ON_STAFF = (
    Order.Status.DEPOSIT_PAID,
    Order.Status.FINANCE_APPROVED,
    Order.Status.CONTRACT_SIGNED,
    Order.Status.READY_FOR_DELIVERY,
)
ORDER_ACTIVE = (*ORDERS_WAITING_ON_STAFF, Order.Status.SUBMITTED, Order.Status.FINANCE_PENDING)
ORDER_STUCK_AFTER = datetime.timedelta(days=3)
BOOKING_OPEN = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED, Booking.Status.CHECKED_IN)


@dataclass
class Today:
    role: str  # "consultant", "manager", "advisor" or "" (none of them)
    location: Location | None  # whose day and zone "today" means
    day_start: datetime.datetime
    now: datetime.datetime
    sections: dict = field(default_factory=dict)

    @property
    def week_rows(self) -> list[tuple[str, dict]]:
        week = self.sections.get("week") or {}
        labels = {
            "leads": _("New leads"),
            "drives": _("Test drives done"),
            "orders": _("Orders placed"),
            "deliveries": _("Cars delivered"),
        }
        return [(label, week[key]) for key, label in labels.items() if key in week]


def _day(
    user: User, now: datetime.datetime, locations: list[Location] | None = None
) -> tuple[Location | None, datetime.datetime]:
    """The user's first location (by name) and the start of today there. `locations`: the
    user's own locations already loaded (the page lists them), to spare the query."""
    if locations is None:
        location = user.locations.order_by("name", "pk").first()
    else:
        location = min(locations, key=lambda loc: (loc.name, loc.pk), default=None)
    if location is None:
        return None, now.replace(hour=0, minute=0, second=0, microsecond=0)
    local = location.localtime(now)
    return location, local.replace(hour=0, minute=0, second=0, microsecond=0)


def consultant_today(user: User, *, now: datetime.datetime, day_start) -> dict:
    day_end = day_start + datetime.timedelta(days=1)
    tomorrow_end = day_start + datetime.timedelta(days=2)
    return {
        "waiting": list(
            Lead.objects.filter(OPEN_LEAD, assigned_to=user, first_response_at__isnull=True)
            .select_related("customer", "location")
            .order_by("response_due_at", "id")[:LIMIT]
        ),
        "drives": list(
            Booking.objects.filter(
                consultant=user,
                status__in=BOOKING_OPEN,
                start_at__gte=day_start,
                start_at__lt=tomorrow_end,
            )
            .select_related("customer", "vehicle", "location")
            .order_by("start_at", "id")[:LIMIT]
        ),
        "tasks": list(
            Task.objects.filter(owner=user, completed_at__isnull=True, due_at__lt=day_end)
            .select_related("customer__location", "lead")
            .order_by("due_at", "id")[:LIMIT]
        ),
        "orders": list(
            Order.objects.filter(consultant=user, status__in=ORDERS_WAITING_ON_STAFF)
            .select_related("customer", "vehicle", "location")
            .order_by("status_changed_at", "id")[:LIMIT]
        ),
        "unread": unread_customers_for_user(user=user, limit=UNREAD_LIMIT),
        "upgrades": upgrade_opportunities_for(user=user, limit=LIMIT, now=now),
    }


def manager_today(user: User, *, now: datetime.datetime, day_start) -> dict:
    locations = location_list_for_user(user=user).values("pk")
    week = day_start - datetime.timedelta(days=day_start.weekday())
    last_week = week - datetime.timedelta(days=7)
    leads = Lead.objects.filter(OPEN_LEAD, location__in=locations)
    breach = Q(first_response_at__isnull=True, response_due_at__lt=now)
    breaches = leads.filter(breach)
    unassigned = leads.filter(assigned_to__isnull=True)
    # Both counts in one aggregate: the WHERE is the OR of the two partial indexes'
    # conditions (lead_unanswered_due, lead_unassigned_open: a BitmapOr of two small scans),
    # each count a FILTER over those rows.
    counts = leads.filter(breach | Q(assigned_to__isnull=True)).aggregate(
        breaches=Count("pk", filter=breach), unassigned=Count("pk", filter=Q(assigned_to=None))
    )

    def this_and_last(stamp: str, only: Q | None = None, prefix: str = "") -> tuple[Q, dict]:
        """The two weeks' rows (an index range on the stamp: the FILTERs alone would count
        over every row of the locations, the whole lead table) and the two counts."""
        only = only or Q()
        this = Q(**{f"{stamp}__gte": week, f"{stamp}__lt": now})
        last = Q(**{f"{stamp}__gte": last_week, f"{stamp}__lt": now - (week - last_week)})
        rows = Q(**{f"{stamp}__gte": last_week, f"{stamp}__lt": now}) & only
        return rows, {
            f"{prefix}this": Count("pk", filter=this & only),
            f"{prefix}last": Count("pk", filter=last & only),
        }

    def week_counts(qs, stamp: str) -> dict:
        rows, counts = this_and_last(stamp)
        return qs.filter(rows).aggregate(**counts)

    # Orders placed and cars delivered: one aggregate over the orders table.
    placed_rows, placed = this_and_last(
        "created_at", ~Q(status__in=[Order.Status.DRAFT, Order.Status.CANCELLED]), "placed_"
    )
    delivered_rows, delivered = this_and_last(
        "delivered_at", Q(status=Order.Status.DELIVERED), "delivered_"
    )
    orders_week = (
        Order.objects.filter(location__in=locations)
        .filter(placed_rows | delivered_rows)
        .aggregate(**placed, **delivered)
    )

    return {
        "breaches": list(
            breaches.select_related("customer", "location", "assigned_to").order_by(
                "response_due_at", "id"
            )[:LIMIT]
        ),
        "breach_count": counts["breaches"],
        "unassigned": list(
            unassigned.select_related("customer", "location").order_by("created_at", "id")[:LIMIT]
        ),
        "unassigned_count": counts["unassigned"],
        "drives_by_consultant": list(
            Booking.objects.filter(
                location__in=locations,
                start_at__gte=day_start,
                start_at__lt=day_start + datetime.timedelta(days=1),
            )
            .exclude(status=Booking.Status.CANCELLED)
            .values("consultant__first_name", "consultant__last_name", "consultant__username")
            .annotate(count=Count("pk"))
            .order_by("-count", "consultant__last_name")
        ),
        "stuck": list(
            Order.objects.filter(
                location__in=locations,
                status__in=ORDER_ACTIVE,
                status_changed_at__lt=now - ORDER_STUCK_AFTER,
            )
            .select_related("customer", "vehicle", "consultant")
            .order_by("status_changed_at", "id")[:LIMIT]
        ),
        "detractors": list(
            Invitation.objects.filter(
                location__in=locations,
                follow_up_task__isnull=False,
                follow_up_task__completed_at__isnull=True,
            )
            .select_related("customer", "follow_up_task__owner")
            .order_by("submitted_at", "id")[:LIMIT]
        ),
        "week": {
            "leads": week_counts(Lead.objects.filter(location__in=locations), "created_at"),
            "drives": week_counts(
                Booking.objects.filter(location__in=locations, status=Booking.Status.COMPLETED),
                "start_at",
            ),
            "orders": {"this": orders_week["placed_this"], "last": orders_week["placed_last"]},
            "deliveries": {
                "this": orders_week["delivered_this"],
                "last": orders_week["delivered_last"],
            },
        },
    }


REMINDER_WINDOW = datetime.timedelta(days=30)


def advisor_today(user: User, *, now: datetime.datetime, day_start) -> dict:
    locations = location_list_for_user(user=user).values("pk")
    open_recall = RecallVehicle.objects.filter(
        owned_vehicle=OuterRef("owned_vehicle"), remedied_at__isnull=True
    )
    booked_since = ServiceAppointment.objects.filter(
        owned_vehicle=OuterRef("owned_vehicle"), created_at__gte=OuterRef("queued_at")
    ).exclude(status=ServiceAppointment.Status.CANCELLED)
    appointments = list(
        ServiceAppointment.objects.filter(location__in=locations, day=day_start.date())
        .exclude(status=ServiceAppointment.Status.CANCELLED)
        .annotate(open_recall=Exists(open_recall))
        .select_related("customer", "owned_vehicle", "location")
        .order_by("drop_off_at", "id")[: LIMIT * 3]
    )
    return {
        "appointments": appointments,
        "by_hour": workshop_by_hour(appointments),
        "capacity": WorkshopCapacity.objects.filter(location__in=locations)
        .order_by("location__name", "location_id")
        .select_related("location")
        .first(),
        "unbooked_reminders": list(
            ServiceReminder.objects.filter(
                owned_vehicle__location__in=locations,
                queued_at__gte=now - REMINDER_WINDOW,
                queued_at__lt=now - datetime.timedelta(days=3),
            )
            .exclude(Exists(booked_since))
            .select_related("owned_vehicle__customer", "owned_vehicle__location", "item")
            .order_by("queued_at", "id")[:LIMIT]
        ),
        "upgrades": upgrade_opportunities_for(user=user, limit=LIMIT, now=now),
    }


@dataclass
class WorkshopHour:
    start: datetime.datetime  # the local hour the cars are dropped off in
    appointments: list

    @property
    def label(self) -> str:
        return self.start.strftime("%H:%M")


def workshop_by_hour(appointments: list) -> list[WorkshopHour]:
    """The day's appointments grouped by the local hour of drop-off (each in its location's
    zone), in drop-off order. The workshop's capacity is per day (WorkshopCapacity), not per
    hour, so the board shows that beside the hours."""
    hours: list[WorkshopHour] = []
    for appointment in appointments:
        local = appointment.location.localtime(appointment.drop_off_at)
        start = local.replace(minute=0, second=0, microsecond=0)
        if hours and hours[-1].start == start:
            hours[-1].appointments.append(appointment)
        else:
            hours.append(WorkshopHour(start, [appointment]))
    return hours


def today_for(
    user: User, *, now: datetime.datetime | None = None, locations: list[Location] | None = None
) -> Today:
    """`locations`: the user's own locations, when the caller has them loaded already."""
    now = now or timezone.now()
    location, day_start = _day(user, now, locations)
    if user.has_role(*MANAGER_ROLES):
        return Today(
            "manager", location, day_start, now, manager_today(user, now=now, day_start=day_start)
        )
    if user.has_role(Role.SERVICE_ADVISOR) and not user.has_role(Role.CONSULTANT):
        return Today(
            "advisor", location, day_start, now, advisor_today(user, now=now, day_start=day_start)
        )
    if user.has_role(Role.CONSULTANT):
        return Today(
            "consultant",
            location,
            day_start,
            now,
            consultant_today(user, now=now, day_start=day_start),
        )
    return Today("", location, day_start, now)
