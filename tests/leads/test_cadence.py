import datetime

import pytest
import time_machine

from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, InboundSms, OutboxMessage, Suppression
from leads.models import Activity, CadenceRun, CadenceStep, Lead, Task
from leads.services import activity_log, cadence_run_due, lead_create, lead_transition
from tests.accounts.factories import UserFactory
from tests.leads.factories import CadenceStepFactory, CustomerFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=datetime.UTC)  # a Wednesday


def _minutes(n):
    return START + datetime.timedelta(minutes=n)


@pytest.fixture
def steps():
    return [
        CadenceStepFactory(
            position=1,
            delay_minutes=0,
            action=CadenceStep.Action.EMAIL,
            template_key="leads.enquiry_received",
        ),
        CadenceStepFactory(
            position=2,
            delay_minutes=60,
            action=CadenceStep.Action.SMS,
            template_key="leads.follow_up_sms",
        ),
        CadenceStepFactory(
            position=3,
            delay_minutes=24 * 60,
            action=CadenceStep.Action.CALL_TASK,
            template_key="",
            task_title="Call the customer",
        ),
        CadenceStepFactory(position=4, delay_minutes=3 * 24 * 60, action=CadenceStep.Action.EMAIL),
    ]


@pytest.fixture
def lead(location, steps):
    UserFactory(role=Role.CONSULTANT, locations=[location])
    with time_machine.travel(START, tick=False):
        return lead_create(
            customer=CustomerFactory(
                location=location, email="lena@example.de", mobile_phone="+4915123456789"
            ),
            source=Lead.Source.WEBSITE,
            type=Lead.Type.VEHICLE_ENQUIRY,
            location=location,
            make="Volkswagen",
            model="Golf",
        )


def _run(at):
    with time_machine.travel(at, tick=False):
        return cadence_run_due()


def test_the_first_step_is_scheduled_on_creation(lead, steps):
    assert lead.cadence_position == 1
    assert lead.cadence_next_at == START


def test_steps_run_in_order_each_once(lead, steps):
    assert _run(_minutes(1)) == {"queued": 1}
    assert _run(_minutes(2)) == {}
    assert _run(_minutes(61)) == {"queued": 1}
    assert _run(_minutes(24 * 60 + 1)) == {"task_created": 1}
    assert _run(_minutes(3 * 24 * 60 + 1)) == {"queued": 1}
    assert _run(_minutes(10 * 24 * 60)) == {}

    messages = OutboxMessage.objects.order_by("id")
    assert [(m.channel, m.template_key, m.dedupe_key) for m in messages] == [
        ("email", "leads.enquiry_received", f"lead:{lead.pk}:cadence:{steps[0].pk}"),
        ("sms", "leads.follow_up_sms", f"lead:{lead.pk}:cadence:{steps[1].pk}"),
        ("email", "leads.follow_up", f"lead:{lead.pk}:cadence:{steps[3].pk}"),
    ]
    assert all(m.customer_id == lead.customer_id for m in messages)
    task = Task.objects.get()
    assert (task.title, task.kind, task.owner) == ("Call the customer", "call", lead.assigned_to)
    assert CadenceRun.objects.filter(lead=lead).count() == 4
    lead.refresh_from_db()
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "finished")


def test_cadence_stops_when_the_lead_is_won(lead, steps, consultant):
    _run(_minutes(1))
    with time_machine.travel(_minutes(30), tick=False):
        lead_transition(lead=lead, to_status=Lead.Status.WON, by=consultant)

    assert _run(_minutes(24 * 60 * 8)) == {}

    lead.refresh_from_db()
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "won")
    assert OutboxMessage.objects.count() == 1
    assert Task.objects.count() == 0


def test_a_scheduled_cadence_sms_is_cancelled_when_the_lead_is_lost(lead, steps, consultant):
    _run(_minutes(1))
    # 22:00 Berlin is inside the default SMS quiet hours (21–08): the outbox holds it back.
    _run(START.replace(hour=20, minute=0))
    sms = OutboxMessage.objects.get(channel=Channel.SMS)
    assert sms.status == OutboxMessage.Status.SCHEDULED

    lead_transition(lead=lead, to_status=Lead.Status.LOST, by=consultant, lost_reason="price")

    sms.refresh_from_db()
    assert sms.status == OutboxMessage.Status.CANCELLED


