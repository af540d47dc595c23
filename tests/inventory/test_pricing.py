from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.pricing import monthly_payment, payment_plan, price_breakdown


def test_price_breakdown_adds_fee_tax_and_registration():
    breakdown = price_breakdown(
        price=Decimal("24990.00"),
        documentation_fee=Decimal("249.00"),
        tax_rate=Decimal("19.000"),
        registration=Decimal("150.00"),
        currency="EUR",
    )

    assert breakdown.price == Decimal("24990.00")
    assert breakdown.documentation_fee == Decimal("249.00")
    assert breakdown.tax == Decimal("4795.41")  # 19 % of 25,239.00
    assert breakdown.registration == Decimal("150.00")
    assert breakdown.total == Decimal("30184.41")
    assert breakdown.currency == "EUR"


def test_tax_is_rounded_half_up_to_the_cent():
    breakdown = price_breakdown(
        price=Decimal("100.05"),
        documentation_fee=Decimal("0"),
        tax_rate=Decimal("10"),
        registration=Decimal("0"),
        currency="EUR",
    )

    assert breakdown.tax == Decimal("10.01")  # 10.005 → 10.01
    assert breakdown.total == Decimal("110.06")


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="price must not be negative"):
        price_breakdown(
            price=Decimal("-1"),
            documentation_fee=Decimal("0"),
            tax_rate=Decimal("19"),
            registration=Decimal("0"),
            currency="EUR",
        )


def test_monthly_payment_standard_amortisation():
    assert monthly_payment(
        principal=Decimal("20000"), apr=Decimal("4.9"), term_months=60
    ) == Decimal("376.51")


def test_monthly_payment_at_zero_apr_is_principal_over_term():
    assert monthly_payment(principal=Decimal("10000"), apr=Decimal("0"), term_months=36) == Decimal(
        "277.78"
    )


def test_monthly_payment_refuses_a_zero_term():
    with pytest.raises(ValueError, match="term_months must be positive"):
        monthly_payment(principal=Decimal("1000"), apr=Decimal("5"), term_months=0)


def test_payment_plan_subtracts_down_payment_and_trade_in():
    plan = payment_plan(
        total=Decimal("30184.41"),
        down_payment=Decimal("5000"),
        trade_in=Decimal("4000"),
        apr=Decimal("0"),
        term_months=48,
    )

    assert plan.financed == Decimal("21184.41")
    assert plan.monthly == Decimal("441.34")
    assert plan.total_of_payments == Decimal("21184.32")
    assert plan.cost_of_credit == Decimal("0.00")


def test_payment_plan_never_finances_a_negative_amount():
    plan = payment_plan(
        total=Decimal("10000"),
        down_payment=Decimal("8000"),
        trade_in=Decimal("5000"),
        apr=Decimal("5"),
        term_months=12,
    )

    assert plan.financed == Decimal("0.00")
    assert plan.monthly == Decimal("0.00")


@given(
    principal=st.decimals(min_value=1000, max_value=200_000, places=2),
    apr=st.decimals(min_value=Decimal("0.1"), max_value=25, places=2),
    term=st.sampled_from([12, 24, 36, 48, 60, 72, 84]),
)
def test_payments_repay_principal_plus_interest(principal, apr, term):
    payment = monthly_payment(principal=principal, apr=apr, term_months=term)

    # Paying more than zero interest, but never more than simple interest on the whole sum.
    assert payment * term > principal
    assert payment * term <= principal * (1 + apr / 100 * term / 12) + term * Decimal("0.01")
