import pytest

from inventory.models import Vehicle
from tests.orders.factories import FINANCE, advance, make_order

pytestmark = pytest.mark.django_db


def test_a_financed_order_walks_from_draft_to_delivered(vehicle, consultant):
    order = make_order(vehicle, deal=FINANCE)

    order = advance(order, "delivered", staff=consultant)

    vehicle.refresh_from_db()
    assert vehicle.status == Vehicle.Status.SOLD
    assert list(order.transitions.values_list("to_status", flat=True)) == [
        "submitted",
        "deposit_paid",
        "finance_pending",
        "finance_approved",
        "contract_sent",
        "contract_signed",
        "ready_for_delivery",
        "delivered",
    ]
