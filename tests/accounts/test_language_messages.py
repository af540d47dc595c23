"""The customer's language: stored from the page they used, kept once chosen, chosen on the
preference page, and used for every message the outbox renders for them (confirmations,
reminders, surveys), with links that carry the language prefix."""

import datetime

import pytest
import time_machine
from django.core import mail

from aftersales.services import reminders_run
from dealership.messaging.models import Channel, OutboxMessage
from dealership.messaging.services import consent_record, message_enqueue
from dealership.messaging.tokens import unsubscribe_token
from leads.models import Customer, Lead
from surveys.models import Touchpoint
from surveys.services import survey_invitations_create_due
from testdrives.models import Booking
from testdrives.tokens import manage_token
from tests.aftersales.factories import ServiceItemFactory, owned_vehicle
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.surveys.factories import standard_survey
from tests.testdrives.conftest import _clear_cache, frozen, utc, vehicle  # noqa: F401

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"
TUESDAY_10_BERLIN = utc(2026, 3, 3, 9, 0)


def _book(client, vehicle, prefix: str, **overrides):  # noqa: F811
    data = {
        "slot": TUESDAY_10_BERLIN.isoformat(),
        "first_name": "Lena",
        "last_name": "Hoffmann",
        "email": "lena@example.de",
        "phone": "0151 23456789",
        "licence_confirmed": "on",
        "message": "",
        "website": "",
        **overrides,
    }
    return client.post(f"{prefix}/test-drives/book/{vehicle.pk}/", data)


def _sms(booking_key: str) -> OutboxMessage:
    return OutboxMessage.objects.get(dedupe_key=booking_key, channel=Channel.SMS)


# --- the booking confirmation, email and SMS -----------------------------------------------


