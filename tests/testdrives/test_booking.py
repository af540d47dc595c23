"""Booking from the website: customer, lead, booking, confirmation with .ics, SMS, reminders;
a slot that is gone gives the nearest free ones (409), bad input a 400, nothing saved."""

import pytest
from django.core import mail

from dealership.messaging.models import OutboxMessage
from leads.models import Activity, Customer, Lead
from testdrives.models import Booking
from testdrives.tokens import manage_token
from tests.testdrives.conftest import utc
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status
TUESDAY_10_BERLIN = utc(2026, 3, 3, 9, 0)


def _post(client, vehicle, **overrides):
    data = {
        "slot": TUESDAY_10_BERLIN.isoformat(),
        "first_name": "Lena",
        "last_name": "Hoffmann",
        "email": "Lena.Hoffmann@Example.de",
        "phone": "0151 23456789",
        "licence_confirmed": "on",
        "message": "Can I bring my partner?",
        "website": "",
        **overrides,
    }
    return client.post(f"/test-drives/book/{vehicle.pk}/", data)


def test_booking_page_shows_free_slots_in_the_location_time_zone(
    client, frozen, vehicle, consultant, django_assert_num_queries
):
    # SAVEPOINT/RELEASE (ATOMIC_REQUESTS); vehicle with location, its hours, settings,
    # busy ranges with the consultants on duty; the footer's locations and their hours.
    with django_assert_num_queries(8):
        response = client.get(f"/test-drives/book/{vehicle.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Times are local time at the branch (Europe/Berlin)." in page
    assert f'value="{TUESDAY_10_BERLIN.isoformat()}"' in page
    assert page.count('name="slot"') == 8 + 4 * 9 + 5 * 9
    assert '<label for="id_email"' in page or 'for="id_email"' in page


def test_customer_books_a_slot_and_gets_lead_confirmation_ics_sms_and_reminders(
    client, frozen, vehicle, consultant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, vehicle)

    booking = Booking.objects.get()
    token = manage_token(booking_id=booking.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/test-drives/manage/{token}/?booked=1"
    assert booking.start_at == TUESDAY_10_BERLIN
    assert booking.end_at == utc(2026, 3, 3, 9, 45)
    assert booking.busy_until == utc(2026, 3, 3, 10, 0)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.consultant == consultant
    assert booking.licence_confirmed is True
    assert list(booking.history.values_list("from_status", "to_status")) == [("", "confirmed")]
    customer = Customer.objects.get()
    assert (customer.email, customer.mobile_phone) == ("lena.hoffmann@example.de", "+4915123456789")
    lead = Lead.objects.get()
    assert booking.lead == lead
    assert booking.customer == customer
    assert lead.type == Lead.Type.TEST_DRIVE
    assert lead.status == Lead.Status.APPOINTMENT
    assert lead.assigned_to == consultant
    assert lead.stock_number == "G2207"
    assert lead.message == "Can I bring my partner?"
    note = Activity.objects.get(customer=customer)
    assert note.body == (
        f"Test drive booked: {vehicle} on 2026-03-03 10:00 CET (Europe/Berlin) with Anna Schmidt."
    )
    keys = dict(OutboxMessage.objects.values_list("dedupe_key", "status"))
    prefix = f"testdrive:{booking.pk}:v1"
    assert keys == {
        f"{prefix}:confirmed:email": Status.SENT,
        f"{prefix}:confirmed:sms": Status.SENT,
        f"{prefix}:reminder-24h:email": Status.SCHEDULED,
        f"{prefix}:reminder-24h:sms": Status.SCHEDULED,
        f"{prefix}:reminder-2h:sms": Status.SCHEDULED,
    }
    reminders = dict(
        OutboxMessage.objects.filter(status=Status.SCHEDULED).values_list(
            "dedupe_key", "send_after"
        )
    )
    assert reminders[f"{prefix}:reminder-24h:email"] == utc(2026, 3, 2, 9, 0)
    assert reminders[f"{prefix}:reminder-2h:sms"] == utc(2026, 3, 3, 7, 0)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["lena.hoffmann@example.de"]
    assert email.subject == (
        "Your test drive is booked: Tuesday, 3 March 2026, 10:00 CET – " + vehicle.location.name
    )
    assert f"http://127.0.0.1:8000/test-drives/manage/{token}/" in email.body
    assert "Tuesday, 3 March 2026, 10:00 CET (Europe/Berlin)" in email.body
    (filename, content, mimetype) = email.attachments[0]
    assert (filename, mimetype) == ("test-drive.ics", "text/calendar")
    text = content.decode() if isinstance(content, bytes) else content
    assert "DTSTART:20260303T090000Z\r\n" in text
    assert "DTEND:20260303T094500Z\r\n" in text
    assert f"UID:testdrive-{booking.pk}@127.0.0.1:8000\r\n" in text
    assert f"SUMMARY:Test drive: {vehicle.title} ({vehicle.location.name})" in text


def test_confirmation_page_says_booked(client, frozen, vehicle, consultant):
    response = _post(client, vehicle)

    page = client.get(response["Location"]).content.decode()
    assert "Your test drive is booked" in page
    assert "Tuesday, 3 March 2026, 10:00" in page


def test_a_slot_just_taken_gives_the_nearest_free_ones_and_saves_nothing(
    client, frozen, vehicle, consultant
):
    BookingFactory(vehicle=vehicle, consultant=consultant, start_at=TUESDAY_10_BERLIN)

    response = _post(client, vehicle)

    page = response.content.decode()
    assert response.status_code == 409
    assert "That slot was just taken. Here are the nearest free ones." in page
    nearest = [utc(2026, 3, 3, 8), utc(2026, 3, 3, 10), utc(2026, 3, 3, 11)]
    for slot in nearest:
        assert f'value="{slot.isoformat()}"' in page.split("The nearest free times")[1][:2000]
    assert 'value="Lena"' in page  # what was typed is kept
    assert Booking.objects.count() == 1
    assert Customer.objects.count() == 1  # the factory's, not Lena
    assert not Lead.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"licence_confirmed": ""}, "Please confirm that you hold a valid driving licence."),
        ({"slot": "tomorrow at ten"}, "Choose one of the times shown."),
        ({"slot": "2026-03-03T10:00:00"}, "Choose one of the times shown."),
        ({"email": "lena@"}, "Enter a valid email address."),
        ({"first_name": ""}, "This field is required."),
        ({"slot": ""}, "Choose a time for your test drive."),
    ],
)
def test_bad_input_gets_a_400_with_the_message_and_saves_nothing(
    client, frozen, vehicle, consultant, overrides, field_error
):
    response = _post(client, vehicle, **overrides)

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not Booking.objects.exists()
    assert not Customer.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_slot_off_the_grid_or_too_soon_is_refused(client, frozen, vehicle, consultant):
    off_grid = _post(client, vehicle, slot=utc(2026, 3, 3, 9, 20).isoformat())
    too_soon = _post(client, vehicle, slot=utc(2026, 3, 2, 8, 0).isoformat())

    assert off_grid.status_code == 409
    assert too_soon.status_code == 409
    assert not Booking.objects.exists()


