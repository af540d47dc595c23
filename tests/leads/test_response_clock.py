import datetime

import pytest
import time_machine

from dealership.accounts.roles import Role
from leads.business_hours import add_business_minutes, business_minutes_between
from leads.models import Lead, LeadAssignment, ResponseTarget, Task
from leads.services import activity_log, leads_escalate_overdue
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def _at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def test_fifteen_minutes_within_opening_hours():
    location = LocationFactory(time_zone="Europe/Berlin")  # Mon–Fri 09:00–18:00
    # Wednesday 2026-06-10 10:00 Berlin (CEST) = 08:00 UTC.
    assert add_business_minutes(location, _at(2026, 6, 10, 8, 0), 15) == _at(2026, 6, 10, 8, 15)


def test_a_friday_evening_lead_is_due_on_monday_morning():
    location = LocationFactory(time_zone="Europe/Berlin")
    # Friday 2026-06-12 17:55 Berlin: 5 minutes left that day, 10 more on Monday from 09:00.
    due = add_business_minutes(location, _at(2026, 6, 12, 15, 55), 15)

    assert due == _at(2026, 6, 15, 7, 10)  # Monday 09:10 Berlin
    assert business_minutes_between(location, _at(2026, 6, 12, 15, 55), due) == 15


def test_the_clock_runs_across_the_change_to_winter_time():
    location = LocationFactory(time_zone="Europe/Berlin")
    # Friday 2026-10-23 17:30 CEST (15:30 UTC); clocks go back on Sunday 25 October.
    due = add_business_minutes(location, _at(2026, 10, 23, 15, 30), 60)

    # 30 minutes on Friday, 30 on Monday from 09:00 CET (= 08:00 UTC, no longer 07:00).
    assert due == _at(2026, 10, 26, 8, 30)


def test_the_clock_in_another_time_zone():
    location = LocationFactory(time_zone="Europe/Helsinki", weekday_hours={0: ("10:00", "18:00")})
    # Sunday 2026-06-14 20:00 UTC: Helsinki (UTC+3) opens Monday 10:00 = 07:00 UTC.
    assert add_business_minutes(location, _at(2026, 6, 14, 20, 0), 15) == _at(2026, 6, 15, 7, 15)


def test_a_location_with_no_opening_hours_never_comes_due():
    location = LocationFactory(weekday_hours={})

    assert add_business_minutes(location, _at(2026, 6, 10, 8, 0), 15) is None


def _lead(location, at, **kwargs):
    from leads.services import lead_create

    with time_machine.travel(at, tick=False):
        return lead_create(
            customer=CustomerFactory(location=location),
            source=Lead.Source.WEBSITE,
            type=Lead.Type.VEHICLE_ENQUIRY,
            location=location,
            **kwargs,
        )


@pytest.fixture
def branch():
    location = LocationFactory(time_zone="Europe/Berlin")
    ResponseTarget.objects.create(
        location=location, first_response_minutes=15, reassign_after_minutes=30
    )
    return location


def test_lead_creation_stores_the_due_times(branch):
    lead = _lead(branch, _at(2026, 6, 12, 15, 55))

    assert lead.response_due_at == _at(2026, 6, 15, 7, 10)
    assert lead.reassign_due_at == _at(2026, 6, 15, 7, 40)


def test_an_unanswered_lead_escalates_to_the_sales_manager_once(branch):
    anna = UserFactory(role=Role.CONSULTANT, locations=[branch])
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[branch])
    lead = _lead(branch, _at(2026, 6, 10, 8, 0))
    assert lead.assigned_to == anna

    with time_machine.travel(_at(2026, 6, 10, 8, 14), tick=False):
        assert leads_escalate_overdue() == {"escalated": 0, "offered": 0}
    with time_machine.travel(_at(2026, 6, 10, 8, 16), tick=False):
        first = leads_escalate_overdue()
        second = leads_escalate_overdue()

    assert first == {"escalated": 1, "offered": 0}
    assert second == {"escalated": 0, "offered": 0}
    task = Task.objects.get()
    assert (task.owner, task.kind, task.lead) == (manager, Task.Kind.ESCALATION, lead)
    assert task.dedupe_key == f"lead:{lead.pk}:escalation"
    lead.refresh_from_db()
    assert lead.escalated_at == _at(2026, 6, 10, 8, 16)


def test_after_the_second_limit_the_lead_goes_to_the_next_consultant(branch):
    anna = UserFactory(role=Role.CONSULTANT, locations=[branch])
    jonas = UserFactory(role=Role.CONSULTANT, locations=[branch])
    lead = _lead(branch, _at(2026, 6, 10, 8, 0))
    assert lead.assigned_to == anna

    with time_machine.travel(_at(2026, 6, 10, 8, 46), tick=False):
        assert leads_escalate_overdue() == {"escalated": 1, "offered": 1}
        assert leads_escalate_overdue() == {"escalated": 0, "offered": 0}

    lead.refresh_from_db()
    assert lead.assigned_to == jonas
    entry = LeadAssignment.objects.get(reason=LeadAssignment.Reason.NO_RESPONSE)
    assert (entry.from_user, entry.to_user) == (anna, jonas)


def test_an_answered_lead_does_not_escalate(branch):
    anna = UserFactory(role=Role.CONSULTANT, locations=[branch])
    UserFactory(role=Role.SALES_MANAGER, locations=[branch])
    lead = _lead(branch, _at(2026, 6, 10, 8, 0))
    with time_machine.travel(_at(2026, 6, 10, 8, 10), tick=False):
        activity_log(customer=lead.customer, lead=lead, kind="email", by=anna, body="Offer sent")

    with time_machine.travel(_at(2026, 6, 10, 9, 0), tick=False):
        assert leads_escalate_overdue() == {"escalated": 0, "offered": 0}

    assert Task.objects.count() == 0
    lead.refresh_from_db()
    assert lead.first_response_at == _at(2026, 6, 10, 8, 10)
    assert lead.status == Lead.Status.CONTACTED


def test_a_weekend_lead_does_not_escalate_before_monday(branch):
    UserFactory(role=Role.CONSULTANT, locations=[branch])
    UserFactory(role=Role.SALES_MANAGER, locations=[branch])
    _lead(branch, _at(2026, 6, 13, 10, 0))  # Saturday

    with time_machine.travel(_at(2026, 6, 14, 20, 0), tick=False):  # Sunday evening
        assert leads_escalate_overdue() == {"escalated": 0, "offered": 0}
    with time_machine.travel(_at(2026, 6, 15, 7, 16), tick=False):  # Monday 09:16 Berlin
        assert leads_escalate_overdue() == {"escalated": 1, "offered": 0}


def test_the_escalation_task_runs_through_celery(branch):
    from leads.tasks import escalate_overdue

    UserFactory(role=Role.SALES_MANAGER, locations=[branch])
    _lead(branch, _at(2026, 6, 10, 8, 0))

    with time_machine.travel(_at(2026, 6, 10, 8, 20), tick=False):
        result = escalate_overdue.delay()

    assert result.get() == {"escalated": 1, "offered": 0}
    assert Task.objects.filter(kind=Task.Kind.ESCALATION).count() == 1
