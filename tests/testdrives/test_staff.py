"""The staff calendar and booking page: day/week by vehicle/consultant, scoped to the user's
locations, fixed queries; phone bookings, statuses with history, outcomes, no-show, assign,
block a vehicle."""

import datetime

import pytest

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Lead, Task
from testdrives.models import Booking
from testdrives.selectors import vehicle_availability
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import LeadFactory
from tests.testdrives.conftest import utc
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
TUESDAY_10 = utc(2026, 3, 3, 9, 0)


@pytest.fixture
def drive(frozen, vehicle, consultant):
    booking = BookingFactory(vehicle=vehicle, consultant=consultant, start_at=TUESDAY_10)
    booking.lead = LeadFactory(
        customer=booking.customer, location=vehicle.location, status=Lead.Status.APPOINTMENT
    )
    booking.save()
    return booking


def test_week_calendar_by_vehicle_in_fixed_queries(
    consultant_client, drive, vehicle, consultant, django_assert_num_queries
):
    url = f"/staff/test-drives/?location={vehicle.location_id}&view=week&by=vehicle&date=2026-03-03"
    consultant_client.get(url)  # warm the session
    # Savepoint, session, user, groups, the location (validated, with hours), bookings,
    # vehicles, the location menu (with hours), release; the session save in its own savepoint.
    with django_assert_num_queries(14) as first:
        response = consultant_client.get(url)
    for hour in (10, 12, 14):
        BookingFactory(
            vehicle=VehicleFactory(location=vehicle.location),
            consultant=consultant,
            start_at=utc(2026, 3, 4, hour),
        )
    with django_assert_num_queries(len(first)):
        more = consultant_client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Mon 2 Mar" in page
    assert "Sun 8 Mar" in page
    assert f"{vehicle.title} · G2207" in page
    assert f'href="/staff/test-drives/{drive.pk}/"' in page
    assert "10:00" in page  # Berlin time, not UTC
    assert "text-bg-primary" in page  # confirmed
    assert more.content.decode().count("/staff/test-drives/") >= 4


def test_day_calendar_by_consultant(consultant_client, drive, vehicle):
    url = (
        f"/staff/test-drives/?location={vehicle.location_id}&view=day&by=consultant&date=2026-03-03"
    )

    page = consultant_client.get(url).content.decode()

    assert "Tue 3 Mar" in page
    assert "Wed 4 Mar" not in page
    assert "Anna Schmidt" in page
    assert vehicle.title in page


def test_the_calendar_is_the_navigation_entry(consultant_client, drive):
    page = consultant_client.get("/staff/").content.decode()

    assert 'href="/staff/test-drives/"' in page


def test_other_locations_bookings_are_hidden(client, frozen, drive):
    elsewhere = LocationFactory()
    outsider = UserFactory(role=Role.CONSULTANT, locations=[elsewhere])
    client.force_login(outsider)

    calendar = client.get(
        f"/staff/test-drives/?location={drive.location_id}&date=2026-03-03"
    ).content.decode()

    assert f"/staff/test-drives/{drive.pk}/" not in calendar
    assert client.get(f"/staff/test-drives/{drive.pk}/").status_code == 404
    response = client.post(
        f"/staff/test-drives/{drive.pk}/status/",
        {"to_status": "cancelled", "reason": "x", "cancelled_by": "staff"},
    )
    assert response.status_code == 404
    drive.refresh_from_db()
    assert drive.status == Booking.Status.CONFIRMED


def test_anonymous_visitors_go_to_the_login(client):
    response = client.get("/staff/test-drives/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/login/")


def test_check_in_then_complete_with_wants_offer_advances_lead_and_creates_task(
    consultant_client, frozen, drive, consultant
):
    url = f"/staff/test-drives/{drive.pk}/"
    frozen.move_to(TUESDAY_10 - datetime.timedelta(minutes=10))  # the customer is here

    assert consultant_client.post(url + "status/", {"to_status": "checked_in"}).status_code == 302
    response = consultant_client.post(url + "complete/", {"outcome": "wants_offer", "note": ""})

    assert response.status_code == 302
    drive.refresh_from_db()
    assert drive.status == Booking.Status.COMPLETED
    assert drive.outcome == Booking.Outcome.WANTS_OFFER
    assert list(drive.history.values_list("from_status", "to_status", "changed_by")) == [
        ("confirmed", "checked_in", consultant.pk),
        ("checked_in", "completed", consultant.pk),
    ]
    drive.lead.refresh_from_db()
    assert drive.lead.status == Lead.Status.NEGOTIATION
    task = Task.objects.get()
    assert task.title == "Prepare and send an offer: 2022 Volkswagen Golf"
    assert task.owner == consultant
    assert task.due_at == utc(2026, 3, 3, 8, 50) + datetime.timedelta(days=1)
    page = consultant_client.get(url).content.decode()
    assert "Wants an offer" in page


def test_not_interested_loses_the_lead_with_the_reason(consultant_client, frozen, drive):
    url = f"/staff/test-drives/{drive.pk}/"
    frozen.move_to(TUESDAY_10)
    consultant_client.post(url + "status/", {"to_status": "checked_in"})

    consultant_client.post(url + "complete/", {"outcome": "not_interested"})

    drive.lead.refresh_from_db()
    assert drive.lead.status == Lead.Status.LOST
    assert drive.lead.lost_reason == Lead.LostReason.NOT_INTERESTED
    assert Task.objects.get().title.startswith("Ask what would suit them better")


