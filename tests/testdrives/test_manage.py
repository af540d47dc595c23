"""The signed manage link: view, reschedule (one booking, reminders moved), cancel (no
reminder left); forged, foreign and expired links get a clear page and touch nothing."""

import datetime

import pytest
import time_machine
from django.core import signing

from dealership.messaging.models import OutboxMessage
from testdrives.models import Booking
from testdrives.services import booking_create_from_web
from testdrives.tokens import SALT, manage_token
from tests.testdrives.conftest import MONDAY_8_BERLIN, utc

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


@pytest.fixture
def booking(frozen, vehicle, consultant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return booking_create_from_web(
            vehicle=vehicle,
            start=utc(2026, 3, 4, 9, 0),  # Wednesday 10:00 Berlin
            first_name="Lena",
            last_name="Hoffmann",
            email="lena@example.de",
            phone="+4915123456789",
            licence_confirmed=True,
        )


def _url(booking, action=""):
    token = manage_token(booking_id=booking.pk)
    return f"/test-drives/manage/{token}/{action + '/' if action else ''}"


def _statuses(booking) -> dict[str, str]:
    return dict(
        OutboxMessage.objects.filter(dedupe_key__startswith=f"testdrive:{booking.pk}:")
        .order_by("dedupe_key")
        .values_list("dedupe_key", "status")
    )


def test_the_link_shows_the_booking_in_the_branch_time_zone(client, booking):
    response = client.get(_url(booking))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Wednesday, 4 March 2026, 10:00" in page
    assert "(Europe/Berlin)" in page
    assert "Move my test drive" in page
    assert "Cancel my test drive" in page


def test_reschedule_keeps_one_booking_and_moves_the_reminders(
    client, booking, django_capture_on_commit_callbacks
):
    new_start = utc(2026, 3, 5, 13, 0)  # Thursday 14:00 Berlin

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(booking, "reschedule"), {"slot": new_start.isoformat()})

    assert response.status_code == 302
    assert Booking.objects.count() == 1
    booking.refresh_from_db()
    assert booking.start_at == new_start
    assert booking.version == 2
    assert booking.status == Booking.Status.CONFIRMED
    assert list(booking.history.values_list("from_status", "to_status", "note")) == [
        ("", "confirmed", "Booked on the website"),
        (
            "confirmed",
            "confirmed",
            "Moved from 2026-03-04 10:00 CET (Europe/Berlin) to 2026-03-05 14:00 CET (Europe/Berlin)",
        ),
    ]
    p = f"testdrive:{booking.pk}"
    assert _statuses(booking) == {
        f"{p}:v1:confirmed:email": Status.SENT,
        f"{p}:v1:confirmed:sms": Status.SENT,
        f"{p}:v1:reminder-24h:email": Status.CANCELLED,
        f"{p}:v1:reminder-24h:sms": Status.CANCELLED,
        f"{p}:v1:reminder-2h:sms": Status.CANCELLED,
        f"{p}:v2:confirmed:email": Status.SENT,
        f"{p}:v2:confirmed:sms": Status.SENT,
        f"{p}:v2:reminder-24h:email": Status.SCHEDULED,
        f"{p}:v2:reminder-24h:sms": Status.SCHEDULED,
        f"{p}:v2:reminder-2h:sms": Status.SCHEDULED,
    }
    due = OutboxMessage.objects.get(dedupe_key=f"{p}:v2:reminder-24h:email").send_after
    assert due == utc(2026, 3, 4, 13, 0)
    page = client.get(response["Location"]).content.decode()
    assert "Your test drive has moved." in page
    assert "Thursday, 5 March 2026, 14:00" in page


