"""Money maths for a vehicle's price: pure functions on Decimal, no database, no floats.

"The price is the price": the vehicle page, the order, the contract and the email all call
:func:`price_breakdown` and :func:`monthly_payment`, so they show the same figures.

Amounts are rounded once, to the currency's minor unit (cents), at the end of each
calculation; every line of a breakdown is rounded and the total is the sum of the shown
lines, so the figures always add up on paper.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round half up to the minor unit (the commercial rounding customers expect)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceBreakdown:
    """The all-in price of a vehicle at one location. All amounts rounded to cents."""

    price: Decimal
    documentation_fee: Decimal
    tax_rate: Decimal  # percent, e.g. Decimal("19.000")
    tax: Decimal
    registration: Decimal
    total: Decimal
    currency: str


def price_breakdown(
    *,
    price: Decimal,
    documentation_fee: Decimal,
    tax_rate: Decimal,
    registration: Decimal,
    currency: str,
) -> PriceBreakdown:
    """Price + documentation fee, tax on both at ``tax_rate`` percent, plus the registration
    estimate (a pass-through government fee, not taxed) = total.

    >>> price_breakdown(price=Decimal("10000"), documentation_fee=Decimal("249"),
    ...                 tax_rate=Decimal("19"), registration=Decimal("150"), currency="EUR").total
    Decimal('12346.31')
    """
    for name, amount in (
        ("price", price),
        ("documentation_fee", documentation_fee),
        ("tax_rate", tax_rate),
        ("registration", registration),
    ):
        if amount < 0:
            raise ValueError(f"{name} must not be negative")
    price = to_cents(price)
    documentation_fee = to_cents(documentation_fee)
    registration = to_cents(registration)
    tax = to_cents((price + documentation_fee) * tax_rate / HUNDRED)
    return PriceBreakdown(
        price=price,
        documentation_fee=documentation_fee,
        tax_rate=tax_rate,
        tax=tax,
        registration=registration,
        total=price + documentation_fee + tax + registration,
        currency=currency,
    )


def financed_amount(*, total: Decimal, down_payment: Decimal, trade_in: Decimal) -> Decimal:
    """What is left to finance after the down payment and the trade-in; never below zero."""
    return max(to_cents(total - down_payment - trade_in), Decimal("0.00"))


def monthly_payment(*, principal: Decimal, apr: Decimal, term_months: int) -> Decimal:
    """The fixed monthly instalment that repays ``principal`` over ``term_months`` at
    ``apr`` percent a year, compounded monthly (the standard annuity formula):

        payment = P · r / (1 − (1 + r)^−n),  r = APR / 12 / 100

    At 0 % APR this is simply P / n. Rounded once, to cents, at the end.

    >>> monthly_payment(principal=Decimal("20000"), apr=Decimal("4.9"), term_months=60)
    Decimal('376.51')
    >>> monthly_payment(principal=Decimal("12000"), apr=Decimal("0"), term_months=48)
    Decimal('250.00')
    """
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    if principal < 0 or apr < 0:
        raise ValueError("principal and apr must not be negative")
    if principal == 0:
        return Decimal("0.00")
    rate = Decimal(apr) / Decimal(12) / HUNDRED
    if rate == 0:
        return to_cents(principal / term_months)
    factor = (1 + rate) ** term_months
    return to_cents(principal * rate * factor / (factor - 1))


@dataclass(frozen=True)
class PaymentPlan:
    financed: Decimal
    monthly: Decimal
    term_months: int
    apr: Decimal
    total_of_payments: Decimal
    cost_of_credit: Decimal


def payment_plan(
    *, total: Decimal, down_payment: Decimal, trade_in: Decimal, apr: Decimal, term_months: int
) -> PaymentPlan:
    """The payment calculator: financed amount, monthly instalment and the cost of credit."""
    financed = financed_amount(total=total, down_payment=down_payment, trade_in=trade_in)
    monthly = monthly_payment(principal=financed, apr=apr, term_months=term_months)
    total_of_payments = monthly * term_months
    return PaymentPlan(
        financed=financed,
        monthly=monthly,
        term_months=term_months,
        apr=apr,
        total_of_payments=total_of_payments,
        cost_of_credit=max(total_of_payments - financed, Decimal("0.00")),
    )
