"""Orders move the customer's lead: placed → won, cancelled → negotiation, delivered → won
(already won: recorded, not moved)."""

import pytest

from leads.models import Lead, LeadStatusChange
from orders.services import order_cancel, order_reserve
from tests.leads.factories import LeadFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def _history(lead):
    return list(
        LeadStatusChange.objects.filter(lead=lead)
        .order_by("id")
        .values_list("from_status", "to_status", "event", "ref", "reason")
    )


def test_placing_then_cancelling_an_order_wins_then_reopens_the_lead(vehicle, consultant):
    order = make_order(vehicle)
    lead = LeadFactory(
        customer=order.customer,
        location=vehicle.location,
        status=Lead.Status.NEGOTIATION,
        stock_number=vehicle.stock_number,
        cadence_next_at=order.created_at,
    )

    order_reserve(order=order)
    lead.refresh_from_db()
    assert lead.status == "won"
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "won")

    order_cancel(order=order, by=consultant, reason="Changed their mind")

    lead.refresh_from_db()
    assert lead.status == "negotiation"
    ref = f"order:{order.pk}"
    assert _history(lead) == [
        ("negotiation", "won", "order_placed", ref, f"Order placed: {order.reference}"),
        ("won", "negotiation", "order_cancelled", ref, f"Order cancelled: {order.reference}"),
    ]


def test_a_won_lead_cannot_be_reopened_by_hand(consultant):
    from django.core.exceptions import ValidationError

    from leads.services import lead_transition

    lead = LeadFactory(status=Lead.Status.WON)
    with pytest.raises(ValidationError):
        lead_transition(lead=lead, to_status=Lead.Status.NEGOTIATION, by=consultant)
    assert LeadStatusChange.objects.count() == 0
