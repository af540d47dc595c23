"""The finance application: consent, encryption at rest, the lender's decision."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orders.finance import LenderDecision, decrypt
from orders.models import FinanceApplication, Order
from orders.services import finance_application_submit, finance_decision_record
from tests.orders.factories import FINANCE, advance, apply_for_finance, make_order

pytestmark = pytest.mark.django_db
S = Order.Status


def test_sensitive_fields_are_encrypted_at_rest_and_consent_is_recorded(vehicle, consultant):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id_encrypted, date_of_birth_encrypted, monthly_income_encrypted "
            "FROM orders_financeapplication WHERE order_id = %s",
            [order.pk],
        )
        row = cursor.fetchone()
    assert not any(secret in " ".join(row) for secret in ("L01X00T47", "1988-04-12", "3400"))
    assert [decrypt(value) for value in row] == ["L01X00T47", "1988-04-12", "3400.00"]
    application = order.finance
    assert application.credit_check_consent_wording == "I agree to a credit check."
    assert application.credit_check_consent_at is not None


def test_no_consent_no_application(vehicle):
    order = make_order(vehicle, deal=FINANCE)

    with pytest.raises(ValidationError) as refused:
        finance_application_submit(
            order=order,
            employment_status="employed",
            employer="",
            years_at_employer=1,
            monthly_income=Decimal(3000),
            housing_cost=Decimal(800),
            national_id="X",
            date_of_birth=datetime.date(1990, 1, 1),
            consent=False,
            consent_wording="…",
        )

    assert refused.value.message_dict == {"consent": ["We need your consent to a credit check."]}
    assert not FinanceApplication.objects.exists()


def test_an_approval_sets_the_lenders_terms_and_erases_identity_data(vehicle, consultant):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)

    finance_decision_record(
        application=order.finance,
        by=consultant,
        decision=LenderDecision("approved", Decimal("3.90"), 60, "Proof of income", "BNK-77"),
    )

    order.refresh_from_db()
    application = order.finance
    application.refresh_from_db()
    assert order.status == S.FINANCE_APPROVED
    assert (order.apr, order.term_months) == (Decimal("3.90"), 60)
    latest = order.versions.order_by("-number").first()
    assert (latest.number, latest.deal.apr, latest.deal.term_months) == (2, Decimal("3.90"), 60)
    assert latest.accepted_at is not None
    assert (application.national_id_encrypted, application.date_of_birth_encrypted) == ("", "")
    assert decrypt(application.monthly_income_encrypted) == "3400.00"
    assert (application.decision, application.decided_by, application.lender_reference) == (
        "approved",
        consultant,
        "BNK-77",
    )


def test_a_counter_offer_waits_for_the_customer_and_a_decline_keeps_the_order_pending(
    vehicle, consultant
):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)

    finance_decision_record(
        application=order.finance,
        by=consultant,
        decision=LenderDecision("counter_offer", Decimal("7.90"), 36),
    )

    order.refresh_from_db()
    assert order.status == S.FINANCE_PENDING
    assert order.versions.order_by("-number").first().accepted_at is None


def test_an_approval_without_terms_is_refused(vehicle, consultant):
    order = advance(make_order(vehicle, deal=FINANCE), "finance_pending", staff=consultant)

    with pytest.raises(ValidationError) as refused:
        finance_decision_record(
            application=order.finance, by=consultant, decision=LenderDecision("approved")
        )

    assert refused.value.messages == ["An approval needs the APR and the term."]
    order.finance.refresh_from_db()
    assert order.finance.decision == "pending"


def test_a_cash_order_needs_no_application(vehicle):
    order = make_order(vehicle)

    with pytest.raises(ValidationError) as refused:
        apply_for_finance(order)

    assert refused.value.messages == ["This order is paid in cash: no finance application needed."]
