import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from aftersales.models import ServiceAppointment
from aftersales.services import appointment_book, appointment_check_in, appointment_complete
from aftersales.tokens import booking_token
from dealership.messaging.models import OutboxMessage
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, WorkshopCapacityFactory, owned_vehicle

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = datetime.datetime(2025, 12, 15, 10, tzinfo=BERLIN)  # a Monday


@pytest.fixture
def setup(location):
    item = ServiceItemFactory()
    WorkshopCapacityFactory(location=location, appointments_per_day=1)
    return item, owned_vehicle(CustomerFactory(location=location))


def test_booking_page_books_a_slot_and_queues_confirmation_and_reminder(client, setup):
    item, ov = setup
    with time_machine.travel(NOW, tick=False):
        url = f"/service/book/{booking_token(owned_vehicle=ov)}/"
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {"drop_off_at": "2025-12-17T09:00:00+01:00", "items": [item.pk], "handover": "wait"},
        )
    assert response.status_code == 302
    appt = ServiceAppointment.objects.get()
    assert (appt.day, appt.handover, list(appt.items.all())) == (
        datetime.date(2025, 12, 17),
        "wait",
        [item],
    )
    assert sorted(OutboxMessage.objects.values_list("dedupe_key", "send_after")) == [
        (f"aftersales:appointment:{appt.pk}:confirmation:email", NOW),
        (f"aftersales:appointment:{appt.pk}:confirmation:sms", NOW),
        (
            f"aftersales:appointment:{appt.pk}:reminder:email",
            datetime.datetime(2025, 12, 16, 9, tzinfo=BERLIN),
        ),
        (
            f"aftersales:appointment:{appt.pk}:reminder:sms",
            datetime.datetime(2025, 12, 16, 9, tzinfo=BERLIN),
        ),
    ]


def test_a_forged_or_foreign_token_is_404(client, setup):
    assert client.get("/service/book/forged/").status_code == 404


def test_a_full_day_is_refused_and_nothing_is_booked(setup):
    item, ov = setup
    other = owned_vehicle(CustomerFactory(location=ov.location))
    at = datetime.datetime(2025, 12, 17, 9, tzinfo=BERLIN)
    with time_machine.travel(NOW, tick=False):
        appointment_book(
            owned_vehicle=ov, drop_off_at=at, items=[item], handover="wait", via="website"
        )
        with pytest.raises(ValidationError, match="fully booked"):
            appointment_book(
                owned_vehicle=other,
                drop_off_at=at + datetime.timedelta(hours=1),
                items=[],
                handover="wait",
                via="website",
            )
    assert ServiceAppointment.objects.count() == 1


def test_check_in_and_completion_write_the_service_history(setup, manager):
    item, ov = setup
    with time_machine.travel(NOW, tick=False):
        appt = appointment_book(
            owned_vehicle=ov,
            drop_off_at=datetime.datetime(2025, 12, 17, 9, tzinfo=BERLIN),
            items=[item],
            handover="drop_off",
            via="staff",
        )
    with time_machine.travel(datetime.datetime(2025, 12, 17, 9, 5, tzinfo=BERLIN), tick=False):
        appt, reading = appointment_check_in(appointment=appt, odometer_km=14000, by=manager)
        appointment_complete(
            appointment=appt,
            work_done="Annual service",
            price=Decimal("289.90"),
            items_done=[item],
            recalls_remedied=[],
            by=manager,
        )
    ov.refresh_from_db()
    assert reading.accepted is True
    assert list(ov.service_records.values_list("description", "done_on", "odometer_km")) == [
        ("Annual service", datetime.date(2025, 12, 17), 14000)
    ]
    # Learned: 14,000 km in 336 days = 41.67 km/day; 15,000 km more take 360 days, five days
    # before the 12 months are up: the mileage wins.
    assert (ov.km_per_day, ov.next_due_on, ov.next_due_by) == (
        Decimal("41.67"),
        datetime.date(2026, 12, 12),
        "km",
    )
