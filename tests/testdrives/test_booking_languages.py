"""The booking messages in the customer's language: the date in that language's own pattern
and the .ics attachment's link to the booking under the language's URL prefix."""

import base64

import pytest

from dealership.messaging.models import OutboxMessage
from testdrives.outbox import booking_confirmation_enqueue
from testdrives.tokens import manage_token
from tests.testdrives.conftest import utc
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
TUESDAY_10_BERLIN = utc(2026, 3, 3, 9, 0)


def _ics(message: OutboxMessage) -> str:
    (attachment,) = message.attachments
    assert attachment["filename"] == "test-drive.ics"
    return base64.b64decode(attachment["content_b64"]).decode()


def _unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "")


def test_a_german_customers_confirmation_writes_the_date_the_german_way(
    frozen, vehicle, consultant
):
    booking = BookingFactory(
        vehicle=vehicle, consultant=consultant, start_at=TUESDAY_10_BERLIN, customer__language="de"
    )

    booking_confirmation_enqueue(booking=booking)

    email = OutboxMessage.objects.get(dedupe_key=f"testdrive:{booking.pk}:v1:confirmed:email")
    sms = OutboxMessage.objects.get(dedupe_key=f"testdrive:{booking.pk}:v1:confirmed:sms")
    when = "Dienstag, 3. März 2026, 10:00 CET"
    assert email.language == "de"
    assert email.subject == f"Ihre Probefahrt ist gebucht: {when} – {vehicle.location.name}"
    assert f"{when} (Europe/Berlin)" in email.body
    assert when in sms.body
    assert "3 März" not in email.body + sms.body


@pytest.mark.parametrize(
    ("language", "prefix"), [("de", "/de"), ("fi", "/fi"), ("pt", "/pt"), ("en", ""), ("", "")]
)
def test_the_ics_link_carries_the_customers_language_prefix(
    frozen, vehicle, consultant, language, prefix
):
    booking = BookingFactory(
        vehicle=vehicle,
        consultant=consultant,
        start_at=TUESDAY_10_BERLIN,
        customer__language=language,
    )

    booking_confirmation_enqueue(booking=booking)

    email = OutboxMessage.objects.get(dedupe_key=f"testdrive:{booking.pk}:v1:confirmed:email")
    token = manage_token(booking_id=booking.pk)
    link = f"http://127.0.0.1:8000{prefix}/test-drives/manage/{token}/"
    ics = _unfolded(_ics(email))
    assert f"· {link}" in ics
    assert link in email.body