def test_a_mobile_number_we_cannot_text_is_a_400(client, frozen, vehicle, consultant):
    response = _post(client, vehicle, phone="12")

    assert response.status_code == 400
    assert "Enter a mobile number we can text, e.g. +49 151 23456789." in response.content.decode()
    assert not Booking.objects.exists()


def test_sold_or_unknown_vehicle_has_no_booking_page(client, frozen, vehicle, consultant):
    vehicle.status = "sold"
    vehicle.save()

    assert client.get(f"/test-drives/book/{vehicle.pk}/").status_code == 404
    assert _post(client, vehicle).status_code == 404
    assert client.get("/test-drives/book/999999/").status_code == 404


def test_the_form_is_rate_limited_per_client(client, frozen, vehicle, consultant, settings):
    settings.TESTDRIVES_FORM_RATE_LIMIT = 2
    _post(client, vehicle, email="a@example.de", slot=utc(2026, 3, 3, 10).isoformat())
    _post(client, vehicle, email="b@example.de", slot=utc(2026, 3, 3, 11).isoformat())

    response = _post(client, vehicle, email="c@example.de", slot=utc(2026, 3, 3, 12).isoformat())

    assert response.status_code == 429
    assert "Too many bookings from your network just now." in response.content.decode()
    assert Booking.objects.count() == 2


def test_the_honeypot_books_nothing(client, frozen, vehicle, consultant):
    response = _post(client, vehicle, website="http://spam.example")

    assert response.status_code == 302
    assert not Booking.objects.exists()


def test_the_form_needs_csrf(frozen, vehicle, consultant):
    from django.test import Client

    response = _post(Client(enforce_csrf_checks=True), vehicle)

    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_a_second_booking_by_the_same_person_reuses_customer_and_lead(
    client, frozen, vehicle, consultant
):
    _post(client, vehicle)
    _post(client, vehicle, slot=utc(2026, 3, 4, 9).isoformat(), phone="+49 151 23456789")

    assert Booking.objects.count() == 2
    assert Customer.objects.count() == 1
    assert Lead.objects.count() == 1


def test_ics_has_escaped_text_and_folded_lines():
    from testdrives.ics import booking_ics

    text = booking_ics(
        uid="testdrive-1@showroom",
        sequence=2,
        start=utc(2026, 3, 29, 7, 0),
        end=utc(2026, 3, 29, 7, 45),
        summary="Test drive: 2022 VW Golf; red, 5 doors",
        description="x" * 200,
        location="Showroom, Gartenstraße 12",
        organizer_email="leipzig@showroom.example",
        now=utc(2026, 3, 1, 12, 0),
    )

    lines = text.split("\r\n")
    assert "SUMMARY:Test drive: 2022 VW Golf\\; red\\, 5 doors" in lines
    assert "DTSTART:20260329T070000Z" in lines
    assert "SEQUENCE:2" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert text.replace("\r\n ", "").count("x" * 200) == 1


def test_book_by_model_lists_the_cars_of_that_model_with_their_branch(client, frozen, vehicle):
    from tests.inventory.factories import VehicleFactory

    VehicleFactory(location=vehicle.location, make="Skoda", model="Octavia")
    VehicleFactory(location=vehicle.location, make="Volkswagen", model="Golf", status="sold")

    overview = client.get("/test-drives/").content.decode()
    chosen = client.get("/test-drives/", {"model": "Volkswagen|Golf"})
    unknown = client.get("/test-drives/", {"model": "Trabant|601"})

    assert "Skoda Octavia (1 car)" in overview
    assert "Volkswagen Golf (1 car)" in overview
    assert chosen.status_code == 200
    page = chosen.content.decode()
    assert f'href="/test-drives/book/{vehicle.pk}/"' in page
    assert page.count("/test-drives/book/") == 1
    assert unknown.status_code == 404
    assert "No car of that model is available" in unknown.content.decode()
