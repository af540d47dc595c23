"""Reads: segments a manager may see, a segment's customers, counts and previews."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.models import OwnedVehicle, ServiceAppointment
from dealership.accounts.models import User
from dealership.accounts.roles import Role
from dealership.accounts.selectors import location_list_for_user
from inventory.models import Vehicle
from inventory.pricing import PriceBreakdown, price_breakdown
from leads.models import Customer
from leads.selectors import customer_ids_for_consultant, customer_list_for_user
from orders.models import Order

from .conditions import compile_tree, predicted_km
from .models import Campaign, Recipient, Segment

PREVIEW_SIZE = 50


def _sees_all(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMINISTRATOR)


def _location_filter(user: User | None, field: str) -> Q:
    if user is None or _sees_all(user):
        return Q()
    return Q(**{f"{field}__in": location_list_for_user(user=user).values("pk")})


def segment_list_for_user(*, user: User) -> QuerySet[Segment]:
    """Segments of the user's locations, and those for every location."""
    if _sees_all(user):
        return Segment.objects.select_related("location")
    return Segment.objects.select_related("location").filter(
        Q(location__isnull=True) | _location_filter(user, "location")
    )


def segment_for_user(*, user: User, pk: int) -> Segment:
    return get_object_or_404(segment_list_for_user(user=user), pk=pk)


def customers_base() -> QuerySet[Customer]:
    """Customers a segment can hold: live (not merged away), not erased, not 'no contact'."""
    return Customer.objects.filter(merged_into__isnull=True, do_not_contact=False)


def segment_customers(
    *,
    conditions: dict,
    location_id: int | None = None,
    user: User | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Customer]:
    """The customers matching a validated condition tree, in the segment's location (if any)
    and among the locations `user` works at (if given)."""
    qs = customers_base().filter(_location_filter(user, "location"))
    if location_id:
        qs = qs.filter(location_id=location_id)
    return qs.filter(compile_tree(conditions, now or timezone.now()))


def segment_count(**kwargs) -> int:
    return segment_customers(**kwargs).count()


def segment_preview(**kwargs) -> list[Customer]:
    return list(
        segment_customers(**kwargs)
        .select_related("location", "owner")
        .order_by("last_name", "first_name", "pk")[:PREVIEW_SIZE]
    )


def campaign_list_for_user(*, user: User) -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("segment", "location", "created_by")
    if _sees_all(user):
        return qs
    return qs.filter(Q(location__isnull=True) | _location_filter(user, "location"))


def campaign_for_user(*, user: User, pk: int) -> Campaign:
    return get_object_or_404(campaign_list_for_user(user=user), pk=pk)


def campaign_progress(*, campaign: Campaign) -> dict:
    counts = dict.fromkeys(Recipient.Status.values, 0)
    for row in campaign.recipients.values("status").order_by().annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


# --- Upgrade opportunities (issues 17 and 19) -----------------------------------------------

# The built-in segments that mean "this customer may want a newer car", by their stored
# (English) name: what each one says about the customer is read from its own conditions.
UPGRADE_SEGMENTS = {
    "Owners: car 4+ years or 80,000+ km": "owner",
    "Finance ends within 6 months": "finance",
    "Service visit this week, car 5+ years": "service",
}
UPGRADE_LIMIT = 10


@dataclass
class Opportunity:
    customer: Customer
    reasons: list[str]
    vehicle: OwnedVehicle | None = None  # the car the opportunity is about
    suggestion: Vehicle | None = None  # an in-stock successor
    price: PriceBreakdown | None = None  # the suggestion's all-in price


def _condition_params(tree: dict, kind: str) -> list[dict]:
    if "children" in tree:
        return [p for child in tree["children"] for p in _condition_params(child, kind)]
    return [tree["params"]] if tree.get("type") == kind else []


def _threshold(tree: dict, kind: str, name: str) -> int | None:
    values = [int(p[name]) for p in _condition_params(tree, kind) if name in p]
    return min(values) if values else None


def _car_age(car: OwnedVehicle, today: datetime.date) -> int:
    """Whole years, as the owner_vehicle_age condition counts them."""
    if car.year:
        return today.year - car.year
    years = today.year - car.delivered_on.year
    if (today.month, today.day) < (car.delivered_on.month, car.delivered_on.day):
        years -= 1
    return max(years, 0)


