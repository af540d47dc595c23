"""Service appointments move through the shared status machine (dealership/core/states.py):
the table next to the model, a history row per move, the advisor's refusal messages."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from aftersales.models import (
    APPOINTMENT_MACHINE,
    ServiceAppointment,
    ServiceAppointmentTransition,
)
from aftersales.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
)
from dealership.accounts.roles import Role
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, WorkshopCapacityFactory, owned_vehicle

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
S = ServiceAppointment.Status
BOOKED_AT = datetime.datetime(2025, 12, 15, 10, tzinfo=BERLIN)
DAY = datetime.date(2025, 12, 17)
VISIT = datetime.datetime(2025, 12, 17, 8, 30, tzinfo=BERLIN)


@pytest.fixture
def advisor(location):
    return UserFactory(role=Role.SERVICE_ADVISOR, locations=[location])


@pytest.fixture
def appointment(location, advisor):
    item = ServiceItemFactory()
    WorkshopCapacityFactory(location=location, appointments_per_day=5)
    with time_machine.travel(BOOKED_AT, tick=False):
        return appointment_book(
            owned_vehicle=owned_vehicle(CustomerFactory(location=location)),
            drop_off_at=datetime.datetime.combine(DAY, datetime.time(9), tzinfo=BERLIN),
            items=[item],
            handover="drop_off",
            via="staff",
            by=advisor,
        )


def _complete(appointment, by, now):
    return appointment_complete(
        appointment=appointment,
        work_done="Annual service",
        price=Decimal("289.5"),
        items_done=[],
        recalls_remedied=[],
        by=by,
        now=now,
    )


def _history(appointment):
    return [
        (h.from_status, h.to_status, h.by, h.note, h.at)
        for h in ServiceAppointmentTransition.objects.filter(appointment=appointment)
    ]


def test_a_visit_from_booking_to_completion_leaves_one_row_per_move(appointment, advisor):
    appointment_check_in(appointment=appointment, odometer_km=48_200, by=advisor, now=VISIT)
    done_at = VISIT + datetime.timedelta(hours=6)
    appt = _complete(appointment, advisor, done_at)

    assert (appt.status, appt.completed_at, appt.price) == (S.COMPLETED, done_at, Decimal("289.50"))
    assert appt.checkin_odometer_km == 48_200
    assert _history(appointment) == [
        ("", S.BOOKED, advisor, "", BOOKED_AT),
        (S.BOOKED, S.CHECKED_IN, advisor, "48200 km", VISIT),
        (S.CHECKED_IN, S.COMPLETED, advisor, "", done_at),
    ]
    labels = [
        (h.from_label, h.to_label)
        for h in ServiceAppointmentTransition.objects.filter(appointment=appointment)
    ]
    assert labels == [("", "Booked"), ("Booked", "Checked in"), ("Checked in", "Completed")]


def test_the_advisors_messages_say_what_to_do_and_nothing_is_written(appointment, advisor):
    with pytest.raises(ValidationError) as refused:
        _complete(appointment, advisor, VISIT)
    assert refused.value.messages == ["Check the car in before completing the visit."]
    assert refused.value.code == "illegal_transition"

    appointment_check_in(appointment=appointment, odometer_km=1_000, by=advisor, now=VISIT)
    for attempt, message in [
        (
            lambda: appointment_cancel(appointment=appointment),
            "Only a booked appointment can be cancelled.",
        ),
        (
            lambda: appointment_check_in(
                appointment=appointment, odometer_km=1_001, by=advisor, now=VISIT
            ),
            "Only a booked appointment can be checked in.",
        ),
    ]:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [message]

    # A move without a message of its own gets the table's "cannot go from … to …".
    with pytest.raises(ValidationError) as refused:
        APPOINTMENT_MACHINE.transition(appointment, S.NO_SHOW)
    assert refused.value.messages == ["An appointment cannot go from “Checked in” to “No-show”."]
    assert [row[1] for row in _history(appointment)] == [S.BOOKED, S.CHECKED_IN]


def test_a_check_in_on_the_wrong_day_is_refused_after_the_table_and_leaves_the_row(
    appointment, advisor
):
    with pytest.raises(ValidationError) as refused:
        appointment_check_in(
            appointment=appointment,
            odometer_km=1_000,
            by=advisor,
            now=VISIT - datetime.timedelta(days=1),
        )
    assert refused.value.code == "check_in_day"
    appointment.refresh_from_db()
    assert (appointment.status, appointment.checked_in_at) == (S.BOOKED, None)
    assert len(_history(appointment)) == 1


def test_cancelling_twice_records_one_move(appointment):
    appointment_cancel(appointment=appointment)
    again = appointment_cancel(appointment=appointment)

    assert again.status == S.CANCELLED
    assert [(row[0], row[1]) for row in _history(appointment)] == [
        ("", S.BOOKED),
        (S.BOOKED, S.CANCELLED),
    ]
