"""Money and numbers in the reader's language (CLDR through Babel), in the location's
currency; phone numbers as people at the location dial them."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from dealership.accounts.phones import phone_local, phone_uri
from dealership.messaging.models import OutboxMessage
from inventory.templatetags.inventory import km, money, money_whole, percent
from tests.accounts.factories import LocationFactory
from tests.leads.factories import CustomerFactory

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "whole", "exact", "mileage", "rate"),
    [
        ("en", "€41,390", "€41,390.50", "42,300 km", "25.5 %"),
        ("de", "41.390 €", "41.390,50 €", "42.300 km", "25,5 %"),
        ("fi", "41 390 €", "41 390,50 €", "42 300 km", "25,5 %"),
        ("pt", "41 390 €", "41 390,50 €", "42 300 km", "25,5 %"),
        ("zh-hans", "€41,390", "€41,390.50", "42,300 km", "25.5 %"),
    ],
)
def test_money_and_numbers_follow_the_active_language(language, whole, exact, mileage, rate):
    with translation.override(language):
        shown = (
            money_whole(Decimal("41390.00")),
            money(Decimal("41390.50")),
            km(42300),
            percent(Decimal("25.500")),
        )

    # CLDR separates with no-break spaces: the figure never wraps between its digits
    assert [s.replace(NBSP, " ") for s in shown] == [whole, exact, mileage, rate]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "language", "shown"),
    [
        ("DE", "de", "41.390,00 €"),
        ("FI", "fi", "41 390,00 €"),
        ("PT", "pt", "41 390,00 €"),
        ("US", "en", "$41,390.00"),
        ("US", "de", "41.390,00 $"),
    ],
)
def test_a_location_prices_in_its_countrys_currency(country, language, shown):
    location = LocationFactory(country=country)
    template = Template("{% load inventory %}{{ price|money:location }}")

    with translation.override(language):
        html = template.render(Context({"price": Decimal("41390"), "location": location}))

    assert html.replace(NBSP, " ") == shown


@pytest.mark.django_db
def test_a_locations_currency_is_its_countrys():
    assert [LocationFactory(country=c).currency for c in ("DE", "FI", "PT", "US")] == [
        "EUR",
        "EUR",
        "EUR",
        "USD",
    ]


# --- phone numbers ---------------------------------------------------------------------------


class _At:
    def __init__(self, country):
        self.country = country


LEIPZIG, HELSINKI, LISBOA = _At("DE"), _At("FI"), _At("PT")


@pytest.mark.parametrize(
    ("number", "location", "shown"),
    [
        ("+49 341 555 0100", LEIPZIG, "0341 5550100"),
        ("+4915123456789", LEIPZIG, "01512 3456789"),
        ("+49 341 555 0100", HELSINKI, "+49 341 5550100"),
        ("+358 9 555 0300", HELSINKI, "09 5550300"),
        ("+358401234567", LEIPZIG, "+358 40 1234567"),
        ("+351 21 555 0200", LISBOA, "21 555 0200"),
        ("+351 21 555 0200", None, "+351 21 555 0200"),
        ("0341 5550100", LEIPZIG, "0341 5550100"),  # typed nationally, read in its region
        ("call the office", LEIPZIG, "call the office"),
        ("", LEIPZIG, ""),
    ],
)
def test_a_number_is_national_at_its_own_countrys_location_and_international_elsewhere(
    number, location, shown
):
    assert phone_local(number, location) == shown


def test_the_link_is_always_international():
    assert phone_uri("0341 5550100", LEIPZIG) == "tel:+493415550100"
    assert phone_uri("+358 9 555 0300") == "tel:+35895550300"
    assert phone_uri("not a number") == ""


@pytest.mark.django_db
def test_the_location_page_shows_its_number_nationally_and_the_footer_internationally(client):
    leipzig = LocationFactory(slug="leipzig", name="Leipzig", phone="+49 341 555 0100")

    html = client.get(leipzig.get_absolute_url()).content.decode()

    assert '<a href="tel:+493415550100">0341 5550100</a>' in html  # the page
    assert '<a href="tel:+493415550100">+49 341 5550100</a>' in html  # the footer


@pytest.mark.django_db
def test_staff_read_a_customers_number_for_the_customers_branch(client, consultant, location):
    client.force_login(consultant)
    local = CustomerFactory(location=location, mobile_phone="+4915123456789")
    abroad = CustomerFactory(location=location, mobile_phone="+358401234567")

    pages = [
        client.get(reverse("leads:customer_detail", args=[c.pk])).content.decode()
        for c in (local, abroad)
    ]

    assert "<dd>01512 3456789</dd>" in pages[0]
    assert "<dd>+358 40 1234567</dd>" in pages[1]


@pytest.mark.django_db
def test_the_enquiry_email_gives_the_branchs_number_as_its_customers_dial_it(client):
    leipzig = LocationFactory(phone="+49 341 555 0100")
    cache.clear()  # the enquiry form's rate limit
    response = client.post(
        "/enquiries/contact/",
        {
            "type": "general",
            "location": leipzig.pk,
            "first_name": "Paul",
            "last_name": "Wagner",
            "email": "paul@example.de",
            "message": "Opening hours on holidays?",
        },
    )
    assert response.status_code == 302

    body = OutboxMessage.objects.get().body
    assert "0341 5550100" in body
    assert "+49 341" not in body