def _months_until(moment: datetime.datetime, now: datetime.datetime) -> int:
    months = (moment.year - now.year) * 12 + moment.month - now.month
    if (moment.day, moment.time()) < (now.day, now.time()):
        months -= 1
    return months


def _service_day_label(day: datetime.date, today: datetime.date) -> str:
    if day == today:
        return _("today")
    if day == today + datetime.timedelta(days=1):
        return _("tomorrow")
    return date_format(day, "l")


def _finance_ends():
    months = Func(
        Value(0), F("term_months"), function="make_interval", output_field=DurationField()
    )
    return ExpressionWrapper(F("delivered_at") + months, output_field=DateTimeField())


def _successor(today: datetime.date):
    """The best in-stock car for an owned one: same make, newer than it, the same model and
    the owner's home branch first, then the cheapest."""
    return (
        Vehicle.objects.filter(
            status=Vehicle.Status.AVAILABLE,
            make__iexact=OuterRef("make"),
            model_year__gt=Coalesce(OuterRef("year"), Value(today.year - 1)),
        )
        .annotate(
            other_model=Case(When(model__iexact=OuterRef("model"), then=Value(0)), default=1),
            other_branch=Case(
                When(location=OuterRef("customer__location"), then=Value(0)), default=1
            ),
        )
        .order_by(
            "other_model",
            "other_branch",
            "price",
            "pk",
        )
        .values("pk")[:1]
    )


def all_in_price(vehicle: Vehicle) -> PriceBreakdown:
    """The price the vehicle page shows (inventory pricing, the vehicle's location)."""
    location = vehicle.location
    return price_breakdown(
        price=vehicle.price,
        documentation_fee=location.documentation_fee,
        tax_rate=location.sales_tax_rate,
        registration=settings.VEHICLE_REGISTRATION_ESTIMATE,
        currency=settings.CURRENCY,
        tax_included=location.prices_include_tax,
        margin_scheme=vehicle.margin_scheme,
    )


def _upgrade_role(user: User) -> str:
    if user.has_role(Role.CONSULTANT):
        return "consultant"
    if user.has_role(Role.SERVICE_ADVISOR):
        return "advisor"
    return ""


