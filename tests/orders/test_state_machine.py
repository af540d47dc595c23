"""Every move the table allows works and is logged; every other move is refused."""

import itertools

import pytest

from dealership.messaging.models import OutboxMessage
from orders.models import Order, OrderTransition
from orders.services import TRANSITIONS, TransitionError, order_transition
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db
S = Order.Status

ILLEGAL = [(a, b) for a, b in itertools.product(S.values, S.values) if b not in TRANSITIONS[a]]
LEGAL = [(a, b) for a in S.values for b in sorted(TRANSITIONS[a])]


def _order_in(status, location):
    order = make_order(VehicleFactory(location=location))
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def test_the_table_has_the_issues_pipeline():
    assert set(LEGAL) == {
        ("draft", "submitted"),
        ("submitted", "deposit_paid"),
        ("deposit_paid", "finance_pending"),
        ("deposit_paid", "contract_sent"),
        ("finance_pending", "finance_approved"),
        ("finance_approved", "contract_sent"),
        ("contract_sent", "contract_signed"),
        ("contract_signed", "ready_for_delivery"),
        ("ready_for_delivery", "delivered"),
        # A deal changed after signing goes back for a new signature.
        ("contract_signed", "contract_sent"),
        ("ready_for_delivery", "contract_sent"),
        *((s, "cancelled") for s in S.values if s not in ("delivered", "cancelled")),
    }
    assert len(ILLEGAL) == 100 - 19
    assert TRANSITIONS[S.DELIVERED] == frozenset()
    assert all(
        S.CANCELLED in TRANSITIONS[s] for s in S.values if s not in ("delivered", "cancelled")
    )


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_an_illegal_transition_is_refused_and_changes_nothing(location, from_status, to_status):
    order = _order_in(from_status, location)
    messages_before = OutboxMessage.objects.count()

    with pytest.raises(TransitionError) as refused:
        order_transition(order=order, to_status=to_status, by=None)

    assert refused.value.messages == [
        f"An order that is “{S(from_status).label}” cannot become “{S(to_status).label}”."
    ]
    order.refresh_from_db()
    assert order.status == from_status
    assert OrderTransition.objects.filter(order=order).count() == 0
    assert OutboxMessage.objects.count() == messages_before


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_a_legal_transition_is_logged_and_tells_the_customer(
    location, consultant, from_status, to_status
):
    order = _order_in(from_status, location)

    order_transition(order=order, to_status=to_status, by=consultant, note="desk")

    order.refresh_from_db()
    history = OrderTransition.objects.get(order=order)
    assert (order.status, history.from_status, history.to_status, history.by, history.note) == (
        to_status,
        from_status,
        to_status,
        consultant,
        "desk",
    )
    message = OutboxMessage.objects.get(
        dedupe_key=f"order:{order.pk}:transition:{history.pk}:email"
    )
    assert message.to == order.customer.email
    assert f"is now: {S(to_status).label}." in message.body
