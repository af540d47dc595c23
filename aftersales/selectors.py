"""After-sales reads. Staff selectors take the user and return only their locations' rows."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from dealership.accounts.selectors import location_list_for_user

from .models import (
    Complaint,
    OwnedVehicle,
    RecallVehicle,
    ServiceAppointment,
    ServiceItem,
    ServiceRecord,
)
from .services.recalls import recalls_open_by_location


def customer_timeline(*, customer, limit: int) -> list[dict]:
    """Owned vehicles, service visits and complaints for the customer 360 (three queries)."""
    entries = []
    for ov in OwnedVehicle.objects.filter(customer=customer).order_by("-created_at")[:limit]:
        entries.append(
            {
                "at": ov.created_at,
                "kind": "external",
                "label": _("Owns %(vehicle)s") % {"vehicle": ov.label},
                "detail": _("VIN %(vin)s · %(status)s · %(km)s km")
                % {"vin": ov.vin, "status": ov.get_status_display(), "km": ov.odometer_km},
                "url": "",
            }
        )
    visits = (
        ServiceAppointment.objects.filter(customer=customer)
        .select_related("owned_vehicle")
        .order_by("-drop_off_at")[:limit]
    )
    for appt in visits:
        detail = appt.get_status_display()
        if appt.status == ServiceAppointment.Status.COMPLETED:
            detail = f"{detail} · {appt.work_done} · {appt.price}"
        entries.append(
            {
                "at": appt.completed_at or appt.drop_off_at,
                "kind": "external",
                "label": _("Service visit: %(vehicle)s") % {"vehicle": appt.owned_vehicle.label},
                "detail": detail,
                "url": reverse("aftersales:appointment_detail", kwargs={"pk": appt.pk}),
            }
        )
    for complaint in Complaint.objects.filter(customer=customer).order_by("-created_at")[:limit]:
        entries.append(
            {
                "at": complaint.created_at,
                "kind": "external",
                "label": _("Complaint #%(number)s: %(subject)s")
                % {"number": complaint.pk, "subject": complaint.subject},
                "detail": complaint.get_status_display(),
                "url": reverse("aftersales:complaint_detail", kwargs={"pk": complaint.pk}),
            }
        )
    return entries


def _location_ids(user: User):
    return location_list_for_user(user=user).values("id")


def workshop_locations(*, user: User) -> QuerySet[Location]:
    return location_list_for_user(user=user).filter(is_active=True).order_by("name")


def workshop_day(*, user: User, location_id: int, day: datetime.date) -> list[ServiceAppointment]:
    """A location's appointments on one day, by drop-off time, with car, customer, services
    and open recalls: a fixed number of queries whatever the count."""
    return list(
        ServiceAppointment.objects.filter(
            location_id=location_id, location__in=_location_ids(user), day=day
        )
        .exclude(status=ServiceAppointment.Status.CANCELLED)
        .select_related("owned_vehicle", "customer", "location")
        .prefetch_related(
            "items",
            Prefetch(
                "owned_vehicle__recalls",
                queryset=RecallVehicle.objects.filter(remedied_at__isnull=True).select_related(
                    "campaign"
                ),
                to_attr="open_recalls",
            ),
        )
        .order_by("drop_off_at", "id")
    )


def appointment_today_row(*, user: User, pk: int) -> ServiceAppointment:
    """One appointment as the staff home's workshop board shows it (with `open_recall`)."""
    open_recall = RecallVehicle.objects.filter(
        owned_vehicle=OuterRef("owned_vehicle"), remedied_at__isnull=True
    )
    return (
        ServiceAppointment.objects.filter(location__in=_location_ids(user))
        .annotate(open_recall=Exists(open_recall))
        .select_related("customer", "owned_vehicle", "location")
        .get(pk=pk)
    )


def appointment_for_user(*, user: User, pk: int) -> ServiceAppointment:
    return (
        ServiceAppointment.objects.filter(location__in=_location_ids(user))
        .select_related("owned_vehicle__plan", "customer", "location")
        .prefetch_related(
            "items",
            Prefetch(
                "owned_vehicle__recalls",
                queryset=RecallVehicle.objects.filter(remedied_at__isnull=True).select_related(
                    "campaign"
                ),
                to_attr="open_recalls",
            ),
        )
        .get(pk=pk)
    )


def service_history(*, owned_vehicle: OwnedVehicle) -> list[ServiceRecord]:
    return list(
        ServiceRecord.objects.filter(owned_vehicle=owned_vehicle).order_by("-done_on", "-id")
    )


def complaint_list_for_user(*, user: User, status: str = "") -> QuerySet[Complaint]:
    qs = Complaint.objects.filter(location__in=_location_ids(user)).select_related(
        "customer", "location", "handler"
    )
    if status == "open":
        qs = qs.filter(status__in=Complaint.OPEN_STATUSES)
    elif status in Complaint.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("target_at", "id")


def complaint_for_user(*, user: User, pk: int) -> Complaint:
    return (
        complaint_list_for_user(user=user)
        .select_related("owned_vehicle", "appointment")
        .prefetch_related("notes__by")
        .get(pk=pk)
    )


def recall_report_for_user(*, user: User) -> list[dict]:
    return recalls_open_by_location(location_ids=_location_ids(user))


def owned_vehicle_list_for_user(*, user: User) -> QuerySet[OwnedVehicle]:
    return OwnedVehicle.objects.filter(location__in=_location_ids(user)).select_related(
        "customer", "location"
    )


def owned_vehicles_for_booking(*, user: User, customer) -> QuerySet[OwnedVehicle]:
    """The customer's active cars serviced at the user's locations."""
    return owned_vehicle_list_for_user(user=user).filter(
        customer=customer, status=OwnedVehicle.Status.ACTIVE
    )


def service_items_for(*, vehicles: QuerySet[OwnedVehicle]) -> QuerySet[ServiceItem]:
    """The plan items of these cars, each plan's in its own order."""
    return ServiceItem.objects.filter(plan_id__in=vehicles.values("plan_id"))