def test_a_booking_made_in_german_is_confirmed_in_german_with_german_links(
    client,
    frozen,  # noqa: F811
    vehicle,  # noqa: F811
    consultant,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _book(client, vehicle, "/de")

    booking = Booking.objects.get()
    token = manage_token(booking_id=booking.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/de/test-drives/manage/{token}/?booked=1"
    assert Customer.objects.get().language == "de"
    email = mail.outbox[0]
    assert email.subject.startswith("Ihre Probefahrt ist gebucht: Dienstag, 3")
    assert f"{SITE}/de/test-drives/manage/{token}/" in email.body
    assert "Führerschein" in email.body
    sms = _sms(f"testdrive:{booking.pk}:v1:confirmed:sms")
    assert sms.language == "de"
    assert "Ihre Probefahrt" in sms.body
    assert f"Verwalten: {SITE}/de/test-drives/manage/{token}/" in sms.body


def test_a_booking_made_in_chinese_is_confirmed_in_chinese(
    client,
    frozen,  # noqa: F811
    vehicle,  # noqa: F811
    consultant,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _book(client, vehicle, "/zh-hans")

    booking = Booking.objects.get()
    token = manage_token(booking_id=booking.pk)
    email = mail.outbox[0]
    assert email.subject.startswith("您的试驾已预约：")
    assert f"{SITE}/zh-hans/test-drives/manage/{token}/" in email.body
    sms = _sms(f"testdrive:{booking.pk}:v1:confirmed:sms")
    assert "您的试驾" in sms.body
    assert f"{SITE}/zh-hans/test-drives/manage/{token}/" in sms.body


def test_a_chosen_language_is_not_overwritten_by_the_next_form(
    client,
    frozen,  # noqa: F811
    vehicle,  # noqa: F811
    consultant,
    django_capture_on_commit_callbacks,
):
    CustomerFactory(email="lena@example.de", language="fi", location=vehicle.location)

    with django_capture_on_commit_callbacks(execute=True):
        _book(client, vehicle, "/de")

    customer = Customer.objects.get()
    assert customer.language == "fi"
    assert mail.outbox[0].subject.startswith("Koeajosi on varattu: ")


def test_an_enquiry_stores_the_language_of_the_page(client, location):
    response = client.post(
        "/pt/enquiries/new/",
        {
            "type": "vehicle_enquiry",
            "location": location.pk,
            "first_name": "Inês",
            "last_name": "Ferreira",
            "email": "ines@example.pt",
            "phone": "",
            "message": "Olá",
            "website": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/pt/enquiries/thanks/"
    assert Customer.objects.get().language == "pt"


# --- scheduled jobs ---------------------------------------------------------------------------

NIGHT = datetime.datetime(2025, 12, 16, 2, 15, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("language", "subject", "sms_words"),
    [
        ("de", "Bei Ihrem Volkswagen", "Buchen"),
        ("zh-hans", "您的 Volkswagen", "预约"),
    ],
)
def test_the_maintenance_reminder_is_in_the_customers_language(language, subject, sms_words):
    ServiceItemFactory()
    customer = CustomerFactory(language=language)
    for channel, address in ((Channel.EMAIL, customer.email), (Channel.SMS, customer.mobile_phone)):
        consent_record(channel=channel, address=address, granted=True, source="test", wording="y")
    owned_vehicle(customer)

    with time_machine.travel(NIGHT, tick=False):
        reminders_run()

    email = OutboxMessage.objects.get(
        template_key="aftersales.service_reminder", channel=Channel.EMAIL
    )
    sms = OutboxMessage.objects.get(template_key="aftersales.service_reminder", channel=Channel.SMS)
    assert email.language == sms.language == language
    assert email.subject.startswith(subject)
    assert f"{SITE}/{language}/service/book/" in email.body
    assert sms_words in sms.body
    assert f"{SITE}/{language}/service/book/" in sms.body


@pytest.mark.parametrize(
    ("language", "subject"),
    [("de", "Wie war Ihre Erfahrung bei "), ("zh-hans", "您在 ")],
)
def test_the_survey_invitation_is_in_the_customers_language(language, subject):
    now = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
    standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory(language=language)
    ago = datetime.timedelta(days=2)
    LeadFactory(customer=customer, status=Lead.Status.WON, won_at=now - ago, created_at=now - ago)

    with time_machine.travel(now, tick=False):
        assert survey_invitations_create_due() == {"sent": 1, "skipped": 0}

    message = OutboxMessage.objects.get(template_key="surveys.invitation")
    assert message.language == language
    assert message.subject.startswith(subject)
    assert f"{SITE}/{language}/s/" in message.body


def test_links_to_files_and_other_sites_are_left_alone():
    message = message_enqueue(
        channel=Channel.EMAIL,
        purpose="transactional",
        to="kunde@example.de",
        template_key="leads.enquiry_received",
        context={
            "first_name": "Lena",
            "photo": f"{SITE}/media/vehicles/1.jpg",
            "other": "https://example.org/vehicles/",
            "page": f"{SITE}/vehicles/?sort=price",
            "nested": [{"url": f"{SITE}/help/"}],
        },
        dedupe_key="test:links",
        language="fi",
    )

    assert message.context["photo"] == f"{SITE}/media/vehicles/1.jpg"
    assert message.context["other"] == "https://example.org/vehicles/"
    assert message.context["page"] == f"{SITE}/fi/vehicles/?sort=price"
    assert message.context["nested"] == [{"url": f"{SITE}/fi/help/"}]
    # The preference link of the footer is in the message's language too.
    assert f"{SITE}/fi/messages/preferences/" in message.body


# --- the preference page -------------------------------------------------------------------


def test_the_preference_page_lets_the_customer_choose_the_language(client):
    customer = CustomerFactory(email="lena@example.de", language="de")
    token = unsubscribe_token(channel=Channel.EMAIL, address="lena@example.de")

    page = client.get(f"/messages/preferences/{token}/")
    html = page.content.decode()
    response = client.post(f"/messages/preferences/{token}/", {"language": "fi"})

    assert page.status_code == 200, html[-3000:]
    assert 'for="id_language"' in html
    assert '<option value="de" selected>Deutsch</option>' in html
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.language == "fi"


def test_the_preference_page_refuses_an_unknown_language(client):
    customer = CustomerFactory(email="lena@example.de", language="de")
    token = unsubscribe_token(channel=Channel.EMAIL, address="lena@example.de")

    response = client.post(f"/messages/preferences/{token}/", {"language": "xx"})

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    customer.refresh_from_db()
    assert customer.language == "de"
