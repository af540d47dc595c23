"""Demo data for orders: the add-ons on sale, two weeks of delivery slots per location, and
`sell`, which walks a customer's order through the real services (for the demo's history).
Idempotent (natural keys: add-on slug, slot location + start)."""

import datetime
import json
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dealership.accounts.models import Location, User
from inventory.models import Vehicle
from leads.models import Activity, Customer

from .models import AddOn, DeliverySlot, Order, OrderTransition, OrderVersion, Payment, Signature

ADD_ONS = [
    ("extended-warranty", "Extended warranty (3 years)", Decimal("890.00"), "taxable"),
    ("paint-protection", "Paint protection", Decimal("349.00"), "taxable"),
    ("floor-mats", "All-weather floor mats", Decimal("89.00"), "taxable"),
    ("winter-wheels", "Winter wheels, fitted", Decimal("1190.00"), "taxable"),
]
SLOT_HOURS = ((10, 12), (14, 16))


def seed(*, locations: list[Location], days: int = 14) -> dict[str, int]:
    for position, (slug, name, price, rule) in enumerate(ADD_ONS):
        AddOn.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "price": price, "tax_rule": rule, "position": position},
        )
    slots = 0
    for location in locations:
        today = location.localtime().date()
        for offset in range(1, days + 1):
            day = today + datetime.timedelta(days=offset)
            if day.weekday() == 6:
                continue
            for start, end in SLOT_HOURS:
                starts = datetime.datetime.combine(day, datetime.time(start), location.tzinfo)
                ends = datetime.datetime.combine(day, datetime.time(end), location.tzinfo)
                _slot, created = DeliverySlot.objects.get_or_create(
                    location=location,
                    starts_at=starts.astimezone(datetime.UTC),
                    defaults={"ends_at": ends.astimezone(datetime.UTC), "capacity": 2},
                )
                slots += created
    return {"add_ons": AddOn.objects.count(), "new_slots": slots}


@transaction.atomic
def sell(
    *,
    customer: Customer,
    vehicle: Vehicle,
    consultant: User,
    ordered_at: datetime.datetime,
    delivered_at: datetime.datetime,
) -> Order:
    """A cash order of `vehicle` by `customer`, built, paid, signed and handed over through
    the same services as on the site (so it has its deal version, deposit, signature, history
    and owned vehicle), then moved back in time: ordered at `ordered_at`, delivered at
    `delivered_at` (both in the past). The order's consultant is the customer's owner."""
    from .payments import TestPaymentBackend, get_payment_backend
    from .services import (
        DealChoice,
        contract_document,
        contract_send,
        contract_sign,
        order_create,
        order_hand_over,
        order_reserve,
        order_schedule_delivery,
        payment_confirm_offline,
        payment_webhook_handle,
    )
    from .services.contracts import contract_version, document_sha256
    from .services.delivery import slot_free_places

    order = order_create(
        vehicle=vehicle,
        deal=DealChoice(),
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        phone=customer.mobile_phone,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        language=customer.language,
    )
    order, payment = order_reserve(order=order)
    if isinstance(get_payment_backend(), TestPaymentBackend):
        # The customer pays by card on the simulated provider's checkout page.
        body, _signature = TestPaymentBackend.webhook(
            reference=payment.provider_reference,
            outcome="succeeded",
            amount=payment.amount,
            event_id=f"demo-{payment.idempotency_key}",
        )
        data = json.loads(body)
        payment_webhook_handle(
            provider="test",
            event_id=data["id"],
            kind=data["type"],
            reference=payment.provider_reference,
            amount=payment.amount,
            payload=data,
        )
    else:
        payment_confirm_offline(order=order, by=consultant)
    contract_send(order=order, by=consultant)
    document = contract_document(order=order, version=contract_version(order))
    contract_sign(
        order=order,
        full_name=document["buyer"]["name"],
        consent=True,
        ip_address=None,
        document_hash=document_sha256(document),
    )
    # The handover is booked in the next open slot, then moved to a past one of its own.
    slot = next(
        s
        for s in DeliverySlot.objects.filter(
            location=order.location, starts_at__gt=timezone.now()
        ).order_by("starts_at")
        if slot_free_places(s) > 0
    )
    order_schedule_delivery(order=order, by=consultant, slot=slot)
    order = order_hand_over(order=order, by=consultant, odometer_km=vehicle.mileage)
    _backdate(order, ordered_at=ordered_at, delivered_at=delivered_at)
    order.refresh_from_db()
    return order


def _backdate(
    order: Order,
    *,
    ordered_at: datetime.datetime,
    delivered_at: datetime.datetime,
) -> None:
    """Move what the services stamped "now" back to when the history says it happened: the
    steps evenly between the order and the handover. The handover is in a past slot of its
    own, so the location's open slots stay free for the live demo."""
    from aftersales.models import OwnedVehicle

    steps = list(order.transitions.order_by("at", "pk"))
    span = (delivered_at - ordered_at) / max(len(steps), 1)
    for n, step in enumerate(steps, start=1):
        OrderTransition.objects.filter(pk=step.pk).update(at=ordered_at + span * n)
    past_slot, _created = DeliverySlot.objects.get_or_create(
        location=order.location,
        starts_at=delivered_at - datetime.timedelta(minutes=30),
        defaults={"ends_at": delivered_at + datetime.timedelta(minutes=90), "capacity": 2},
    )
    Order.objects.filter(pk=order.pk).update(
        created_at=ordered_at,
        status_changed_at=delivered_at,
        delivered_at=delivered_at,
        delivery_slot=past_slot,
    )
    OrderVersion.objects.filter(order=order).update(created_at=ordered_at, accepted_at=ordered_at)
    Payment.objects.filter(order=order).update(created_at=ordered_at, settled_at=ordered_at + span)
    Signature.objects.filter(order=order).update(signed_at=ordered_at + span * 3)
    Vehicle.objects.filter(pk=order.vehicle_id).update(sold_at=delivered_at)
    OwnedVehicle.objects.filter(inventory_vehicle_id=order.vehicle_id).update(
        delivered_on=order.location.localtime(delivered_at).date()
    )
    Activity.objects.filter(customer_id=order.customer_id, body__contains=order.reference).update(
        occurred_at=delivered_at
    )