def test_an_illegal_move_is_refused_with_the_reason(consultant_client, drive):
    response = consultant_client.post(
        f"/staff/test-drives/{drive.pk}/status/", {"to_status": "completed"}
    )
    complete = consultant_client.post(
        f"/staff/test-drives/{drive.pk}/complete/", {"outcome": "interested"}
    )

    assert response.status_code == 400
    assert "A booking cannot move from “Confirmed” to “Completed”." in response.content.decode()
    assert complete.status_code == 400
    drive.refresh_from_db()
    assert drive.status == Booking.Status.CONFIRMED
    assert not drive.history.exists()
    assert not Task.objects.exists()


def test_staff_cancel_needs_a_reason_and_tells_the_customer(consultant_client, drive):
    url = f"/staff/test-drives/{drive.pk}/status/"

    missing = consultant_client.post(url, {"to_status": "cancelled", "cancelled_by": "staff"})
    assert missing.status_code == 400
    assert "Say why the test drive is cancelled." in missing.content.decode()
    assert not OutboxMessage.objects.exists()

    done = consultant_client.post(
        url, {"to_status": "cancelled", "reason": "Car in the workshop", "cancelled_by": "staff"}
    )

    assert done.status_code == 302
    drive.refresh_from_db()
    assert (drive.status, drive.reason, drive.cancelled_by) == (
        "cancelled",
        "Car in the workshop",
        "staff",
    )
    email = OutboxMessage.objects.get(dedupe_key=f"testdrive:{drive.pk}:cancelled:email")
    assert "Reason: Car in the workshop" in email.body


def test_a_no_show_sends_a_reschedule_offer(consultant_client, drive):
    response = consultant_client.post(
        f"/staff/test-drives/{drive.pk}/status/", {"to_status": "no_show"}
    )

    assert response.status_code == 302
    email = OutboxMessage.objects.get(dedupe_key=f"testdrive:{drive.pk}:no-show:email")
    assert "Pick another time that suits you here: http://127.0.0.1:8000/test-drives/manage/" in (
        email.body
    )
    assert OutboxMessage.objects.filter(dedupe_key=f"testdrive:{drive.pk}:no-show:sms").exists()


def test_reassign_to_another_consultant_is_recorded(consultant_client, drive, consultant):
    jonas = UserFactory(
        role=Role.CONSULTANT, locations=[drive.location], first_name="Jonas", last_name="Becker"
    )

    response = consultant_client.post(
        f"/staff/test-drives/{drive.pk}/assign/", {"consultant": jonas.pk}
    )

    assert response.status_code == 302
    drive.refresh_from_db()
    assert drive.consultant == jonas
    assert drive.history.get().note == "Reassigned from Anna Schmidt to Jonas Becker"


def test_phone_booking_by_staff(consultant_client, frozen, vehicle, consultant):
    response = consultant_client.post(
        "/staff/test-drives/new/",
        {
            "vehicle": vehicle.pk,
            "start": "2026-03-04T10:10",  # off the web grid: fine on the phone
            "consultant": "",
            "first_name": "Karl",
            "last_name": "Meyer",
            "email": "",
            "phone": "0341 1234567",
            "licence_confirmed": "on",
        },
    )

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/test-drives/{booking.pk}/"
    assert booking.start_at == utc(2026, 3, 4, 9, 10)
    assert booking.channel == Booking.Channel.PHONE
    assert booking.consultant == consultant
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.created_by == consultant
    assert booking.lead.source == Lead.Source.PHONE
    assert booking.customer.mobile_phone == "+493411234567"


def test_phone_booking_outside_opening_hours_is_refused(consultant_client, frozen, vehicle):
    response = consultant_client.post(
        "/staff/test-drives/new/",
        {
            "vehicle": vehicle.pk,
            "start": "2026-03-04T17:30",
            "first_name": "Karl",
            "last_name": "Meyer",
            "phone": "0341 1234567",
        },
    )

    assert response.status_code == 400
    assert "The drive must start and end within the location" in response.content.decode()
    assert not Booking.objects.exists()


def test_block_a_vehicle_removes_its_slots(consultant_client, frozen, vehicle, consultant):
    response = consultant_client.post(
        "/staff/test-drives/block/",
        {
            "vehicle": vehicle.pk,
            "start": "2026-03-03T00:00",
            "end": "2026-03-04T00:00",
            "reason": "Service",
        },
    )

    assert response.status_code == 302
    block = Booking.objects.get()
    assert block.kind == Booking.Kind.BLOCK
    assert block.start_at == utc(2026, 3, 2, 23, 0)
    starts = [s.start for s in vehicle_availability(vehicle=vehicle).slot_list]
    assert not [s for s in starts if s.date() == datetime.date(2026, 3, 3)]
    assert utc(2026, 3, 4, 8) in starts


def test_block_over_a_booking_is_refused(consultant_client, drive, vehicle):
    response = consultant_client.post(
        "/staff/test-drives/block/",
        {
            "vehicle": vehicle.pk,
            "start": "2026-03-03T08:00",
            "end": "2026-03-03T18:00",
            "reason": "Sold",
        },
    )

    assert response.status_code == 400
    assert (
        "The vehicle has 1 booking(s) in that period. Move or cancel them first."
        in response.content.decode()
    )
    assert Booking.objects.count() == 1


def test_the_booking_page_shows_history_and_the_customer_link(consultant_client, drive):
    page = consultant_client.get(f"/staff/test-drives/{drive.pk}/").content.decode()

    assert "Tue 3 Mar 2026, 10:00–10:45 CET (Europe/Berlin)" in page
    assert "/test-drives/manage/" in page
    assert "Change status" in page
