"""Consent stays specific (issue 19), walked through every public form: each records only
the consent its own wording asks for. No marketing consent unless a marketing box is ticked,
and then exactly what its words say (offers by email and SMS, for the addresses given); a
credit check, a signature, a saved search's alerts or a survey answer is never a marketing
consent, and a marketing field slipped into a form that shows no such box records nothing.

The newsletter is not in the list: the site has no newsletter form."""

import datetime

import pytest
import time_machine
from django.test import Client

from aftersales.models import Complaint
from aftersales.tokens import booking_token
from dealership.messaging.models import Channel, Consent, Suppression
from inventory.models import SavedSearch
from leads.forms import MARKETING_CONSENT_WORDING
from orders.tokens import order_token
from surveys.models import Question
from tests.aftersales.factories import owned_vehicle
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory
from tests.orders.factories import FINANCE, make_order
from tests.surveys.factories import invitation_with_token, standard_survey

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 08:00 in Berlin: the test-drive slot below is open.
MONDAY_8_BERLIN = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
TUESDAY_10_BERLIN = datetime.datetime(2026, 3, 3, 9, 0, tzinfo=datetime.UTC)
EMAIL = "lena.hoffmann@example.de"
PHONE = "0151 23456789"
PHONE_E164 = "+4915123456789"
# Names a crafted post might use to sneak a consent into a form that shows none.
SNEAKY = {"marketing_consent": "on", "marketing": "on", "newsletter": "on", "enabled": "on"}


@pytest.fixture(autouse=True)
def _setup(settings, monkeypatch):
    settings.TESTDRIVES_FORM_RATE_LIMIT = 10_000
    settings.ORDERS_FORM_RATE_LIMIT = 10_000
    settings.AFTERSALES_FORM_RATE_LIMIT = 10_000
    settings.LEADS_FORM_RATE_LIMIT = 10_000
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"


@pytest.fixture
def car(location):
    return VehicleFactory(location=location, make="Volkswagen", model="Golf", stock_number="G2207")


def _consents():
    return sorted(Consent.objects.values_list("channel", "address", "granted", "wording", "source"))


def _marketing_both():
    wording = str(MARKETING_CONSENT_WORDING)
    return sorted(
        [
            (Channel.EMAIL, EMAIL, True, wording, "enquiry_form"),
            (Channel.SMS, PHONE_E164, True, wording, "enquiry_form"),
        ]
    )


def _person(**extra):
    return {"first_name": "Lena", "last_name": "Hoffmann", "email": EMAIL, **extra}


# --- Forms with a marketing box: nothing unless ticked, then what the words say -----------


def _enquiry(location, car, kind):
    data = _person(location=location.pk, phone=PHONE, message="Is it still available?")
    if kind == "trade_in":
        data |= {
            "type": "trade_in",
            "tradein_year": "2016",
            "tradein_make": "Opel",
            "tradein_model": "Astra",
            "tradein_mileage_km": "120000",
        }
        return "/enquiries/new/", data
    if kind == "contact":
        return "/enquiries/contact/", data | {"type": "general"}
    if kind == "vehicle":
        return f"/enquiries/vehicle/{car.pk}/", data | {"type": "vehicle_enquiry"}
    return "/enquiries/new/", data | {"type": "e_price"}


