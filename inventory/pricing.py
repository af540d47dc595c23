"""Money maths for a vehicle's price: pure functions on Decimal, no database, no floats.

"The price is the price": the vehicle page, the order, the contract and the email all call
:func:`price_breakdown` and :func:`monthly_payment`, so they show the same figures.

Amounts are rounded once, to the currency's minor unit (cents), at the end of each
calculation; every line of a breakdown is rounded and the total is the sum of the shown
lines, so the figures always add up on paper.

Two tax regimes, as the location's law wants them:

- **VAT included** (EU): prices are final prices. The VAT a price holds is shown ("incl.
  19 % VAT") and added to nothing. A trade-in is the dealer buying a car, so it does not
  reduce the VAT on the sale. A used car sold under the **margin scheme** (§25a UStG and its
  equivalents) shows no VAT at all on the car: its VAT is on the dealer's margin, which is
  neither shown nor reclaimable. Fees and add-ons keep their VAT.
- **Sales tax on top** (US): the tax is added to the price, and the trade-in reduces the
  taxable amount.
"""

from dataclasses import MISSING, dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round half up to the minor unit (the commercial rounding customers expect)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def included_tax(gross: Decimal, tax_rate: Decimal) -> Decimal:
    """The VAT a gross amount holds at ``tax_rate`` percent, to the cent.

    >>> included_tax(Decimal("41390.00"), Decimal("19"))
    Decimal('6608.49')
    """
    return to_cents(gross * tax_rate / (HUNDRED + tax_rate))


@dataclass(frozen=True)
class PriceBreakdown:
    """The all-in price of a vehicle at one location. All amounts rounded to cents.

    With ``tax_included`` the ``tax`` is the VAT inside the total, not a line of it."""

    price: Decimal
    documentation_fee: Decimal
    tax_rate: Decimal  # percent, e.g. Decimal("19.000")
    tax: Decimal
    registration: Decimal
    total: Decimal
    currency: str
    tax_included: bool = False
    margin_scheme: bool = False


