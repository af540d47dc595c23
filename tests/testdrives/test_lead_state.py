"""Test-drive events move the lead through leads' one transition service, with history;
closing stops the response clock and the cadence."""

import datetime

import pytest

from leads.models import Lead, LeadStatusChange, Task
from testdrives.models import Booking
from testdrives.services import booking_cancel_by_customer, booking_transition
from tests.leads.factories import LeadFactory
from tests.testdrives.conftest import utc
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
TUESDAY_10 = utc(2026, 3, 3, 9, 0)


@pytest.fixture
def drive(frozen, vehicle, consultant):
    lead = LeadFactory(
        customer__location=vehicle.location,
        status=Lead.Status.APPOINTMENT,
        assigned_to=consultant,
        response_due_at=utc(2026, 3, 2, 7, 15),  # the lead came in at 8:00, due 8:15
        reassign_due_at=utc(2026, 3, 2, 8, 15),
        cadence_next_at=utc(2026, 3, 3, 7, 0),
    )
    LeadStatusChange.objects.create(
        lead=lead,
        from_status=Lead.Status.QUALIFIED,
        to_status=Lead.Status.APPOINTMENT,
        changed_at=utc(2026, 3, 1, 9, 0),
    )
    return BookingFactory(
        vehicle=vehicle,
        consultant=consultant,
        customer=lead.customer,
        lead=lead,
        start_at=TUESDAY_10,
    )


def _last(lead):
    change = LeadStatusChange.objects.filter(lead=lead).order_by("-id").first()
    return (
        change.from_status,
        change.to_status,
        change.changed_by,
        change.event,
        change.ref,
        change.reason,
    )


def test_cancelled_as_bought_elsewhere_loses_the_lead_and_stops_clock_and_cadence(drive):
    booking_cancel_by_customer(booking=drive, reason="", lost_reason="bought_elsewhere")

    lead = Lead.objects.get(pk=drive.lead_id)
    assert (lead.status, lead.lost_reason) == ("lost", "bought_elsewhere")
    assert _last(lead) == (
        "appointment",
        "lost",
        None,
        "testdrive_cancelled",
        f"booking:{drive.pk}",
        "Test drive cancelled: 2026-03-03 10:00 CET (Europe/Berlin), Bought elsewhere",
    )
    # The first-response target was still ahead (it is 08:00 Berlin, 07:00 UTC): withdrawn.
    assert (lead.response_due_at, lead.reassign_due_at) == (None, None)
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "lost")


def test_cancelled_for_another_reason_goes_back_to_the_previous_working_state(drive, consultant):
    booking_transition(
        booking=drive,
        to_status=Booking.Status.CANCELLED,
        by=consultant,
        reason="Car in the workshop",
        cancelled_by="staff",
    )

    lead = Lead.objects.get(pk=drive.lead_id)
    assert (lead.status, lead.lost_reason) == ("qualified", "")
    assert _last(lead)[:4] == ("appointment", "qualified", consultant, "testdrive_cancelled")


def test_no_show_goes_back_with_a_call_task(drive, consultant, frozen):
    frozen.move_to(TUESDAY_10 + datetime.timedelta(minutes=30))
    booking_transition(booking=drive, to_status=Booking.Status.NO_SHOW, by=consultant)

    lead = Lead.objects.get(pk=drive.lead_id)
    assert lead.status == "qualified"
    assert _last(lead)[:4] == ("appointment", "qualified", consultant, "testdrive_no_show")
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.owner, task.due_at) == (
        "call",
        consultant,
        TUESDAY_10 + datetime.timedelta(minutes=30),
    )
    assert task.title == f"Call {lead.customer}: missed the test drive of {drive.vehicle.title}"


def test_a_cancellation_with_another_drive_ahead_records_why_the_lead_stays(drive, vehicle):
    BookingFactory(
        vehicle=vehicle, customer=drive.customer, lead=drive.lead, start_at=utc(2026, 3, 5, 9, 0)
    )
    booking_cancel_by_customer(booking=drive)

    lead = Lead.objects.get(pk=drive.lead_id)
    assert lead.status == "appointment"
    assert _last(lead) == (
        "appointment",
        "appointment",
        None,
        "testdrive_cancelled",
        f"booking:{drive.pk}",
        "Test drive cancelled: 2026-03-03 10:00 CET (Europe/Berlin). Not moved: another test drive"
        " is still booked.",
    )


def test_cancelling_a_drive_of_a_won_lead_records_that_it_is_closed(drive):
    Lead.objects.filter(pk=drive.lead_id).update(status="won")

    booking_cancel_by_customer(booking=drive, lost_reason="bought_elsewhere")

    lead = Lead.objects.get(pk=drive.lead_id)
    assert (lead.status, lead.lost_reason) == ("won", "")
    assert _last(lead)[1] == "won"
    assert _last(lead)[5].endswith("Not moved: the lead is closed (Won).")
