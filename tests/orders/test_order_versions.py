"""Every order has its deal version: created only by `order_create`, in one transaction with
version 1; the pages still say so clearly when one has none (data from outside the services).
The demo's delivered orders are built through the services like a customer's."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from dealership.accounts.models import User
from dealership.accounts.roles import Role
from leads.models import Customer
from orders.models import Order, OrderTransition, OrderVersion, Payment
from orders.tokens import order_token
from tests.accounts.factories import UserFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db
S = Order.Status
ROOT = Path(settings.BASE_DIR)
CREATORS = {"create", "get_or_create", "update_or_create", "bulk_create"}


def _order_rows_made_outside_the_service() -> list[str]:
    """Calls in the project's code (tests and migrations aside) that make Order rows other
    than through orders/services/deals.py: `Order(...)` or `Order.objects.<create…>(...)`."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if (
            relative.parts[0] in {".venv", "tests", "var", "bench"}
            or "migrations" in relative.parts
        ):
            continue
        if relative.as_posix() == "orders/services/deals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            direct = isinstance(func, ast.Name) and func.id == "Order"
            manager = (
                isinstance(func, ast.Attribute)
                and func.attr in CREATORS
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "objects"
                and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "Order"
            )
            if direct or manager:
                found.append(f"{relative}:{node.lineno}")
    return found


def test_only_order_create_makes_order_rows():
    assert _order_rows_made_outside_the_service() == []


def test_order_create_writes_version_1_with_the_order(vehicle):
    order = make_order(vehicle)

    versions = list(order.versions.values_list("number", "reason", "created_by"))
    assert versions == [(1, "Deal built online", None)]
    assert order.versions.get().accepted_at is not None
    assert order.deal_total == Decimal(order.versions.get().breakdown["total"])


def test_an_order_whose_version_fails_is_not_created(vehicle, monkeypatch):
    from orders.services import deals

    def broken(order):
        raise ValueError("negative total")

    monkeypatch.setattr(deals, "order_breakdown", broken)

    with pytest.raises(ValidationError):
        make_order(vehicle)

    assert Order.objects.count() == 0
    assert OrderVersion.objects.count() == 0
    assert Customer.objects.count() == 0


def _versionless(vehicle) -> Order:
    order = make_order(vehicle)
    OrderVersion.objects.filter(order=order).delete()
    return order


def test_the_staff_page_of_an_order_without_a_version_says_so(client, vehicle, location):
    order = _versionless(vehicle)
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))

    response = client.get(reverse("orders:detail", args=[order.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "No deal version" in body
    assert "This order has no saved deal, so there is no breakdown to show." in body
    assert "Breakdown (version" not in body


def test_the_customer_page_of_an_order_without_a_version_opens(client, vehicle):
    order = _versionless(vehicle)

    response = client.get(reverse("orders:track", kwargs={"token": order_token(order)}))

    assert response.status_code == 200
    assert order.reference in response.content.decode()


def test_the_demo_delivered_orders_were_bought_through_the_services(client):
    # Given the demo (its history's won leads are delivered orders)
    call_command("seed_demo")
    orders = list(Order.objects.order_by("pk"))
    assert len(orders) > 0

    client.force_login(User.objects.get(username="manager"))
    for order in orders:
        # Then each has its accepted version 1, a paid deposit, a signature and its history
        assert list(order.versions.values_list("number", flat=True)) == [1]
        assert order.versions.get().accepted_at is not None
        assert order.status == S.DELIVERED
        assert list(order.payments.values_list("kind", "status", "amount").order_by("pk")) == [
            (Payment.Kind.DEPOSIT, Payment.Status.SUCCEEDED, settings.ORDERS_DEPOSIT)
        ]
        assert order.signatures.filter(invalidated_at__isnull=True).count() == 1
        assert list(
            OrderTransition.objects.filter(order=order)
            .order_by("at", "pk")
            .values_list("to_status", flat=True)
        ) == [
            S.SUBMITTED,
            S.DEPOSIT_PAID,
            S.CONTRACT_SENT,
            S.CONTRACT_SIGNED,
            S.READY_FOR_DELIVERY,
            S.DELIVERED,
        ]
        # dated in the past, from the order to the handover
        assert order.created_at <= order.delivered_at == order.status_changed_at
        assert order.delivery_slot.starts_at < order.delivered_at
        assert order.vehicle.status == "sold"
        assert order.vehicle.sold_at == order.delivered_at
        assert order.consultant_id == order.customer.owner_id is not None
        # and its staff page opens (it raised IndexError when the demo made bare rows)
        response = client.get(reverse("orders:detail", args=[order.pk]))
        assert response.status_code == 200, order.reference
        assert "Breakdown (version 1)" in response.content.decode()
