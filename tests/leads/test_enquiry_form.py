import io
import re

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from dealership.accounts.roles import Role
from leads.models import Customer, Lead, TradeInPhoto
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _post(client, location, **overrides):
    data = {
        "type": "vehicle_enquiry",
        "location": location.pk,
        "vehicle": "G2207",
        "first_name": "Lena",
        "last_name": "Hoffmann",
        "email": "Lena.Hoffmann@Example.de",
        "phone": "0151 23456789",
        "message": "Is a test drive possible on Saturday?",
        "website": "",
        **overrides,
    }
    return client.post("/enquiries/new/", data)


def test_visitor_enquiry_creates_customer_and_assigned_lead(client, location):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[location])

    response = _post(client, location)

    assert response.status_code == 302
    assert response["Location"] == "/enquiries/thanks/"
    customer = Customer.objects.get()
    assert customer.email == "lena.hoffmann@example.de"
    assert customer.mobile_phone == "+4915123456789"
    assert customer.location == location
    lead = Lead.objects.get()
    assert lead.customer == customer
    assert lead.stock_number == "G2207"
    assert lead.source == Lead.Source.WEBSITE
    assert lead.type == Lead.Type.VEHICLE_ENQUIRY
    assert lead.assigned_to == consultant
    assert lead.message == "Is a test drive possible on Saturday?"
    thanks = client.get("/enquiries/thanks/")
    assert "Thank you, Lena!" in thanks.content.decode()


def test_second_enquiry_from_the_same_person_reuses_the_customer(client, location):
    _post(client, location)
    _post(client, location, email="", phone="+49 151 23456789", message="And the price?")

    assert Customer.objects.count() == 1
    assert Lead.objects.count() == 2


def test_form_shows_labels_and_consent_is_unchecked_by_default(client, location):
    response = client.get("/enquiries/new/?vehicle=G2207")

    html = response.content.decode()
    assert response.status_code == 200
    for name in ("type", "location", "first_name", "last_name", "email", "phone", "message"):
        assert re.search(rf'<label\s+for="id_{name}"', html), name
    consent = re.search(r'<input type="checkbox" name="marketing_consent"[^>]*>', html).group(0)
    assert "checked" not in consent
    assert "Yes, send me offers and news about cars and services by email and SMS." in html
    assert 'value="G2207"' in html
    assert "csrfmiddlewaretoken" in html


def test_validation_error_keeps_what_was_typed_and_saves_nothing(client, location):
    response = _post(client, location, email="", phone="")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Give us an email address or a phone number to reply to." in html
    assert 'value="Hoffmann"' in html
    assert "Is a test drive possible on Saturday?" in html
    assert Customer.objects.count() == 0
    assert Lead.objects.count() == 0


def test_invalid_phone_is_refused_with_a_message(client, location):
    response = _post(client, location, email="", phone="12")

    assert response.status_code == 400
    assert "Enter a valid phone number, e.g. 0151 23456789." in response.content.decode()
    assert Lead.objects.count() == 0


def test_trade_in_needs_the_car_details(client, location):
    response = _post(client, location, type="trade_in")

    assert response.status_code == 400
    assert response.content.decode().count("We need this to value your car.") == 4
    assert Lead.objects.count() == 0


def _png(name="car.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_trade_in_with_photos_and_european_vin(client, location):
    response = client.post(
        "/enquiries/new/",
        {
            "type": "trade_in",
            "location": location.pk,
            "first_name": "Lena",
            "last_name": "Hoffmann",
            "email": "lena@example.de",
            "tradein_year": "2015",
            "tradein_make": "Opel",
            "tradein_model": "Astra",
            "tradein_mileage_km": "142000",
            "tradein_condition": "good",
            "tradein_vin": "wvwzzzcdznw123456",
            "photos": [_png("front.png"), _png("back.png")],
        },
    )

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.tradein_year, lead.tradein_make, lead.tradein_model) == (2015, "Opel", "Astra")
    assert lead.tradein_mileage_km == 142000
    assert lead.tradein_vin == "WVWZZZCDZNW123456"
    assert TradeInPhoto.objects.filter(lead=lead).count() == 2


def test_north_american_vin_with_a_wrong_check_digit_is_refused(client, location):
    response = _post(
        client,
        location,
        type="trade_in",
        tradein_year="2015",
        tradein_make="Ford",
        tradein_model="Focus",
        tradein_mileage_km="100000",
        tradein_vin="1FAHP3F20CL123457",
    )

    assert response.status_code == 400
    assert "This VIN is not valid: check digit 0 does not match" in response.content.decode()
    assert Lead.objects.count() == 0


def test_honeypot_pretends_success_and_saves_nothing(client, location):
    response = _post(client, location, website="http://spam.example")

    assert response.status_code == 302
    assert Lead.objects.count() == 0
    assert Customer.objects.count() == 0


def test_form_is_rate_limited_per_ip_and_keeps_the_message(client, location, settings):
    settings.LEADS_FORM_RATE_LIMIT = 2
    assert _post(client, location).status_code == 302
    assert _post(client, location).status_code == 302

    response = _post(client, location, message="Third try")

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many enquiries from your network just now." in html
    assert "Third try" in html
    assert Lead.objects.count() == 2
    other_ip = _post(Client(REMOTE_ADDR="10.0.0.9"), location)
    assert other_ip.status_code == 302


def test_post_without_csrf_token_is_refused(location):
    client = Client(enforce_csrf_checks=True)

    response = _post(client, location)

    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_contact_page_makes_a_general_lead(client, location):
    page = client.get("/enquiries/contact/")
    assert page.status_code == 200
    assert "Contact us" in page.content.decode()

    response = client.post(
        "/enquiries/contact/",
        {
            "type": "general",
            "location": location.pk,
            "first_name": "Paul",
            "last_name": "Wagner",
            "email": "paul@example.de",
            "message": "Opening hours on holidays?",
        },
    )

    assert response.status_code == 302
    assert Lead.objects.get().type == Lead.Type.GENERAL


def test_form_partial_for_the_vehicle_page(client, location):
    response = client.get("/enquiries/form/?vehicle=G2207&type=e_price")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'value="G2207"' in html
    assert '<option value="e_price" selected>' in html


def test_utm_parameters_make_a_campaign_lead(client, location):
    client.post(
        "/enquiries/new/?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
        {
            "type": "e_price",
            "location": location.pk,
            "first_name": "Paul",
            "last_name": "Wagner",
            "email": "paul@example.de",
        },
    )

    lead = Lead.objects.get()
    assert lead.source == Lead.Source.CAMPAIGN
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == (
        "newsletter",
        "email",
        "spring",
    )


def test_an_inactive_location_cannot_be_chosen(client):
    closed = LocationFactory(is_active=False)

    response = _post(client, closed)

    assert response.status_code == 400
    assert Lead.objects.count() == 0