@pytest.mark.parametrize("kind", ["e_price", "trade_in", "contact", "vehicle"])
@pytest.mark.parametrize("ticked", [False, True], ids=["unticked", "ticked"])
def test_an_enquiry_records_marketing_only_when_its_box_is_ticked(
    client, location, car, consultant, kind, ticked
):
    url, data = _enquiry(location, car, kind)
    if ticked:
        data["marketing_consent"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/enquiries/thanks/"
    assert _consents() == (_marketing_both() if ticked else [])
    assert Suppression.objects.count() == 0


@pytest.mark.parametrize("ticked", [False, True], ids=["unticked", "ticked"])
def test_a_test_drive_booking_records_marketing_only_when_its_box_is_ticked(
    client, car, consultant, ticked
):
    data = _person(
        slot=TUESDAY_10_BERLIN.isoformat(), phone=PHONE, licence_confirmed="on", message=""
    )
    if ticked:
        data["marketing_consent"] = "on"

    with time_machine.travel(MONDAY_8_BERLIN, tick=False):
        response = client.post(f"/test-drives/book/{car.pk}/", data)

    assert response.status_code == 302
    assert response["Location"].startswith("/test-drives/manage/")
    assert _consents() == (_marketing_both() if ticked else [])


def test_a_ticked_box_with_only_an_email_records_only_the_email(client, location, consultant):
    data = _person(location=location.pk, type="general", message="Call me back, please")
    data["marketing_consent"] = "on"

    client.post("/enquiries/new/", data)

    assert _consents() == [
        (Channel.EMAIL, EMAIL, True, str(MARKETING_CONSENT_WORDING), "enquiry_form")
    ]


def test_an_unticked_box_never_withdraws_an_earlier_consent(client, location, consultant):
    client.post(
        "/enquiries/new/",
        _person(location=location.pk, type="general", marketing_consent="on", message="Hello"),
    )
    before = _consents()

    client.post("/enquiries/new/", _person(location=location.pk, type="general", message="Again"))

    assert _consents() == before  # no box ticked: no decision either way


# --- Forms without a marketing box: never a marketing consent, however they are posted -----


def _complaint(location, car):
    return (
        "/service/complaints/new/",
        _person(
            location=location.pk,
            phone=PHONE,
            category=Complaint.Category.values[0],
            subject="Scratched paint",
            description="The paint was scratched at the handover.",
        ),
        "/service/complaints/thanks/",
    )


def _service_booking_website(location, car):
    return (
        "/service/book/",
        _person(
            location=location.pk,
            phone=PHONE,
            vin="WVWZZZCDZNW123456",
            make="Volkswagen",
            model="Golf",
            year="2019",
            odometer_km="42000",
        ),
        "/service/book/",
    )


def _service_booking(location, car):
    vehicle = owned_vehicle(CustomerFactory(location=location, email=EMAIL))
    url = f"/service/book/{booking_token(owned_vehicle=vehicle)}/"
    slot = Client().get(url).context["form"].fields["drop_off_at"].choices[0][0]
    return url, {"drop_off_at": slot, "handover": "drop_off", "notes": ""}, "/service/"


def _checkout(location, car):
    return (
        f"/orders/buy/{car.pk}/",
        _person(
            payment_type="cash",
            fulfilment="pickup",
            phone="+49 152 00000001",
            street="Karl-Liebknecht-Straße 5",
            postal_code="04107",
            city="Leipzig",
            down_payment="0",
            term_months="48",
        ),
        "/orders/o/",
    )


def _finance(location, car):
    order = make_order(car, deal=FINANCE)
    return (
        f"/orders/o/{order_token(order)}/finance/",
        {
            "employment_status": "employed",
            "employer": "Leipziger Stadtwerke",
            "years_at_employer": "6",
            "monthly_income": "3400.00",
            "housing_cost": "900",
            "national_id": "L01X00T47",
            "date_of_birth": "1988-04-12",
            "consent": "on",
        },
        "/orders/o/",
    )


def _saved_search(location, car):
    return (
        "/vehicles/saved-searches/",
        {
            "query": "make=Volkswagen",
            "email": EMAIL,
            "consent": "on",
        },
        "/vehicles/",
    )


def _survey(location, car):
    survey = standard_survey()
    _invitation, token = invitation_with_token(
        survey=survey, customer=CustomerFactory(location=location, email=EMAIL)
    )
    nps = survey.questions.get(kind=Question.Kind.NPS)
    return f"/s/{token}/", {nps.field_name: "9"}, "Thank you for your answers!"


FORMS_WITHOUT_A_MARKETING_BOX = {
    "complaint": _complaint,
    "service booking (website)": _service_booking_website,
    "service booking (link)": _service_booking,
    "order checkout": _checkout,
    "finance application (credit check consent)": _finance,
    "saved search (alerts for this search)": _saved_search,
    "survey": _survey,
}


@pytest.mark.parametrize("sneaky", [False, True], ids=["as shown", "with marketing fields"])
@pytest.mark.parametrize("form", list(FORMS_WITHOUT_A_MARKETING_BOX))
def test_a_form_without_a_marketing_box_records_no_marketing_consent(
    client, location, car, consultant, form, sneaky
):
    saved_searches = SavedSearch.objects.count()
    with time_machine.travel(MONDAY_8_BERLIN, tick=True):
        url, data, success = FORMS_WITHOUT_A_MARKETING_BOX[form](location, car)
        if sneaky:
            data = {**SNEAKY, **data}
        response = client.post(url, data)

    # Accepted: redirected onwards, or the page saying it was done.
    if response.status_code == 302:
        assert response["Location"].startswith(success)
    else:
        assert response.status_code == 200
        assert success in response.content.decode()
    assert _consents() == []
    assert Suppression.objects.count() == 0
    if form.startswith("saved search"):
        # Its own consent, kept on the search with the words the visitor ticked.
        assert saved_searches == 0
        saved = SavedSearch.objects.get()
        assert saved.consent_wording.startswith("Email me new matches and price drops")
