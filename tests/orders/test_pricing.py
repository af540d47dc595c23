"""The deal breakdown: exact to the cent, and the same figures everywhere."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.pricing import (
    CENT,
    AddOnLine,
    DealBreakdown,
    deal_breakdown,
    monthly_payment,
    price_breakdown,
)

money = st.decimals(min_value=0, max_value=200_000, places=2, allow_nan=False)
small_money = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False)
rates = st.decimals(min_value=0, max_value=30, places=3, allow_nan=False)
add_on_lines = st.lists(
    st.builds(
        AddOnLine, st.sampled_from(["Warranty", "Mats", "Paint"]), small_money, st.booleans()
    ),
    max_size=4,
)


def _is_cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT) and amount.as_tuple().exponent == -2


@settings(max_examples=300, deadline=None)
@given(
    payment_type=st.sampled_from(["cash", "finance", "lease"]),
    price=money,
    doc_fee=small_money,
    rate=rates,
    registration=small_money,
    add_ons=add_on_lines,
    trade_in=money,
    delivery=small_money,
    deposit=small_money,
    down=money,
    term=st.sampled_from([24, 36, 48, 60, 72]),
    apr=st.decimals(min_value=0, max_value=15, places=2, allow_nan=False),
)
def test_every_line_is_in_cents_and_the_lines_add_up_to_the_total(
    payment_type,
    price,
    doc_fee,
    rate,
    registration,
    add_ons,
    trade_in,
    delivery,
    deposit,
    down,
    term,
    apr,
):
    try:
        deal = deal_breakdown(
            payment_type=payment_type,
            price=price,
            documentation_fee=doc_fee,
            tax_rate=rate,
            registration=registration,
            currency="EUR",
            add_ons=tuple(add_ons),
            trade_in=trade_in,
            delivery_fee=delivery,
            deposit=deposit,
            down_payment=down,
            term_months=term,
            apr=apr,
            residual_percent=Decimal(50),
        )
    except ValueError as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        # Only a trade-in worth more than the whole deal is refused.
        assert refusal == "the trade-in credit exceeds the deal"
        return
    amounts = [
        deal.price,
        deal.add_ons_total,
        deal.documentation_fee,
        deal.trade_in_credit,
        deal.taxable_amount,
        deal.tax,
        deal.registration,
        deal.delivery_fee,
        deal.total,
        deal.deposit,
        deal.down_payment,
        deal.financed,
        deal.balance_due,
        deal.monthly_payment,
    ]
    assert all(_is_cents(a) for a in amounts)
    assert deal.add_ons_total == sum((a.price for a in deal.add_ons), Decimal(0))
    taxable = max(
        price + doc_fee + sum((a.price for a in add_ons if a.taxable), Decimal(0)) - trade_in,
        Decimal(0),
    )
    assert deal.taxable_amount == taxable
    # Tax rounded once, half up, from the exact product.
    exact_tax = taxable * rate / 100
    assert abs(deal.tax - exact_tax) <= Decimal("0.005")
    assert deal.total == (
        deal.price
        + deal.add_ons_total
        + deal.documentation_fee
        - deal.trade_in_credit
        + deal.tax
        + deal.registration
        + deal.delivery_fee
    )
    assert deal.deposit == min(deposit, deal.total)
    if payment_type == "cash":
        assert deal.balance_due == deal.total - deal.deposit
        assert deal.monthly_payment == Decimal("0.00")
    else:
        assert deal.deposit + deal.down_payment + deal.financed == deal.total
    if payment_type == "finance":
        assert deal.monthly_payment == monthly_payment(
            principal=deal.financed, apr=apr, term_months=term
        )
    # What an order version stores comes back identical.
    assert DealBreakdown.from_dict(deal.as_dict()) == deal


@settings(max_examples=200, deadline=None)
@given(price=money, doc_fee=small_money, rate=rates, registration=small_money)
def test_a_plain_cash_deal_costs_exactly_what_the_vehicle_page_shows(
    price, doc_fee, rate, registration
):
    page = price_breakdown(
        price=price,
        documentation_fee=doc_fee,
        tax_rate=rate,
        registration=registration,
        currency="EUR",
    )
    deal = deal_breakdown(
        payment_type="cash",
        price=price,
        documentation_fee=doc_fee,
        tax_rate=rate,
        registration=registration,
        currency="EUR",
    )

    assert (deal.total, deal.tax, deal.price) == (page.total, page.tax, page.price)


def test_a_worked_example_to_the_cent():
    deal = deal_breakdown(
        payment_type="finance",
        price=Decimal("24990.00"),
        documentation_fee=Decimal("249.00"),
        tax_rate=Decimal("19.000"),
        registration=Decimal("150.00"),
        currency="EUR",
        add_ons=(
            AddOnLine("Warranty", Decimal("890.00"), True),
            AddOnLine("Service plan", Decimal("300.00"), False),
        ),
        trade_in=Decimal("5000.00"),
        delivery_fee=Decimal("159.00"),
        deposit=Decimal("500.00"),
        down_payment=Decimal("2000.00"),
        term_months=48,
        apr=Decimal("5.90"),
    )

    assert deal.taxable_amount == Decimal("21129.00")
    assert deal.tax == Decimal("4014.51")
    assert deal.total == Decimal("25752.51")
    assert deal.financed == Decimal("23252.51")
    assert deal.balance_due == Decimal("2000.00")
    assert deal.monthly_payment == Decimal("545.02")  # 545.0204… by the annuity formula


def test_a_negative_amount_is_refused():
    with pytest.raises(ValueError, match=r"^discount must not be negative$"):
        deal_breakdown(
            payment_type="cash",
            price=Decimal(1),
            documentation_fee=Decimal(0),
            tax_rate=Decimal(0),
            registration=Decimal(0),
            currency="EUR",
            discount=Decimal("-1"),
        )