def upgrade_opportunities_for(
    *,
    user: User,
    limit: int = UPGRADE_LIMIT,
    now: datetime.datetime | None = None,
    customer_pk: int | None = None,
) -> list[Opportunity]:
    """Customers matching any built-in upgrade segment, with why and an in-stock successor.

    A consultant's own customers (owned, or with a lead assigned to them); a service
    advisor's customers with a service visit this week at his locations; with
    `customer_pk`, that one customer if the user may see it (the customer page). Five
    queries (two when nobody matches), however many customers and cars there are.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_end = today + datetime.timedelta(days=7)
    visits = ServiceAppointment.objects.filter(
        status__in=ServiceAppointment.ACTIVE_STATUSES, day__gte=today, day__lte=week_end
    )
    if customer_pk is not None:
        scope = Q(pk__in=customer_list_for_user(user=user).filter(pk=customer_pk).values("pk"))
    else:
        role = _upgrade_role(user)
        if role == "consultant":
            scope = Q(pk__in=customer_ids_for_consultant(user=user))
        elif role == "advisor":
            visits = visits.filter(location__in=location_list_for_user(user=user).values("pk"))
            scope = Q(pk__in=visits.values("customer_id"))
        else:
            return []
    segments = [
        s
        for s in Segment.objects.filter(builtin=True, name__in=UPGRADE_SEGMENTS).order_by("pk")
        if s.conditions
    ]
    if not segments:
        return []
    matched = {}
    for segment in segments:
        q = compile_tree(segment.conditions, now)
        if segment.location_id:
            q &= Q(location_id=segment.location_id)
        matched[segment.pk] = q
    # In any segment: one `id IN (a UNION b UNION c)`, each part driven from its own small
    # tables (cars, orders, visits). An OR of the segments' conditions made PostgreSQL scan
    # every customer against them (bench_today: ~90 ms of the consultant's Today page).
    members = [customers_base().filter(q).order_by().values("pk") for q in matched.values()]
    any_segment = Q(pk__in=members[0].union(*members[1:]) if len(members) > 1 else members[0])
    visit = visits.filter(customer=OuterRef("pk")).order_by("day", "drop_off_at", "pk")
    finance = (
        Order.objects.filter(
            customer=OuterRef("pk"),
            status=Order.Status.DELIVERED,
            payment_type__in=(Order.PaymentType.FINANCE, Order.PaymentType.LEASE),
            delivered_at__isnull=False,
            term_months__isnull=False,
        )
        .annotate(ends=_finance_ends())
        .filter(ends__gte=now)
        .order_by("ends", "pk")
    )
    customers = list(
        customers_base()
        .filter(scope)
        .filter(any_segment)
        .annotate(
            **{
                f"in_segment_{pk}": ExpressionWrapper(q, output_field=BooleanField())
                for pk, q in matched.items()
            },
            visit_day=Subquery(visit.values("day")[:1]),
            visit_car=Subquery(visit.values("owned_vehicle_id")[:1]),
            finance_ends=Subquery(finance.values("ends")[:1]),
        )
        .select_related("location")
        .order_by(
            F("visit_day").asc(nulls_last=True),
            F("finance_ends").asc(nulls_last=True),
            "last_name",
            "first_name",
            "pk",
        )[:limit]
    )
    if not customers:
        return []
    cars: dict[int, list[OwnedVehicle]] = {}
    for car in (
        OwnedVehicle.objects.filter(
            customer__in=[c.pk for c in customers], status=OwnedVehicle.Status.ACTIVE
        )
        .annotate(predicted=predicted_km(today), successor_id=Subquery(_successor(today)))
        .order_by("pk")
    ):
        cars.setdefault(car.customer_id, []).append(car)
    successor_ids = {car.successor_id for rows in cars.values() for car in rows} - {None}
    successors = {
        v.pk: v for v in Vehicle.objects.filter(pk__in=successor_ids).select_related("location")
    }
    return [
        _opportunity(customer, cars.get(customer.pk, []), successors, segments, today, now)
        for customer in customers
    ]


def _opportunity(customer, cars, successors, segments, today, now) -> Opportunity:
    reasons: list[str] = []
    focus: OwnedVehicle | None = None
    kinds = {
        UPGRADE_SEGMENTS[s.name]: s.conditions
        for s in segments
        if getattr(customer, f"in_segment_{s.pk}")
    }
    if "service" in kinds and customer.visit_day:
        focus = next((c for c in cars if c.pk == customer.visit_car), None)
        if focus is not None:
            years = _car_age(focus, today)
            reasons.append(
                ngettext(
                    "in for service %(day)s, car %(years)s year",
                    "in for service %(day)s, car %(years)s years",
                    years,
                )
                % {"day": _service_day_label(customer.visit_day, today), "years": years}
            )
    if "owner" in kinds:
        tree = kinds["owner"]
        min_years = _threshold(tree, "owner_vehicle_age", "years")
        min_km = _threshold(tree, "owner_mileage", "km")
        due = [
            c
            for c in cars
            if (min_years is not None and _car_age(c, today) >= min_years)
            or (min_km is not None and c.predicted >= min_km)
        ]
        due.sort(key=lambda c: (-_car_age(c, today), -c.predicted, c.pk))
        if due and due[0] != focus:
            car = due[0]
            years = _car_age(car, today)
            if min_years is not None and years >= min_years:
                reason = ngettext("car %(years)s year old", "car %(years)s years old", years) % {
                    "years": years
                }
            else:
                reason = _("car at about %(km)s km") % {
                    "km": number_format(int(car.predicted), force_grouping=True)
                }
            reasons.append(reason)
            focus = focus or car
    if "finance" in kinds and customer.finance_ends:
        months = _months_until(customer.finance_ends, now)
        if months < 1:
            reasons.append(_("finance ends within a month"))
        else:
            reasons.append(
                ngettext(
                    "finance ends in %(months)s month", "finance ends in %(months)s months", months
                )
                % {"months": months}
            )
    if focus is None and cars:
        focus = min(cars, key=lambda c: (-_car_age(c, today), c.pk))
    suggestion = successors.get(focus.successor_id) if focus is not None else None
    return Opportunity(
        customer=customer,
        reasons=reasons,
        vehicle=focus,
        suggestion=suggestion,
        price=all_in_price(suggestion) if suggestion else None,
    )


def upgrade_opportunity_for_customer(*, user: User, pk: int) -> Opportunity | None:
    """The customer page's opportunity: None if the customer matches no upgrade segment,
    404 if the user may not see the customer (another location's: 404 too)."""
    get_object_or_404(customer_list_for_user(user=user).values("pk"), pk=pk)
    found = upgrade_opportunities_for(user=user, limit=1, customer_pk=pk)
    return found[0] if found else None
