"""The audit trail of orders and finance decisions (issue #11): who, when, what changed."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.finance import LenderDecision
from orders.models import FinanceApplication, Order
from orders.services import (
    contract_send,
    finance_decision_record,
    order_adjust,
    order_cancel,
    order_change_delivery,
    order_schedule_delivery,
    order_transition,
)
from tests.accounts.audit import events_after, last_event_id, target
from tests.orders.factories import FINANCE, DeliverySlotFactory, advance, make_order

pytestmark = pytest.mark.django_db
S = Order.Status


def test_a_staff_transition_is_one_audit_event(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    contract_send(order=order, by=consultant)

    [event] = events_after(mark)
    assert (event.actor, event.actor_name, event.action) == (
        consultant,
        consultant.username,
        "update",
    )
    assert target(event) == (Order, str(order.pk))
    assert event.changes == {"status": ["deposit_paid", "contract_sent"]}


def test_an_illegal_transition_writes_no_audit_event(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        order_transition(order=order, to_status=S.DELIVERED, by=consultant)

    assert events_after(mark) == []


def test_a_cancellation_with_a_refund_is_audited_with_the_reason_and_the_refund(
    vehicle, consultant
):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    order_cancel(order=order, by=consultant, reason="Bought elsewhere")

    cancelled, refunded = events_after(mark)
    assert (cancelled.actor, cancelled.action, target(cancelled)) == (
        consultant,
        "update",
        (Order, str(order.pk)),
    )
    assert cancelled.changes == {
        "status": ["deposit_paid", "cancelled"],
        "cancel_reason": ["", "Bought elsewhere"],
        "refund_amount": ["0.00", "500.00"],
        "note": "Bought elsewhere",
    }
    refund = order.payments.get(kind="refund")
    assert (refunded.actor, refunded.action, target(refunded)) == (
        consultant,
        "update",
        (Order, str(order.pk)),
    )
    assert refunded.changes == {
        "refund_status": ["", "refunded"],
        "refund_amount": ["500.00", "500.00"],
        "payment": refund.pk,
    }


def test_a_cancellation_without_a_reason_writes_no_audit_event(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        order_cancel(order=order, by=consultant, reason="  ")

    assert events_after(mark) == []


def test_a_customer_cancellation_is_audited_as_the_customers_own(vehicle, consultant):
    order = advance(make_order(vehicle), "submitted", staff=consultant)
    mark = last_event_id()

    order_cancel(order=order, by=None, reason="Changed my mind", by_customer=True)

    [event] = events_after(mark)
    assert (event.actor, event.actor_name) == (None, "system")
    assert event.changes == {
        "status": ["submitted", "cancelled"],
        "cancel_reason": ["", "Changed my mind"],
        "via": "customer",
        "note": "Changed my mind",
    }


def test_a_deal_change_is_one_event_with_the_prices_before_and_after(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    order_adjust(
        order=order, by=consultant, reason="Loyalty discount", changes={"discount": Decimal("750")}
    )

    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (
        consultant,
        "update",
        (Order, str(order.pk)),
    )
    assert event.changes == {
        "discount": ["0.00", "750"],
        "version": 2,
        "reason": "Loyalty discount",
    }


def test_a_deal_change_after_signing_is_one_event_with_the_status_too(vehicle, consultant):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    mark = last_event_id()

    order_adjust(order=order, by=consultant, reason="Winter tyres", changes={"discount": 100})

    [event] = events_after(mark)
    assert event.changes == {
        "status": ["contract_signed", "contract_sent"],
        "discount": ["0.00", "100"],
        "version": 2,
        "reason": "Winter tyres",
        "note": "Deal changed after signing: Winter tyres",
    }


def test_a_refused_deal_change_writes_no_audit_event(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        order_adjust(order=order, by=consultant, reason="", changes={"discount": 100})
    with pytest.raises(ValidationError):
        order_adjust(order=order, by=consultant, reason="Why not", changes={"price": 1})

    assert events_after(mark) == []


def test_scheduling_the_delivery_is_one_event(vehicle, consultant):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    slot = DeliverySlotFactory(location=order.location)
    mark = last_event_id()

    order_schedule_delivery(order=order, by=consultant, slot=slot)

    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (
        consultant,
        "update",
        (Order, str(order.pk)),
    )
    assert event.changes == {
        "status": ["contract_signed", "ready_for_delivery"],
        "delivery_slot": [None, slot.pk],
        "logistics_status": ["", "scheduled"],
        "note": str(slot),
    }


def test_a_full_slot_writes_no_audit_event(vehicle, consultant):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    slot = DeliverySlotFactory(location=order.location, capacity=0)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        order_schedule_delivery(order=order, by=consultant, slot=slot)

    assert events_after(mark) == []


def test_a_customer_changing_the_delivery_is_audited_with_the_fee_change(vehicle, consultant):
    order = make_order(vehicle)
    mark = last_event_id()

    order_change_delivery(
        order=order, fulfilment="delivery", street="Ring 1", postal_code="04109", city="Leipzig"
    )

    [event] = events_after(mark)
    assert (event.actor, event.actor_name, target(event)) == (
        None,
        "system",
        (Order, str(order.pk)),
    )
    assert event.changes == {
        "fulfilment": ["pickup", "delivery"],
        "delivery_street": ["", "Ring 1"],
        "delivery_postal_code": ["", "04109"],
        "delivery_city": ["", "Leipzig"],
        "version": 2,
        "via": "customer",
    }


def test_an_approval_is_a_decision_on_the_application_and_a_change_of_the_order(
    vehicle, consultant
):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)
    mark = last_event_id()

    finance_decision_record(
        application=order.finance,
        by=consultant,
        decision=LenderDecision("approved", Decimal("3.90"), 60, "Proof of income", "BNK-77"),
    )

    decided, approved = events_after(mark)
    assert (decided.actor, decided.action, target(decided)) == (
        consultant,
        "decide",
        (FinanceApplication, str(order.finance.pk)),
    )
    assert decided.changes == {
        "decision": ["pending", "approved"],
        "decision_apr": [None, "3.90"],
        "decision_term_months": [None, 60],
        "decision_conditions": ["", "Proof of income"],
        "lender_reference": ["", "BNK-77"],
    }
    assert (approved.actor, approved.action, target(approved)) == (
        consultant,
        "update",
        (Order, str(order.pk)),
    )
    assert approved.changes == {
        "status": ["finance_pending", "finance_approved"],
        "apr": [str(order.apr), "3.90"],
        "term_months": [48, 60],
        "note": "Proof of income",
    }


def test_a_decline_is_one_decision_event(vehicle, manager):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=manager)
    mark = last_event_id()

    finance_decision_record(
        application=order.finance, by=manager, decision=LenderDecision("declined")
    )

    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (
        manager,
        "decide",
        (FinanceApplication, str(order.finance.pk)),
    )
    assert event.changes == {"decision": ["pending", "declined"]}


def test_an_incomplete_approval_writes_no_audit_event(vehicle, consultant):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        finance_decision_record(
            application=order.finance, by=consultant, decision=LenderDecision("approved")
        )

    assert events_after(mark) == []


def test_every_staff_view_of_a_finance_application_is_logged(
    vehicle, consultant, consultant_client
):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)
    url = reverse("orders:detail", kwargs={"pk": order.pk})
    mark = last_event_id()

    assert consultant_client.get(url).status_code == 200
    assert consultant_client.get(url).status_code == 200

    first, second = events_after(mark)
    application_type = ContentType.objects.get_for_model(FinanceApplication)
    for event in (first, second):
        assert (event.actor, event.action, event.target_type, event.target_id) == (
            consultant,
            "view",
            application_type,
            str(order.finance.pk),
        )
        assert event.changes == {}


def test_an_order_page_without_a_finance_application_logs_no_view(
    vehicle, consultant, consultant_client
):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)
    mark = last_event_id()

    response = consultant_client.get(reverse("orders:detail", kwargs={"pk": order.pk}))

    assert response.status_code == 200
    assert events_after(mark) == []
