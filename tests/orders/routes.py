"""Route-matrix scenarios for the desking pages (dealership/route_access.py)."""

from decimal import Decimal

from dealership.accounts.roles import Role
from orders.services import PaymentOption, quote_create
from tests.accounts.factories import UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory


def _quote(at):
    return quote_create(
        vehicle=VehicleFactory(location=at, price=Decimal("20000")),
        by=UserFactory(role=Role.CONSULTANT, locations=[at]),
        customer=CustomerFactory(location=at),
        options=[PaymentOption()],
    )


def quote(location, other_location):
    return {"allowed": {"pk": _quote(location).pk}, "denied": {"pk": _quote(other_location).pk}}
