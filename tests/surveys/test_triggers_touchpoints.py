"""The touchpoints beyond a won lead: a test drive completed, a delivery, a service visit
completed and a complaint resolved, each pulled from its own app once it is due."""

import datetime
from collections.abc import Callable

import pytest
import time_machine

from aftersales.models import Complaint, ServiceAppointment
from dealership.messaging.models import OutboxMessage
from orders.models import Order
from surveys.models import Invitation, Touchpoint
from surveys.services import survey_invitations_create_due
from surveys.triggers import TRIGGERS
from testdrives.models import Booking, BookingStatusChange
from tests.aftersales.factories import owned_vehicle
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory
from tests.orders.factories import make_order
from tests.surveys.factories import InvitationFactory, standard_survey
from tests.testdrives.factories import BookingFactory

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


def _test_drive(customer=None, *, at, status=Booking.Status.COMPLETED, kind=Booking.Kind.DRIVE):
    """A drive that ended at `at`, with the history row the completion writes."""
    extra = {"customer": customer, "location": customer.location} if customer else {}
    booking = BookingFactory(
        start_at=at - datetime.timedelta(minutes=45), status=status, kind=kind, **extra
    )
    BookingStatusChange.objects.create(
        booking=booking, from_status=Booking.Status.CHECKED_IN, to_status=status, changed_at=at
    )
    return booking


def _delivery(customer=None, *, at, status=Order.Status.DELIVERED):
    order = make_order(VehicleFactory())
    if customer is not None:
        order.customer = customer
    order.status = status
    order.delivered_at = at
    order.save(update_fields=["customer", "status", "delivered_at"])
    return order


def _service_visit(customer=None, *, at, status=ServiceAppointment.Status.COMPLETED):
    vehicle = owned_vehicle(customer)
    return ServiceAppointment.objects.create(
        owned_vehicle=vehicle,
        customer=vehicle.customer,
        location=vehicle.location,
        day=at.date(),
        drop_off_at=at - datetime.timedelta(hours=6),
        handover=ServiceAppointment.Handover.DROP_OFF,
        booked_via=ServiceAppointment.BookedVia.WEBSITE,
        status=status,
        completed_at=at,
    )


def _complaint(customer=None, *, at, status=Complaint.Status.RESOLVED):
    customer = customer or CustomerFactory()
    return Complaint.objects.create(
        customer=customer,
        location=customer.location,
        channel=Complaint.Channel.PHONE,
        category=Complaint.Category.SERVICE,
        severity=Complaint.Severity.MEDIUM,
        subject="Scratch after service",
        description="The door was scratched.",
        status=status,
        target_at=at,
        resolved_at=at,
        created_at=at - datetime.timedelta(days=3),
    )


MAKERS: dict[str, Callable] = {
    Touchpoint.TEST_DRIVE: _test_drive,
    Touchpoint.DELIVERY: _delivery,
    Touchpoint.SERVICE: _service_visit,
    Touchpoint.COMPLAINT: _complaint,
}
# The delay the issue names: test drive yesterday, delivery a week ago, service two days ago.
DELAYS = {
    Touchpoint.TEST_DRIVE: DAY,
    Touchpoint.DELIVERY: 7 * DAY,
    Touchpoint.SERVICE: 2 * DAY,
    Touchpoint.COMPLAINT: DAY,
}
WINDOWS = {
    Touchpoint.TEST_DRIVE: 7 * DAY,
    Touchpoint.DELIVERY: 14 * DAY,
    Touchpoint.SERVICE: 14 * DAY,
    Touchpoint.COMPLAINT: 14 * DAY,
}
TOUCHPOINTS = list(MAKERS)


def test_every_customer_touchpoint_is_wired_with_the_issues_delays():
    assert set(TRIGGERS) == {Touchpoint.PURCHASE, *TOUCHPOINTS}
    for touchpoint in TOUCHPOINTS:
        assert TRIGGERS[touchpoint].delay == DELAYS[touchpoint]
        assert TRIGGERS[touchpoint].window == WINDOWS[touchpoint]


