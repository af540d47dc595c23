"""Prices as the location's law wants them: VAT included in the EU (shown, added to nothing;
none shown on a margin-scheme car; a trade-in does not reduce it), sales tax on top in the US
(a trade-in reduces the taxable amount). One pure function prices the page and the deal."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.pricing import AddOnLine, deal_breakdown, included_tax, price_breakdown
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory

D = Decimal
money = st.decimals(min_value=0, max_value=200_000, places=2, allow_nan=False)
small_money = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False)
rates = st.decimals(min_value=0, max_value=30, places=3, allow_nan=False)


def test_the_leipzig_rav4_costs_its_advertised_price_with_the_vat_inside():
    # The defect: €41,390 advertised, then "Tax (19 %) €7,911.41" added on top. (The
    # issue quoted €6,608.57 of VAT inside; 41,390 × 19 / 119 is 6,608.487: €6,608.49.)
    page = price_breakdown(
        price=D("41390"),
        documentation_fee=D("0"),
        tax_rate=D("19"),
        registration=D("0"),
        currency="EUR",
        tax_included=True,
    )

    assert (page.total, page.tax) == (D("41390.00"), D("6608.49"))


def test_vat_included_fees_carry_vat_and_registration_does_not():
    page = price_breakdown(
        price=D("24990"),
        documentation_fee=D("249"),
        tax_rate=D("19"),
        registration=D("150"),
        currency="EUR",
        tax_included=True,
    )

    assert page.total == D("25389.00")
    assert page.tax == included_tax(D("25239"), D("19")) == D("4029.76")


def test_a_margin_scheme_car_shows_vat_only_on_the_fee():
    page = price_breakdown(
        price=D("18900"),
        documentation_fee=D("249"),
        tax_rate=D("19"),
        registration=D("150"),
        currency="EUR",
        tax_included=True,
        margin_scheme=True,
    )
    deal = deal_breakdown(
        payment_type="cash",
        price=D("18900"),
        documentation_fee=D("249"),
        tax_rate=D("19"),
        registration=D("150"),
        currency="EUR",
        add_ons=(AddOnLine("Mats", D("119"), True),),
        tax_included=True,
        margin_scheme=True,
    )

    assert (page.total, page.tax, page.margin_scheme) == (D("19299.00"), D("39.76"), True)
    assert deal.tax == included_tax(D("249") + D("119"), D("19")) == D("58.76")
    assert deal.total == D("19418.00")


def test_the_margin_scheme_means_nothing_where_sales_tax_is_added():
    page = price_breakdown(
        price=D("18900"),
        documentation_fee=D("0"),
        tax_rate=D("7"),
        registration=D("0"),
        currency="USD",
        margin_scheme=True,
    )

    assert (page.tax, page.margin_scheme) == (D("1323.00"), False)


@pytest.mark.parametrize(
    ("tax_included", "tax_without", "tax_with"),
    [
        (False, D("1900.00"), D("1330.00")),  # US: the trade-in reduces the taxable amount
        (True, D("1596.64"), D("1596.64")),  # EU VAT: it is the dealer buying a car
    ],
)
def test_a_trade_in_reduces_tax_only_where_sales_tax_is_added(tax_included, tax_without, tax_with):
    def deal(trade_in):
        return deal_breakdown(
            payment_type="cash",
            price=D("10000"),
            documentation_fee=D("0"),
            tax_rate=D("19"),
            registration=D("0"),
            currency="EUR",
            trade_in=trade_in,
            tax_included=tax_included,
        )

    assert (deal(D("0")).tax, deal(D("3000")).tax) == (tax_without, tax_with)
    assert deal(D("0")).total - deal(D("3000")).total == D("3000") + tax_without - tax_with


@settings(max_examples=300, deadline=None)
@given(
    payment_type=st.sampled_from(["cash", "finance", "lease"]),
    price=money,
    doc_fee=small_money,
    rate=rates,
    registration=small_money,
    add_ons=st.lists(st.builds(AddOnLine, st.just("Warranty"), small_money, st.booleans())),
    trade_in=money,
    payoff=small_money,
    delivery=small_money,
    margin_scheme=st.booleans(),
)
def test_vat_included_lines_add_up_and_the_vat_is_what_the_gross_holds(
    payment_type,
    price,
    doc_fee,
    rate,
    registration,
    add_ons,
    trade_in,
    payoff,
    delivery,
    margin_scheme,
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
            trade_in_payoff=payoff,
            delivery_fee=delivery,
            term_months=48,
            apr=D("4.9"),
            tax_included=True,
            margin_scheme=margin_scheme,
        )
    except ValueError as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        # Only a trade-in worth more than the whole deal is refused.
        assert refusal == "the trade-in credit exceeds the deal"
        return
    gross = (
        (D(0) if margin_scheme else price)
        + doc_fee
        + sum((a.price for a in add_ons if a.taxable), D(0))
        + delivery
    )
    # Nothing is added for VAT: the total is the sum of the gross lines.
    assert deal.total == (
        price + deal.add_ons_total + doc_fee - trade_in + payoff + registration + delivery
    )
    assert deal.tax + deal.taxable_amount == gross
    assert abs(deal.tax - gross * rate / (100 + rate)) <= D("0.005")
    assert (deal.tax_included, deal.margin_scheme) == (True, margin_scheme)


@settings(max_examples=200, deadline=None)
@given(
    price=money,
    doc_fee=small_money,
    rate=rates,
    registration=small_money,
    tax_included=st.booleans(),
    margin_scheme=st.booleans(),
)
def test_the_page_and_a_plain_cash_deal_agree_in_every_regime(
    price, doc_fee, rate, registration, tax_included, margin_scheme
):
    figures = {
        "price": price,
        "documentation_fee": doc_fee,
        "tax_rate": rate,
        "registration": registration,
        "currency": "EUR",
        "tax_included": tax_included,
        "margin_scheme": margin_scheme,
    }
    page = price_breakdown(**figures)
    deal = deal_breakdown(payment_type="cash", **figures)

    assert (deal.total, deal.tax, deal.margin_scheme) == (page.total, page.tax, page.margin_scheme)


@pytest.mark.django_db
def test_a_german_vehicle_page_shows_the_final_price_incl_vat(client):
    leipzig = LocationFactory(tax_regime="inclusive", documentation_fee=D("0"))
    rav4 = VehicleFactory(location=leipzig, list_price=D("41390.00"))

    html = client.get(rav4.get_absolute_url()).content.decode()

    assert "Tax (19" not in html
    assert "incl. 19\u00a0% VAT" in html
    assert "€6,608.49" in html
    assert '"valueAddedTaxIncluded": true' in html


@pytest.mark.django_db
def test_a_margin_scheme_car_says_so_on_its_page(client):
    leipzig = LocationFactory(tax_regime="inclusive")
    used = VehicleFactory(location=leipzig, margin_scheme=True)

    html = client.get(used.get_absolute_url()).content.decode()

    assert "Sold under the margin scheme for used cars" in html


def test_effective_apr_compounds_the_nominal_rate_monthly():
    from inventory.pricing import effective_annual_rate

    assert effective_annual_rate(D("0")) == D("0.00")
    assert effective_annual_rate(D("4.9")) == D("5.01")
    assert effective_annual_rate(D("12")) == D("12.68")


@pytest.mark.django_db
def test_the_calculator_gives_the_consumer_credit_representative_example(client):
    from inventory.pricing import payment_plan

    leipzig = LocationFactory(tax_regime="inclusive", documentation_fee=D("0"))
    car = VehicleFactory(location=leipzig, list_price=D("20000.00"))
    url = f"/vehicles/{car.slug}/payment/"

    html = client.get(
        url,
        {"down_payment": "2000", "trade_in": "0", "apr": "4.9", "term": "48"},
        headers={"HX-Request": "true"},
    ).content.decode()

    plan = payment_plan(
        total=D("20150.00"), down_payment=D("2000"), trade_in=D("0"), apr=D("4.9"), term_months=48
    )
    assert "Representative example" in html
    assert "Annual percentage rate of charge (APR)" in html
    assert '<dd class="col-5 text-end mb-0" id="effective-apr">5.01\u00a0%</dd>' in html
    assert f"48 monthly instalments of €{plan.monthly:,}" in html
    assert plan.total_amount_payable == D("2000.00") + plan.monthly * 48
    assert f'id="total-payable">€{plan.total_amount_payable:,}</dd>' in html
