"""Orders' reads. Staff querysets are limited to the user's locations."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dealership.accounts.models import User
from dealership.accounts.roles import Role
from dealership.accounts.selectors import location_list_for_user
from inventory.models import Vehicle

from .models import (
    AddOn,
    DeliverySlot,
    Order,
    OrderTransition,
    OrderVersion,
    Payment,
    Quote,
)
from .tokens import order_token_data

S = Order.Status

# How long an order may sit in a status before the desk highlights it.
SLA = {
    S.SUBMITTED: datetime.timedelta(hours=1),
    S.DEPOSIT_PAID: datetime.timedelta(hours=24),
    S.FINANCE_PENDING: datetime.timedelta(hours=24),
    S.FINANCE_APPROVED: datetime.timedelta(hours=24),
    S.CONTRACT_SENT: datetime.timedelta(days=3),
    S.CONTRACT_SIGNED: datetime.timedelta(days=2),
    S.READY_FOR_DELIVERY: datetime.timedelta(days=7),
}

DESK_PAGE_SIZE = 50


def order_list_for_staff(*, user: User) -> QuerySet[Order]:
    """The orders of the user's locations. The location ids are read first (one small query)
    so the desk's partial indexes serve the newest-first page: an IN (subquery) would make
    PostgreSQL sort every order of the location instead."""
    locations = location_list_for_user(user=user)
    if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
        return Order.objects.all()
    return Order.objects.filter(location_id__in=list(locations.values_list("pk", flat=True)))


@dataclass(frozen=True)
class DeskFilters:
    status: str = ""
    location_id: int | None = None
    q: str = ""
    overdue: bool = False


def order_desk(
    *, user: User, filters: DeskFilters, now: datetime.datetime | None = None
) -> list[Order]:
    """One page of the order desk, newest first, in one query; each order carries
    `is_overdue` (past its status's SLA)."""
    now = now or timezone.now()
    qs = order_list_for_staff(user=user).exclude(status=S.DRAFT)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.location_id:
        qs = qs.filter(location_id=filters.location_id)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(reference__iexact=term)
            | Q(customer__search_name__startswith=term.lower())
            | Q(customer__search_name_reversed__startswith=term.lower())
            | Q(vehicle__stock_number__iexact=term)
            | Q(customer__email__iexact=term)
        )
    if filters.overdue:
        late = Q(pk__in=[])
        for status, limit in SLA.items():
            late |= Q(status=status, status_changed_at__lt=now - limit)
        qs = qs.filter(late)
    orders = list(desk_page_queryset(qs))
    for order in orders:
        limit = SLA.get(order.status)
        order.is_overdue = limit is not None and order.status_changed_at < now - limit
    return orders


def desk_page_queryset(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.select_related("customer", "vehicle", "location", "consultant").order_by(
        "-created_at", "-id"
    )[:DESK_PAGE_SIZE]


def order_detail_for_staff(*, user: User, pk: int) -> Order:
    try:
        return (
            order_list_for_staff(user=user)
            .select_related(
                "customer",
                "vehicle",
                "location",
                "consultant",
                "delivery_slot",
                "driver",
                "finance",
            )
            .prefetch_related(
                "add_ons",
                Prefetch("versions", queryset=OrderVersion.objects.order_by("-number")),
                Prefetch(
                    "transitions",
                    queryset=OrderTransition.objects.select_related("by").order_by("at", "id"),
                ),
                Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id")),
                "signatures",
            )
            .get(pk=pk)
        )
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def order_for_customer(*, token: str) -> Order:
    """The order a signed link names; 404 for a bad, expired or revoked link."""
    data = order_token_data(token)
    if data is None:
        raise Http404
    pk, key = data
    order = (
        Order.objects.select_related(
            "customer", "vehicle", "location", "consultant", "delivery_slot", "finance"
        )
        .prefetch_related(
            "add_ons",
            Prefetch("versions", queryset=OrderVersion.objects.order_by("-number")),
            Prefetch("transitions", queryset=OrderTransition.objects.order_by("at", "id")),
            Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id")),
            "signatures",
        )
        .filter(pk=pk, access_key=key)
        .first()
    )
    if order is None:
        raise Http404
    return order


def add_ons_on_sale() -> QuerySet[AddOn]:
    return AddOn.objects.filter(is_active=True)


def vehicle_for_purchase(*, pk: int) -> Vehicle:
    vehicle = (
        Vehicle.objects.select_related("location")
        .filter(pk=pk, status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED])
        .first()
    )
    if vehicle is None:
        raise Http404
    return vehicle


def delivery_slots_open(*, location_id: int, now: datetime.datetime | None = None):
    """The location's slots of the next four weeks (a queryset: forms validate against it)."""
    now = now or timezone.now()
    return (
        DeliverySlot.objects.filter(
            location_id=location_id,
            starts_at__gt=now,
            starts_at__lt=now + datetime.timedelta(days=28),
        )
        .select_related("location")
        .order_by("starts_at")
    )


def drivers_for(*, order: Order) -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_staff=True, locations=order.location_id)


# --- Desking ----------------------------------------------------------------------------------


def quote_list_for_staff(*, user: User) -> QuerySet[Quote]:
    """The quotes of the user's locations (a consultant's branch, a manager's branches)."""
    if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
        return Quote.objects.all()
    locations = location_list_for_user(user=user)
    return Quote.objects.filter(location_id__in=list(locations.values_list("pk", flat=True)))


def quote_recent_for_staff(*, user: User, limit: int = DESK_PAGE_SIZE) -> list[Quote]:
    return list(
        quote_list_for_staff(user=user)
        .select_related("customer", "vehicle", "consultant", "location")
        .order_by("-created_at", "-id")[:limit]
    )


def quote_detail_for_staff(*, user: User, pk: int) -> Quote:
    """One quote with everything its page shows, in three queries; 404 outside the user's
    locations."""
    quote = (
        quote_list_for_staff(user=user)
        .select_related("customer", "vehicle", "location", "consultant", "lead", "order")
        .prefetch_related("options", "add_ons")
        .filter(pk=pk)
        .first()
    )
    if quote is None:
        raise Http404
    return quote


def vehicles_for_desking(*, locations) -> QuerySet[Vehicle]:
    """The cars a deal may be desked for: on sale or reserved, at the given locations."""
    return (
        Vehicle.objects.filter(
            location__in=locations,
            status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED],
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
