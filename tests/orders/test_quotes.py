"""Desking: quote figures are the checkout's to the cent, a chosen option becomes the
checkout's draft order, the quote email goes once and only with an address."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from inventory.models import Vehicle
from leads.models import Customer, Lead
from orders.models import Order, Quote
from orders.services import (
    DealChoice,
    PaymentOption,
    TradeIn,
    breakdown_for,
    order_breakdown,
    quote_accept,
    quote_create,
    quote_send,
)
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory
from tests.orders.factories import AddOnFactory, make_order

pytestmark = pytest.mark.django_db

CASH = PaymentOption()
FIN48 = PaymentOption("finance", 48, Decimal("4.90"), Decimal("3000"))
FIN60 = PaymentOption("finance", 60, Decimal("5.90"), Decimal("1000"))


NO_TRADE_IN = TradeIn()


def _desk(location, *, options=(CASH, FIN48), tradein=NO_TRADE_IN, add_ons=(), **kwargs):
    consultant = kwargs.pop("by", None) or UserFactory(role=Role.CONSULTANT, locations=[location])
    vehicle = kwargs.pop("vehicle", None) or VehicleFactory(
        location=location, price=Decimal("24990.00")
    )
    if "customer" not in kwargs and "lead" not in kwargs and "contact" not in kwargs:
        kwargs["customer"] = CustomerFactory(location=location)
    return quote_create(
        vehicle=vehicle,
        by=consultant,
        options=list(options),
        tradein=tradein,
        add_ons=list(add_ons),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("rate", "fee"), [(Decimal("19.000"), Decimal("249.00")), (Decimal("0.000"), Decimal("0"))]
)
def test_quote_options_are_the_checkouts_figures_to_the_cent(rate, fee):
    location = LocationFactory(sales_tax_rate=rate, documentation_fee=fee)
    warranty = AddOnFactory(price=Decimal("890.00"))
    quote = _desk(location, options=(CASH, FIN48, FIN60), add_ons=[warranty])
    for option, choice in zip(
        quote.options.all(),
        [
            DealChoice(add_on_ids=(warranty.pk,)),
            DealChoice("finance", Decimal("3000"), 48, (warranty.pk,)),
            DealChoice("finance", Decimal("1000"), 60, (warranty.pk,)),
        ],
        strict=True,
    ):
        online = make_order(
            VehicleFactory(location=location, price=Decimal("24990.00")), deal=choice
        )
        # The checkout's order at the quote's APR (staff set the APR on an order).
        online.apr = option.apr
        checkout = order_breakdown(online)
        assert option.breakdown == checkout.as_dict()
        assert option.total == checkout.total
        assert option.monthly_payment == checkout.monthly_payment
        assert option.financed == checkout.financed
    cash, fin48, _fin60 = quote.options.all()
    assert cash.total_paid == cash.total
    assert fin48.total_paid == Decimal("500.00") + Decimal("3000.00") + fin48.monthly_payment * 48


def test_a_worked_quote_with_a_trade_in_and_its_payoff():
    location = LocationFactory(sales_tax_rate=Decimal("19.000"), documentation_fee=Decimal("249"))
    quote = _desk(
        location,
        options=(CASH, FIN48),
        tradein=TradeIn(2016, "Opel", "Astra", 120_000, "", Decimal("5000"), Decimal("1200")),
    )
    cash, finance = quote.options.all()

    # (24990 + 249 − 5000) × 19 % = 3845.41; + 1200 payoff + 150 registration.
    assert cash.deal.tax == Decimal("3845.41")
    assert cash.total == Decimal("25434.41")
    assert finance.financed == Decimal("21934.41")
    assert finance.monthly_payment == Decimal("504.14")  # 504.1409… by the annuity formula
    assert finance.total_paid == Decimal("3500.00") + Decimal("504.14") * 48


def test_accepting_an_option_makes_the_checkouts_draft_order():
    location = LocationFactory()
    warranty = AddOnFactory(price=Decimal("349.00"))
    quote = _desk(
        location,
        add_ons=[warranty],
        tradein=TradeIn(2016, "Opel", "Astra", 120_000, "", Decimal("5000"), Decimal("1200")),
    )
    option = quote.options.get(position=2)

    order = quote_accept(quote=quote, option=option, by=quote.consultant)

    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert (order.customer, order.vehicle, order.location, order.consultant) == (
        quote.customer,
        quote.vehicle,
        location,
        quote.consultant,
    )
    assert (order.payment_type, order.term_months, order.apr, order.down_payment) == (
        "finance",
        48,
        Decimal("4.90"),
        Decimal("3000.00"),
    )
    assert (order.tradein_make, order.tradein_offer, order.tradein_payoff) == (
        "Opel",
        Decimal("5000.00"),
        Decimal("1200.00"),
    )
    assert list(order.add_ons.all()) == [warranty]
    version = order.versions.get()
    assert version.number == 1
    assert version.accepted_at is not None
    assert version.breakdown == option.breakdown == order_breakdown(order).as_dict()
    assert order.deal_total == option.total
    quote.refresh_from_db()
    assert (quote.status, quote.order, quote.accepted_option) == ("accepted", order, option)


def test_an_accepted_quote_is_not_accepted_twice_and_a_changed_price_is_refused():
    quote = _desk(LocationFactory())
    quote_accept(quote=quote, option=quote.options.first(), by=quote.consultant)
    with pytest.raises(ValidationError, match="accepted already"):
        quote_accept(quote=quote, option=quote.options.last(), by=quote.consultant)
    assert Order.objects.count() == 1

    repriced = _desk(LocationFactory())
    Vehicle.objects.filter(pk=repriced.vehicle_id).update(
        list_price=Decimal("25990.00"), sale_price=None
    )
    with pytest.raises(ValidationError, match="figures changed"):
        quote_accept(quote=repriced, option=repriced.options.first(), by=repriced.consultant)
    assert Order.objects.count() == 1
    repriced.refresh_from_db()
    assert repriced.status == Quote.Status.DRAFT


def test_a_walk_in_gets_one_customer_and_a_walk_in_lead():
    location = LocationFactory()
    consultant = UserFactory(role=Role.CONSULTANT, locations=[location])
    existing = CustomerFactory(location=location, email="kim@example.de")
    from orders.services import Contact

    quote = _desk(location, by=consultant, contact=Contact("Kim", "Weber", "KIM@example.de", ""))

    assert quote.customer == existing
    assert Customer.objects.count() == 1
    lead = quote.lead
    assert (lead.source, lead.status, lead.assigned_to, lead.vehicle) == (
        Lead.Source.WALK_IN,
        Lead.Status.NEGOTIATION,
        consultant,
        quote.vehicle,
    )


def test_the_quote_email_goes_once(django_capture_on_commit_callbacks):
    quote = _desk(LocationFactory())
    with django_capture_on_commit_callbacks():
        first = quote_send(quote=quote, by=quote.consultant)
        second = quote_send(quote=quote, by=quote.consultant)

    assert first.pk == second.pk
    message = OutboxMessage.objects.get()
    assert message.dedupe_key == f"quote:{quote.pk}:email"
    assert message.purpose == "transactional"
    assert message.to == quote.customer.email
    assert quote.reference in message.subject
    assert "Option 2: Finance" in message.body
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT


def test_no_quote_email_without_an_address():
    location = LocationFactory()
    quote = _desk(location, customer=CustomerFactory(location=location, email=""))

    with pytest.raises(ValidationError, match="no email address"):
        quote_send(quote=quote, by=quote.consultant)

    assert OutboxMessage.objects.count() == 0
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT


def test_a_finance_option_needs_a_term_and_nothing_is_saved():
    location = LocationFactory()
    with pytest.raises(ValidationError, match="choose a term"):
        _desk(location, options=(CASH, PaymentOption("finance", 0, Decimal("4.9"))))
    assert Quote.objects.count() == 0
    assert Lead.objects.count() == 0


# --- Views ------------------------------------------------------------------------------


def test_the_pages_are_for_the_quotes_location_only(client, location):
    mine = _desk(location)
    theirs = _desk(LocationFactory())
    client.force_login(mine.consultant)

    assert client.get(reverse("orders:quote", args=[mine.pk])).status_code == 200
    assert client.get(reverse("orders:quote", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("orders:quote-print", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("orders:quote-accept", args=[theirs.pk]), {"option": theirs.options.first().pk}
    )
    assert response.status_code == 404
    assert Order.objects.count() == 0


def test_a_service_advisor_may_not_desk(client, location):
    client.force_login(UserFactory(role=Role.SERVICE_ADVISOR, locations=[location]))

    assert client.get(reverse("orders:quote-new")).status_code == 403


def test_accepting_another_quotes_option_is_a_400_with_a_message(client, location):
    mine = _desk(location)
    other = _desk(location)
    client.force_login(mine.consultant)

    response = client.post(
        reverse("orders:quote-accept", args=[mine.pk]), {"option": other.options.first().pk}
    )

    assert response.status_code == 400
    assert "Choose one of this quote&#x27;s options." in response.content.decode()
    assert Order.objects.count() == 0


def test_emailing_without_an_address_is_a_400_with_a_message(client, location):
    quote = _desk(location, customer=CustomerFactory(location=location, email=""))
    client.force_login(quote.consultant)

    response = client.post(reverse("orders:quote-send", args=[quote.pk]))

    assert response.status_code == 400
    assert "The customer has no email address" in response.content.decode()
    assert OutboxMessage.objects.count() == 0


def test_the_quote_page_has_a_fixed_number_of_queries(client, location, django_assert_num_queries):
    quote = _desk(location, add_ons=[AddOnFactory()], options=(CASH, FIN48, FIN60))
    client.force_login(quote.consultant)
    url = reverse("orders:quote", args=[quote.pk])
    client.get(url)
    # SAVEPOINT/RELEASE, session, user, groups (role check and nav), the user's location
    # ids, the quote (one joined query), its options, its add-ons, then the session save
    # (SAVEPOINT, UPDATE, RELEASE): the same with one option or three.
    with django_assert_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert "Accept option 3" in response.content.decode()


def test_desking_a_walk_in_through_the_form(client, location):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[location])
    golf = VehicleFactory(location=location, price=Decimal("24990.00"))
    client.force_login(consultant)

    response = client.post(
        reverse("orders:quote-new"),
        {
            "first_name": "Kim",
            "last_name": "Weber",
            "email": "kim@example.de",
            "vehicle": golf.pk,
            "option1_payment_type": "cash",
            "option2_payment_type": "finance",
            "option2_term_months": "48",
            "option2_apr": "4.90",
            "option2_down_payment": "3000",
            "option3_payment_type": "",
        },
    )

    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:quote", args=[quote.pk])
    assert [o.payment_type for o in quote.options.all()] == ["cash", "finance"]
    assert quote.customer.email == "kim@example.de"
    assert (
        breakdown_for(vehicle=golf, location=location, payment_type="cash", add_ons=[]).as_dict()
        == quote.options.first().breakdown
    )


def test_the_form_without_a_customer_is_a_400_and_saves_nothing(client, location):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[location])
    golf = VehicleFactory(location=location)
    client.force_login(consultant)

    response = client.post(
        reverse("orders:quote-new"), {"vehicle": golf.pk, "option1_payment_type": "cash"}
    )

    assert response.status_code == 400
    assert "Enter the new customer&#x27;s name." in response.content.decode()
    assert Quote.objects.count() == 0
    assert Customer.objects.count() == 0
