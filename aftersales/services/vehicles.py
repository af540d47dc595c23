"""Owned vehicles: registration, odometer readings and the stored next-due service."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import Location
from inventory.models import Vehicle
from inventory.vin import validate_vin
from leads.models import Customer

from .. import due as due_maths
from ..models import MaintenancePlan, OdometerReading, OwnedVehicle, ServiceItem, ServiceRecord

logger = logging.getLogger(__name__)


def plan_for(*, make: str, model: str, fuel: str) -> MaintenancePlan | None:
    """The most specific active plan matching the car (blank fields match anything)."""
    plans = MaintenancePlan.objects.filter(
        Q(make="") | Q(make__iexact=make),
        Q(model="") | Q(model__iexact=model),
        Q(fuel="") | Q(fuel=fuel),
        is_active=True,
    )
    return max(plans, key=lambda p: (p.specificity, -p.pk), default=None)


def owned_vehicle_recompute_due(*, owned_vehicle: OwnedVehicle, save: bool = True) -> OwnedVehicle:
    """Resolve the plan and store the next due item, due date / km and remind-from date."""
    ov = owned_vehicle
    ov.plan = plan_for(make=ov.make, model=ov.model, fuel=ov.fuel)
    rules = []
    if ov.plan is not None:
        rules = [
            due_maths.ItemRule(
                id=i.id,
                interval_months=i.interval_months,
                interval_km=i.interval_km,
                remind_days_ahead=i.remind_days_ahead,
                remind_km_ahead=i.remind_km_ahead,
                position=i.position,
            )
            for i in ServiceItem.objects.filter(plan=ov.plan)
        ]
    last_done: dict[int, tuple[datetime.date, int | None]] = {}
    if ov.pk and rules:
        for item_id, done_on, km in (
            ServiceRecord.objects.filter(owned_vehicle=ov, item_id__in=[r.id for r in rules])
            .order_by("done_on", "id")
            .values_list("item_id", "done_on", "odometer_km")
        ):
            last_done[item_id] = (done_on, km)
    result = due_maths.next_due(
        rules,
        last_done=last_done,
        delivered_on=ov.delivered_on,
        delivery_km=ov.first_odometer_km,
        odometer_km=ov.odometer_km,
        odometer_on=ov.odometer_on,
        km_per_day=ov.effective_km_per_day,
    )
    ov.next_item_id = result.item_id if result else None
    ov.next_due_on = result.due_on if result else None
    ov.next_due_km = result.due_km if result else None
    ov.next_due_by = result.by if result else ""
    ov.next_remind_on = result.remind_on if result else None
    if save:
        ov.save(
            update_fields=[
                "plan",
                "next_item",
                "next_due_on",
                "next_due_km",
                "next_due_by",
                "next_remind_on",
                "updated_at",
            ]
        )
    return ov


@transaction.atomic
def owned_vehicle_create(
    *,
    customer: Customer,
    location: Location,
    vin: str,
    make: str,
    model: str,
    delivered_on: datetime.date,
    odometer_km: int = 0,
    odometer_on: datetime.date | None = None,
    year: int | None = None,
    fuel: str = "",
    kind: str = OwnedVehicle.Kind.CAR,
    origin: str = OwnedVehicle.Origin.ELSEWHERE,
    inventory_vehicle: Vehicle | None = None,
    reading_source: str = OdometerReading.Source.STAFF,
) -> OwnedVehicle:
    """Register a car for a customer with its first odometer reading (on `odometer_on`, the
    delivery day by default). Raises ValidationError for a bad VIN or a VIN already registered
    to an active owner. Flags it for any open recall on its VIN."""
    vin = validate_vin(vin)
    if OwnedVehicle.objects.filter(vin=vin, status=OwnedVehicle.Status.ACTIVE).exists():
        raise ValidationError({"vin": _("This VIN is already registered to an owner.")})
    ov = OwnedVehicle(
        customer=customer,
        location=location,
        vin=vin,
        make=make.strip(),
        model=model.strip(),
        year=year,
        fuel=fuel,
        kind=kind,
        delivered_on=delivered_on,
        origin=origin,
        inventory_vehicle=inventory_vehicle,
        first_odometer_km=odometer_km,
        first_odometer_on=odometer_on or delivered_on,
        odometer_km=odometer_km,
        odometer_on=odometer_on or delivered_on,
    )
    owned_vehicle_recompute_due(owned_vehicle=ov, save=False)
    ov.full_clean(validate_constraints=False)
    ov.save()
    OdometerReading.objects.create(
        owned_vehicle=ov, km=odometer_km, read_on=ov.odometer_on, source=reading_source
    )
    _flag_open_recalls(ov)
    return ov


def _flag_open_recalls(ov: OwnedVehicle) -> None:
    from ..models import RecallVehicle

    RecallVehicle.objects.filter(vin=ov.vin, owned_vehicle__isnull=True).update(owned_vehicle=ov)


def owned_vehicle_register_from_delivery(
    *,
    customer: Customer,
    vehicle: Vehicle,
    delivered_at: datetime.datetime,
    odometer_km: int,
    location: Location,
) -> OwnedVehicle:
    """What the orders app calls when a car is handed over. Idempotent: a second call for the
    same customer and stock vehicle returns the existing record unchanged. A VIN still active
    with a previous owner (a trade-in we resell) is marked sold first, so the new owner gets
    the reminders. `delivered_at` is aware; the delivery day is taken in the location's zone.
    """
    with transaction.atomic():
        existing = (
            OwnedVehicle.objects.select_for_update()
            .filter(vin=vehicle.vin, status=OwnedVehicle.Status.ACTIVE)
            .first()
        )
        if existing is not None and existing.customer_id == customer.pk:
            return existing
        if existing is not None:
            existing.status = OwnedVehicle.Status.SOLD
            existing.save(update_fields=["status", "updated_at"])
        return owned_vehicle_create(
            customer=customer,
            location=location,
            vin=vehicle.vin,
            make=vehicle.make,
            model=vehicle.model,
            year=vehicle.model_year,
            fuel=vehicle.fuel,
            delivered_on=location.localtime(delivered_at).date(),
            odometer_km=odometer_km,
            origin=OwnedVehicle.Origin.OURS,
            inventory_vehicle=vehicle,
            reading_source=OdometerReading.Source.DELIVERY,
        )


def owned_vehicle_set_status(*, owned_vehicle: OwnedVehicle, status: str) -> OwnedVehicle:
    """Sold or scrapped cars leave the reminder run (the partial index excludes them)."""
    if status not in OwnedVehicle.Status.values:
        raise ValidationError(_("Unknown status."))
    OwnedVehicle.objects.filter(pk=owned_vehicle.pk).update(
        status=status, updated_at=timezone.now()
    )
    owned_vehicle.status = status
    return owned_vehicle


@transaction.atomic
def odometer_record(
    *, owned_vehicle: OwnedVehicle, km: int, read_on: datetime.date, source: str
) -> OdometerReading:
    """Record a reading. A reading older than the latest one, or lower than it, is kept with a
    warning but not used: odometers don't run backwards and a late reading says nothing new.
    An accepted reading updates the learned km/day and the next due date."""
    ov = OwnedVehicle.objects.select_for_update().get(pk=owned_vehicle.pk)
    warning = ""
    if read_on < ov.odometer_on:
        warning = _("Ignored: older than the latest reading (%(km)s km on %(day)s).") % {
            "km": ov.odometer_km,
            "day": ov.odometer_on.isoformat(),
        }
    elif km < ov.odometer_km:
        warning = _("Ignored: lower than the latest reading (%(km)s km on %(day)s).") % {
            "km": ov.odometer_km,
            "day": ov.odometer_on.isoformat(),
        }
    reading = OdometerReading.objects.create(
        owned_vehicle=ov,
        km=km,
        read_on=read_on,
        source=source,
        accepted=not warning,
        warning=warning,
    )
    if warning:
        logger.warning("odometer reading %s for owned vehicle %s: %s", km, ov.pk, warning)
        return reading
    ov.odometer_km, ov.odometer_on = km, read_on
    learned = due_maths.learned_km_per_day(
        first_km=ov.first_odometer_km, first_on=ov.first_odometer_on, km=km, read_on=read_on
    )
    if learned is not None:
        ov.km_per_day = learned
    ov.save(update_fields=["odometer_km", "odometer_on", "km_per_day", "updated_at"])
    owned_vehicle_recompute_due(owned_vehicle=ov)
    owned_vehicle.refresh_from_db()
    return reading


def owned_vehicles_recompute_for_plan(*, plan_id: int) -> int:
    """After a plan changed in admin: recompute every active car that uses or could use it."""
    count = 0
    plan = MaintenancePlan.objects.get(pk=plan_id)
    qs = OwnedVehicle.objects.filter(status=OwnedVehicle.Status.ACTIVE)
    if plan.make:
        qs = qs.filter(make__iexact=plan.make)
    if plan.model:
        qs = qs.filter(model__iexact=plan.model)
    if plan.fuel:
        qs = qs.filter(fuel=plan.fuel)
    for ov in qs.iterator(chunk_size=500):
        with transaction.atomic():
            owned_vehicle_recompute_due(owned_vehicle=ov)
        count += 1
    return count


@transaction.atomic
def owned_vehicle_for_website_booking(
    *,
    location: Location,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    vin: str,
    make: str,
    model: str,
    year: int | None,
    odometer_km: int,
    language: str = "",
) -> OwnedVehicle:
    """The car a visitor wants to book: theirs if we know it, else registered now (bought
    elsewhere). A VIN registered to somebody else is refused without saying whose it is."""
    from leads.services import customer_get_or_create_from_contact

    vin = validate_vin(vin)
    customer, _created = customer_get_or_create_from_contact(
        location=location,
        source=Customer.Source.WEBSITE,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=language,
    )
    existing = OwnedVehicle.objects.filter(vin=vin, status=OwnedVehicle.Status.ACTIVE).first()
    if existing is not None:
        if existing.customer_id != customer.pk:
            raise ValidationError(
                {
                    "vin": _(
                        "This car is registered to another customer. Please call us and we "
                        "will sort it out."
                    )
                }
            )
        return existing
    return owned_vehicle_create(
        customer=customer,
        location=location,
        vin=vin,
        make=make,
        model=model,
        year=year,
        delivered_on=location.localtime().date(),
        odometer_km=odometer_km,
        reading_source=OdometerReading.Source.CUSTOMER,
    )