def test_rescheduling_to_a_taken_slot_changes_nothing(client, booking, vehicle):
    other = booking_create_from_web(
        vehicle=vehicle,
        start=utc(2026, 3, 5, 13, 0),
        first_name="Jonas",
        last_name="Weber",
        email="jonas@example.de",
        phone="+4915199999999",
        licence_confirmed=True,
    )

    response = client.post(_url(booking, "reschedule"), {"slot": other.start_at.isoformat()})

    assert response.status_code == 409
    assert "That slot was just taken." in response.content.decode()
    booking.refresh_from_db()
    assert booking.start_at == utc(2026, 3, 4, 9, 0)
    assert booking.version == 1
    assert _statuses(booking)[f"testdrive:{booking.pk}:v1:reminder-24h:email"] == Status.SCHEDULED
    assert not OutboxMessage.objects.filter(dedupe_key__contains=f"{booking.pk}:v2:").exists()


def test_cancel_by_link_leaves_no_reminder_to_send(
    client, booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(booking, "cancel"), {"reason": "Bought one already"})

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_by == Booking.CancelledBy.CUSTOMER
    assert booking.reason == "Bought one already"
    p = f"testdrive:{booking.pk}"
    statuses = _statuses(booking)
    assert [k for k, v in statuses.items() if v in OutboxMessage.PENDING_STATUSES] == []
    assert statuses[f"{p}:v1:reminder-24h:email"] == Status.CANCELLED
    assert statuses[f"{p}:v1:reminder-2h:sms"] == Status.CANCELLED
    assert statuses[f"{p}:cancelled:email"] == Status.SENT
    assert statuses[f"{p}:cancelled:sms"] == Status.SENT
    # The slot is free again, and the page no longer offers to move or cancel.
    page = client.get(_url(booking)).content.decode()
    assert "Cancel my test drive" not in page
    assert "Move my test drive" not in page


def test_a_cancelled_booking_cannot_be_rescheduled(client, booking):
    client.post(_url(booking, "cancel"), {"reason": ""})

    response = client.post(
        _url(booking, "reschedule"), {"slot": utc(2026, 3, 5, 13, 0).isoformat()}
    )

    assert response.status_code == 400
    assert "A cancelled test drive cannot be moved." in response.content.decode()
    booking.refresh_from_db()
    assert booking.version == 1


def test_a_link_for_one_booking_never_opens_another(client, booking, vehicle):
    other = booking_create_from_web(
        vehicle=vehicle,
        start=utc(2026, 3, 6, 9, 0),
        first_name="Jonas",
        last_name="Weber",
        email="jonas@example.de",
        phone="+4915199999999",
        licence_confirmed=True,
    )
    token = manage_token(booking_id=booking.pk)
    payload, _sep, rest = token.partition(":")
    forged_payload = signing.b64_encode(f'{{"b":{other.pk}}}'.encode()).decode()
    forged = f"{forged_payload}:{rest}"
    unsalted = signing.dumps({"b": other.pk})  # signed with the key but not this salt

    for bad in (forged, unsalted, token[:-2], "nonsense"):
        response = client.get(f"/test-drives/manage/{bad}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
        assert "Friday, 6 March" not in response.content.decode()
        cancel = client.post(f"/test-drives/manage/{bad}/cancel/", {"reason": "x"})
        assert cancel.status_code == 400

    other.refresh_from_db()
    assert other.status == Booking.Status.CONFIRMED
    assert payload != forged_payload


def test_an_expired_link_gets_a_clear_page(client, booking, settings):
    url = _url(booking)
    with time_machine.travel(
        MONDAY_8_BERLIN + datetime.timedelta(seconds=settings.TESTDRIVES_MANAGE_LINK_MAX_AGE + 1),
        tick=False,
    ):
        response = client.get(url)

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_a_link_to_a_deleted_booking_is_a_404(client, booking):
    url = _url(booking)
    OutboxMessage.objects.all().delete()
    booking.history.all().delete()
    booking.delete()

    response = client.get(url)

    assert response.status_code == 404
    assert "We cannot find this booking" in response.content.decode()


def test_tokens_are_salted(booking):
    token = manage_token(booking_id=booking.pk)

    with pytest.raises(signing.BadSignature):
        signing.loads(token)
    assert signing.loads(token, salt=SALT) == {"b": booking.pk}