def price_breakdown(
    *,
    price: Decimal,
    documentation_fee: Decimal,
    tax_rate: Decimal,
    registration: Decimal,
    currency: str,
    tax_included: bool = False,
    margin_scheme: bool = False,
) -> PriceBreakdown:
    """Price + documentation fee, tax on both at ``tax_rate`` percent, plus the registration
    estimate (a pass-through government fee, not taxed) = total. With ``tax_included`` the
    price and fee are gross: the total is their sum and ``tax`` the VAT they hold (none of
    it on a margin-scheme car).

    >>> price_breakdown(price=Decimal("10000"), documentation_fee=Decimal("249"),
    ...                 tax_rate=Decimal("19"), registration=Decimal("150"), currency="EUR").total
    Decimal('12346.31')
    >>> eu = price_breakdown(price=Decimal("41390"), documentation_fee=Decimal("0"),
    ...     tax_rate=Decimal("19"), registration=Decimal("0"), currency="EUR", tax_included=True)
    >>> eu.total, eu.tax
    (Decimal('41390.00'), Decimal('6608.49'))
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
    margin_scheme = margin_scheme and tax_included
    if tax_included:
        tax = included_tax((Decimal(0) if margin_scheme else price) + documentation_fee, tax_rate)
        total = price + documentation_fee + registration
    else:
        tax = to_cents((price + documentation_fee) * tax_rate / HUNDRED)
        total = price + documentation_fee + tax + registration
    return PriceBreakdown(
        price=price,
        documentation_fee=documentation_fee,
        tax_rate=tax_rate,
        tax=tax,
        registration=registration,
        total=total,
        currency=currency,
        tax_included=tax_included,
        margin_scheme=margin_scheme,
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


def effective_annual_rate(nominal: Decimal) -> Decimal:
    """The effective annual rate of a nominal yearly rate paid monthly, in percent to two
    places (the EU Consumer Credit Directive's APR for a loan without fees).

    >>> effective_annual_rate(Decimal("4.9"))
    Decimal('5.01')
    """
    monthly = Decimal(nominal) / Decimal(12) / HUNDRED
    return to_cents(((1 + monthly) ** 12 - 1) * HUNDRED)


@dataclass(frozen=True)
class PaymentPlan:
    financed: Decimal
    monthly: Decimal
    term_months: int
    apr: Decimal  # the nominal yearly borrowing rate the instalments are computed with
    total_of_payments: Decimal
    cost_of_credit: Decimal
    cash_price: Decimal = Decimal("0.00")
    down_payment: Decimal = Decimal("0.00")

    @property
    def effective_apr(self) -> Decimal:
        return effective_annual_rate(self.apr)

    @property
    def total_amount_payable(self) -> Decimal:
        """What the buyer pays altogether on credit: the down payment and every instalment."""
        return self.down_payment + self.total_of_payments


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
        cash_price=to_cents(total),
        down_payment=min(to_cents(down_payment), to_cents(total)),
    )


# --- The deal: what an order costs -------------------------------------------------------


@dataclass(frozen=True)
class AddOnLine:
    name: str
    price: Decimal
    taxable: bool


@dataclass(frozen=True)
class DealBreakdown:
    """Everything a customer pays for one order, as the page, the order, the contract and the
    emails show it. Every amount is rounded to cents once; the total is the sum of the lines.

    Sales tax on top: the trade-in credit is deducted before tax (a sales-tax credit); the
    loan still owed on the trade-in (its payoff, which the dealership settles) is added back
    after tax, untaxed; tax-exempt add-ons, the registration estimate and the delivery fee
    are not taxed.

    VAT included (``tax_included``): every price is gross and ``tax`` is the VAT the total
    holds, not a line of it; ``taxable_amount`` is the net amount that VAT is on. The
    trade-in does not reduce it; the delivery fee carries VAT; a margin-scheme car carries
    none that is shown. The registration estimate and the payoff carry none either way.

    The deposit counts towards what the customer pays; for finance and lease the down
    payment is paid at handover and the rest is financed.
    """

    payment_type: str  # "cash", "finance" or "lease"
    price: Decimal
    discount: Decimal
    add_ons: tuple[AddOnLine, ...]
    add_ons_total: Decimal
    documentation_fee: Decimal
    trade_in_credit: Decimal
    taxable_amount: Decimal
    tax_rate: Decimal
    tax: Decimal
    registration: Decimal
    delivery_fee: Decimal
    total: Decimal
    deposit: Decimal
    down_payment: Decimal
    financed: Decimal
    balance_due: Decimal
    term_months: int
    apr: Decimal
    residual: Decimal
    monthly_payment: Decimal
    currency: str
    # Added later: snapshots stored before them read as no payoff, sales tax on top.
    trade_in_payoff: Decimal = Decimal("0.00")
    tax_included: bool = False
    margin_scheme: bool = False

    @property
    def total_paid(self) -> Decimal:
        """What the customer pays altogether: the total for cash; deposit, down payment and
        every instalment for finance and lease (a lease's residual is not bought)."""
        if self.payment_type == "cash":
            return self.total
        return self.deposit + self.down_payment + self.monthly_payment * self.term_months

    def as_dict(self) -> dict:
        """A JSON-safe snapshot (amounts as strings): what an order version stores."""
        data = {}
        for name, value in self.__dict__.items():
            if name == "add_ons":
                data[name] = [
                    {"name": a.name, "price": str(a.price), "taxable": a.taxable} for a in value
                ]
            elif isinstance(value, Decimal):
                data[name] = str(value)
            else:
                data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "DealBreakdown":
        values = {}
        for item in fields(cls):
            name, field_type = item.name, item.type
            if name not in data and item.default is not MISSING:
                continue
            value = data[name]
            if name == "add_ons":
                value = tuple(
                    AddOnLine(a["name"], Decimal(a["price"]), bool(a["taxable"])) for a in value
                )
            elif field_type is Decimal:
                value = Decimal(value)
            values[name] = value
        return cls(**values)


def lease_payment(*, capitalised: Decimal, residual: Decimal, apr: Decimal, term: int) -> Decimal:
    """The monthly lease payment: depreciation plus the rent charge (money factor APR/2400).

    >>> lease_payment(capitalised=Decimal("30000"), residual=Decimal("15000"),
    ...               apr=Decimal("4.8"), term=36)
    Decimal('506.67')
    """
    if term <= 0:
        raise ValueError("term must be positive")
    depreciation = (capitalised - residual) / term
    rent = (capitalised + residual) * Decimal(apr) / Decimal(2400)
    return to_cents(max(depreciation + rent, Decimal(0)))


def deal_breakdown(
    *,
    payment_type: str,
    price: Decimal,
    documentation_fee: Decimal,
    tax_rate: Decimal,
    registration: Decimal,
    currency: str,
    add_ons: tuple[AddOnLine, ...] = (),
    discount: Decimal = Decimal(0),
    trade_in: Decimal = Decimal(0),
    trade_in_payoff: Decimal = Decimal(0),
    delivery_fee: Decimal = Decimal(0),
    deposit: Decimal = Decimal(0),
    down_payment: Decimal = Decimal(0),
    term_months: int = 0,
    apr: Decimal = Decimal(0),
    residual_percent: Decimal = Decimal(0),
    tax_included: bool = False,
    margin_scheme: bool = False,
) -> DealBreakdown:
    """The one price breakdown of a deal. With no add-ons, discount, trade-in or delivery its
    total equals :func:`price_breakdown`'s: the vehicle page and the order agree.

    >>> deal_breakdown(payment_type="cash", price=Decimal("10000"),
    ...     documentation_fee=Decimal("249"), tax_rate=Decimal("19"),
    ...     registration=Decimal("150"), currency="EUR").total
    Decimal('12346.31')
    """
    if payment_type not in ("cash", "finance", "lease"):
        raise ValueError("payment_type must be cash, finance or lease")
    amounts = {
        "price": price,
        "discount": discount,
        "documentation_fee": documentation_fee,
        "tax_rate": tax_rate,
        "registration": registration,
        "trade_in": trade_in,
        "trade_in_payoff": trade_in_payoff,
        "delivery_fee": delivery_fee,
        "deposit": deposit,
        "down_payment": down_payment,
        "apr": apr,
        "residual_percent": residual_percent,
    }
    for name, amount in amounts.items():
        if amount < 0:
            raise ValueError(f"{name} must not be negative")
    for line in add_ons:
        if line.price < 0:
            raise ValueError("add-on prices must not be negative")
    if payment_type != "cash" and term_months <= 0:
        raise ValueError("finance and lease need a positive term")
    price, discount = to_cents(price), to_cents(discount)
    if discount > price:
        raise ValueError("the discount cannot exceed the price")
    add_ons = tuple(AddOnLine(a.name, to_cents(a.price), a.taxable) for a in add_ons)
    add_ons_total = sum((a.price for a in add_ons), Decimal("0.00"))
    taxable_add_ons = sum((a.price for a in add_ons if a.taxable), Decimal("0.00"))
    documentation_fee, trade_in = to_cents(documentation_fee), to_cents(trade_in)
    trade_in_payoff = to_cents(trade_in_payoff)
    registration, delivery_fee = to_cents(registration), to_cents(delivery_fee)
    margin_scheme = margin_scheme and tax_included
    if tax_included:
        vehicle = Decimal("0.00") if margin_scheme else price - discount
        gross = vehicle + documentation_fee + taxable_add_ons + delivery_fee
        tax = included_tax(gross, tax_rate)
        taxable = gross - tax
        added_tax = Decimal("0.00")
    else:
        taxable = max(price - discount + documentation_fee + taxable_add_ons - trade_in, CENT * 0)
        tax = added_tax = to_cents(taxable * tax_rate / HUNDRED)
    total = (
        price
        - discount
        + add_ons_total
        + documentation_fee
        - trade_in
        + added_tax
        + trade_in_payoff
        + registration
        + delivery_fee
    )
    if total < 0:
        raise ValueError("the trade-in credit exceeds the deal")
    deposit = min(to_cents(deposit), total)
    financed = Decimal("0.00")
    residual = Decimal("0.00")
    monthly = Decimal("0.00")
    if payment_type == "cash":
        down_payment = Decimal("0.00")
        term_months = 0
        apr = Decimal(0)
        balance_due = total - deposit
    else:
        down_payment = min(to_cents(down_payment), total - deposit)
        financed = total - deposit - down_payment
        balance_due = down_payment
        if payment_type == "finance":
            monthly = monthly_payment(principal=financed, apr=apr, term_months=term_months)
        else:
            residual = min(to_cents((price - discount) * residual_percent / HUNDRED), financed)
            monthly = lease_payment(
                capitalised=financed, residual=residual, apr=apr, term=term_months
            )
    return DealBreakdown(
        payment_type=payment_type,
        price=price,
        discount=discount,
        add_ons=add_ons,
        add_ons_total=add_ons_total,
        documentation_fee=documentation_fee,
        trade_in_credit=trade_in,
        taxable_amount=taxable,
        tax_rate=Decimal(tax_rate),
        tax=tax,
        registration=registration,
        delivery_fee=delivery_fee,
        total=total,
        deposit=deposit,
        down_payment=down_payment,
        financed=financed,
        balance_due=balance_due,
        term_months=term_months,
        apr=Decimal(apr),
        residual=residual,
        monthly_payment=monthly,
        currency=currency,
        trade_in_payoff=trade_in_payoff,
        tax_included=tax_included,
        margin_scheme=margin_scheme,
    )