@pytest.mark.django_db
@pytest.mark.parametrize("touchpoint", TOUCHPOINTS)
def test_due_exactly_at_the_delay_and_not_a_minute_before(touchpoint):
    standard_survey(touchpoint)
    make = MAKERS[touchpoint]
    delay, window = DELAYS[touchpoint], WINDOWS[touchpoint]
    make(at=NOW - delay + MINUTE)  # not due yet
    on_the_dot = make(at=NOW - delay)
    last_in_window = make(at=NOW - delay - window + MINUTE)
    make(at=NOW - delay - window)  # the window is open at its start: too old

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 2, "skipped": 0}
    invited = set(Invitation.objects.values_list("touchpoint", "source_id"))
    assert invited == {(touchpoint, str(on_the_dot.pk)), (touchpoint, str(last_in_window.pk))}


@pytest.mark.django_db
@pytest.mark.parametrize("touchpoint", TOUCHPOINTS)
def test_the_job_run_twice_invites_once_per_customer_and_touchpoint(touchpoint):
    survey = standard_survey(touchpoint)
    source = MAKERS[touchpoint](at=NOW - DELAYS[touchpoint] - DAY)

    with time_machine.travel(NOW, tick=False):
        first = survey_invitations_create_due()
        second = survey_invitations_create_due()

    assert first == {"sent": 1, "skipped": 0}
    assert second == {"sent": 0, "skipped": 0}
    invitation = Invitation.objects.get()
    assert invitation.survey == survey
    assert invitation.touchpoint == touchpoint
    assert invitation.dedupe_key == f"{touchpoint}:{source.pk}:{source.customer_id}"
    assert invitation.location_id == source.location_id
    assert invitation.occurred_at == NOW - DELAYS[touchpoint] - DAY
    assert invitation.status == Invitation.Status.SENT
    message = OutboxMessage.objects.get(template_key="surveys.invitation")
    assert message.to == source.customer.email
    assert message.dedupe_key == f"survey:{invitation.pk}:invitation"


@pytest.mark.django_db
def test_the_consultant_of_the_touchpoint_is_on_the_invitation(consultant):
    for touchpoint in (Touchpoint.TEST_DRIVE, Touchpoint.DELIVERY, Touchpoint.COMPLAINT):
        standard_survey(touchpoint)
    drive = _test_drive(at=NOW - 2 * DAY)
    Booking.objects.filter(pk=drive.pk).update(consultant=consultant)
    order = _delivery(at=NOW - 8 * DAY)
    Order.objects.filter(pk=order.pk).update(consultant=consultant)
    complaint = _complaint(at=NOW - 2 * DAY)
    Complaint.objects.filter(pk=complaint.pk).update(handler=consultant)
    standard_survey(Touchpoint.SERVICE)
    _service_visit(at=NOW - 3 * DAY)

    with time_machine.travel(NOW, tick=False):
        assert survey_invitations_create_due() == {"sent": 4, "skipped": 0}

    consultants = dict(Invitation.objects.values_list("touchpoint", "consultant_id"))
    assert consultants == {
        Touchpoint.TEST_DRIVE: consultant.pk,
        Touchpoint.DELIVERY: consultant.pk,
        Touchpoint.COMPLAINT: consultant.pk,
        Touchpoint.SERVICE: None,
    }


@pytest.mark.django_db
def test_contact_cap_holds_across_touchpoints_in_one_run():
    standard_survey(Touchpoint.DELIVERY)
    standard_survey(Touchpoint.SERVICE)
    customer = CustomerFactory()
    _delivery(customer, at=NOW - 8 * DAY)
    _service_visit(customer, at=NOW - 3 * DAY)

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()
        again = survey_invitations_create_due()

    assert counts == {"sent": 1, "skipped": 1}
    assert again == {"sent": 0, "skipped": 0}
    outcomes = sorted(
        Invitation.objects.filter(customer=customer).values_list("status", "skip_reason")
    )
    assert outcomes == [("sent", ""), ("skipped", "capped")]
    assert OutboxMessage.objects.filter(template_key="surveys.invitation").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("touchpoint", TOUCHPOINTS)