def test_cadence_stops_when_the_customer_replies_by_sms(lead, steps):
    _run(_minutes(1))
    with time_machine.travel(_minutes(20), tick=False):
        InboundSms.objects.create(
            provider_id="in-1", sender="+4915123456789", body="Yes, Saturday works"
        )

    assert _run(_minutes(61)) == {"stopped:replied": 1}
    assert OutboxMessage.objects.count() == 1


def test_cadence_stops_on_a_logged_inbound_call(lead, steps, consultant):
    with time_machine.travel(_minutes(30), tick=False):
        activity_log(
            customer=lead.customer,
            lead=lead,
            kind=Activity.Kind.CALL,
            direction="inbound",
            outcome="reached",
            by=consultant,
        )

    assert _run(_minutes(61)) == {"stopped:replied": 1}
    assert OutboxMessage.objects.count() == 0


def test_cadence_stops_when_the_customer_opted_out(lead, steps):
    Suppression.objects.create(channel="email", address="lena@example.de", reason="unsubscribed")
    Suppression.objects.create(channel="sms", address="+4915123456789", reason="stop")

    assert _run(_minutes(1)) == {"stopped:opted_out": 1}
    assert OutboxMessage.objects.count() == 0


def test_cadence_stops_when_the_lead_progresses(lead, steps, consultant):
    _run(_minutes(1))
    lead_transition(lead=lead, to_status=Lead.Status.QUALIFIED, by=consultant)

    lead.refresh_from_db()
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "progressed")


def test_a_lead_type_without_steps_has_no_cadence(location):
    lead = lead_create(
        customer=CustomerFactory(location=location),
        source="website",
        type=Lead.Type.FINANCE,
        location=location,
    )

    assert lead.cadence_next_at is None
    assert cadence_run_due() == {}


def test_the_cadence_task_runs_through_celery(lead, steps):
    from leads.tasks import run_cadences

    with time_machine.travel(_minutes(1), tick=False):
        assert run_cadences.delay().get() == {"queued": 1}


def test_a_paused_cadence_sends_nothing_and_resumes_later_by_the_pause(lead, steps):
    from leads.models import CadenceEvent
    from leads.services import cadence_pause, cadence_resume

    _run(_minutes(1))  # step 1 queued; step 2 due at +60 min
    with time_machine.travel(_minutes(30), tick=False):
        cadence_pause(lead=lead, by=lead.assigned_to, reason="Customer on holiday")

    assert _run(_minutes(24 * 60 * 5)) == {}
    assert OutboxMessage.objects.count() == 1

    with time_machine.travel(_minutes(130), tick=False):
        cadence_resume(lead=lead, by=lead.assigned_to)
    lead.refresh_from_db()
    assert lead.cadence_shift == datetime.timedelta(minutes=100)
    assert lead.cadence_next_at == _minutes(160)
    assert _run(_minutes(159)) == {}
    assert _run(_minutes(161)) == {"queued": 1}
    lead.refresh_from_db()
    assert lead.cadence_next_at == _minutes(24 * 60 + 100)
    assert list(CadenceEvent.objects.order_by("id").values_list("action", "reason", "by")) == [
        ("paused", "Customer on holiday", lead.assigned_to_id),
        ("resumed", "", lead.assigned_to_id),
    ]


def test_a_stopped_cadence_is_skipped_by_the_job_and_pausing_needs_a_reason(lead, steps):
    from django.core.exceptions import PermissionDenied, ValidationError

    from leads.services import cadence_pause, cadence_stop_by_staff

    with pytest.raises(ValidationError) as refused:
        cadence_pause(lead=lead, by=lead.assigned_to, reason="  ")
    assert refused.value.message_dict == {"reason": ["Say why the cadence is paused."]}
    other = UserFactory(role=Role.CONSULTANT, locations=[lead.location])
    with pytest.raises(PermissionDenied):
        cadence_stop_by_staff(lead=lead, by=other, reason="No")
    lead.refresh_from_db()
    assert (lead.cadence_paused_at, lead.cadence_next_at) == (None, START)

    cadence_stop_by_staff(lead=lead, by=lead.assigned_to, reason="Customer asked by phone")

    assert _run(_minutes(24 * 60 * 5)) == {}
    lead.refresh_from_db()
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "stopped_by_staff")
    assert OutboxMessage.objects.count() == 0
