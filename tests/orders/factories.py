import datetime
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from orders.finance import LenderDecision
from orders.models import AddOn, DeliverySlot, Order
from orders.payments import TestPaymentBackend
from orders.services import (
    DealChoice,
    contract_document,
    contract_send,
    contract_sign,
    finance_application_submit,
    finance_decision_record,
    order_create,
    order_reserve,
    order_schedule_delivery,
    payment_webhook_handle,
)
from orders.services.contracts import document_sha256
from tests.accounts.factories import LocationFactory

_people = itertools.count(1)


class AddOnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddOn
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Add-on {n}")
    slug = factory.Sequence(lambda n: f"add-on-{n}")
    price = Decimal("349.00")
    tax_rule = AddOn.TaxRule.TAXABLE


class DeliverySlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliverySlot

    location = factory.SubFactory(LocationFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    capacity = 2


def make_order(vehicle, *, deal: DealChoice | None = None, **person) -> Order:
    """A draft order built through the real service, as the deal builder does."""
    n = next(_people)
    details = {
        "first_name": "Jonas",
        "last_name": f"Becker{n}",
        "email": f"buyer{n}@example.de",
        "phone": f"+4915200{n:06d}",
        "street": "Karl-Liebknecht-Straße 5",
        "postal_code": "04107",
        "city": "Leipzig",
    }
    details.update(person)
    return order_create(vehicle=vehicle, deal=deal or DealChoice(), **details)


FINANCE = DealChoice(payment_type="finance", down_payment=Decimal("2000"), term_months=48)


def apply_for_finance(order: Order):
    return finance_application_submit(
        order=order,
        employment_status="employed",
        employer="Leipziger Stadtwerke",
        years_at_employer=6,
        monthly_income=Decimal("3400.00"),
        housing_cost=Decimal("900.00"),
        national_id="L01X00T47",
        date_of_birth=datetime.date(1988, 4, 12),
        consent=True,
        consent_wording="I agree to a credit check.",
    )


def pay_deposit(order: Order, *, event_id: str = "") -> str:
    payment = order.payments.get(kind="deposit", status="pending")
    body, _signature = TestPaymentBackend.webhook(
        reference=payment.provider_reference,
        outcome="succeeded",
        amount=payment.amount,
        event_id=event_id,
    )
    import json

    data = json.loads(body)
    return payment_webhook_handle(
        provider="test",
        event_id=data["id"],
        kind=data["type"],
        reference=payment.provider_reference,
        amount=payment.amount,
        payload=data,
    )


def sign(order: Order, *, ip: str = "203.0.113.7"):
    order.refresh_from_db()
    version = order.versions.order_by("-number").first()
    digest = document_sha256(contract_document(order=order, version=version))
    name = f"{order.customer.first_name} {order.customer.last_name}"
    return contract_sign(
        order=order, full_name=name, consent=True, ip_address=ip, document_hash=digest
    )


def advance(order: Order, to: str, *, staff) -> Order:
    """Walk an order through the real services up to status `to`."""
    path = [
        "draft",
        "submitted",
        "deposit_paid",
        "finance_pending",
        "finance_approved",
        "contract_sent",
        "contract_signed",
        "ready_for_delivery",
        "delivered",
    ]
    if not order.is_financed:
        path = [s for s in path if not s.startswith("finance")]
    steps = path[1 : path.index(to) + 1]
    for step in steps:
        order.refresh_from_db()
        if step == "submitted":
            order_reserve(order=order)
        elif step == "deposit_paid":
            pay_deposit(order)
        elif step == "finance_pending":
            apply_for_finance(order)
        elif step == "finance_approved":
            finance_decision_record(
                application=order.finance,
                by=staff,
                decision=LenderDecision("approved", Decimal("4.90"), 48, "Proof of income"),
            )
        elif step == "contract_sent":
            contract_send(order=order, by=staff)
        elif step == "contract_signed":
            sign(order)
        elif step == "ready_for_delivery":
            slot = DeliverySlotFactory(location=order.location)
            order_schedule_delivery(order=order, by=staff, slot=slot, driver=staff)
        elif step == "delivered":
            from orders.services import order_hand_over

            order_hand_over(order=order, by=staff, odometer_km=order.vehicle.mileage + 5)
    order.refresh_from_db()
    assert order.status == to, (order.status, to)
    return order