def test_a_survey_from_another_touchpoint_within_the_cap_skips_this_one(touchpoint):
    standard_survey(Touchpoint.PURCHASE)
    standard_survey(touchpoint)
    customer = CustomerFactory()
    InvitationFactory(customer=customer, created_at=NOW - 29 * DAY)
    MAKERS[touchpoint](customer, at=NOW - DELAYS[touchpoint] - DAY)

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 1}
    capped = Invitation.objects.get(touchpoint=touchpoint)
    assert (capped.status, capped.skip_reason) == ("skipped", "capped")
    assert OutboxMessage.objects.filter(template_key="surveys.invitation").count() == 0


NOT_DUE = [
    (Touchpoint.TEST_DRIVE, {"status": Booking.Status.CANCELLED}),
    (Touchpoint.TEST_DRIVE, {"status": Booking.Status.NO_SHOW}),
    (Touchpoint.DELIVERY, {"status": Order.Status.READY_FOR_DELIVERY}),
    (Touchpoint.DELIVERY, {"status": Order.Status.CANCELLED}),
    (Touchpoint.SERVICE, {"status": ServiceAppointment.Status.CHECKED_IN}),
    (Touchpoint.SERVICE, {"status": ServiceAppointment.Status.CANCELLED}),
    (Touchpoint.COMPLAINT, {"status": Complaint.Status.IN_PROGRESS}),  # reopened
    (Touchpoint.COMPLAINT, {"status": Complaint.Status.WAITING}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("touchpoint", "state"), NOT_DUE)
def test_a_touchpoint_in_another_state_gets_nothing(touchpoint, state):
    standard_survey(touchpoint)
    MAKERS[touchpoint](at=NOW - DELAYS[touchpoint] - DAY, **state)

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 0}
    assert Invitation.objects.count() == 0
    assert OutboxMessage.objects.filter(template_key="surveys.invitation").count() == 0


@pytest.mark.django_db
def test_a_vehicle_block_is_not_a_test_drive():
    standard_survey(Touchpoint.TEST_DRIVE)
    block = BookingFactory(
        kind=Booking.Kind.BLOCK,
        customer=None,
        status=Booking.Status.COMPLETED,
        start_at=NOW - 3 * DAY,
    )
    BookingStatusChange.objects.create(
        booking=block, to_status=Booking.Status.COMPLETED, changed_at=NOW - 2 * DAY
    )

    with time_machine.travel(NOW, tick=False):
        assert survey_invitations_create_due() == {"sent": 0, "skipped": 0}

    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_a_complaint_closed_after_resolving_is_still_asked_about():
    standard_survey(Touchpoint.COMPLAINT)
    complaint = _complaint(at=NOW - 2 * DAY, status=Complaint.Status.CLOSED)

    with time_machine.travel(NOW, tick=False):
        assert survey_invitations_create_due() == {"sent": 1, "skipped": 0}

    assert Invitation.objects.get().source_id == str(complaint.pk)


@pytest.mark.django_db
def test_a_merged_customer_is_not_invited():
    standard_survey(Touchpoint.DELIVERY)
    survivor = CustomerFactory()
    merged = CustomerFactory(merged_into=survivor)
    _delivery(merged, at=NOW - 8 * DAY)

    with time_machine.travel(NOW, tick=False):
        assert survey_invitations_create_due() == {"sent": 0, "skipped": 0}

    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_the_job_reads_one_query_per_active_survey(django_assert_num_queries):
    for touchpoint in (Touchpoint.PURCHASE, *TOUCHPOINTS):
        standard_survey(touchpoint)
    for touchpoint, make in MAKERS.items():
        for _ in range(3):
            make(at=NOW - DELAYS[touchpoint] - DAY)
    with time_machine.travel(NOW, tick=False):
        survey_invitations_create_due()

    # Given everything invited, a run reads the surveys and one due-query per touchpoint.
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1 + 5):
        assert survey_invitations_create_due() == {"sent": 0, "skipped": 0}
