"""One reminder per unanswered invitation; staff pulses once per period, anonymous in results."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from surveys.models import Invitation, Question, Touchpoint
from surveys.selectors import pulse_results
from surveys.services import invitation_submit, staff_pulse_invite_due, survey_reminders_send
from tests.accounts.factories import UserFactory
from tests.surveys.factories import InvitationFactory, invitation_with_token, standard_survey

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 5, 4, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def survey():
    return standard_survey(Touchpoint.PURCHASE)


def test_reminder_goes_once_with_a_second_link_and_both_links_work(client, survey):
    invitation, first_token = invitation_with_token(
        survey=survey,
        created_at=NOW - datetime.timedelta(days=3),
        reminder_due_at=NOW - datetime.timedelta(minutes=1),
    )

    with time_machine.travel(NOW, tick=False):
        sent = survey_reminders_send()
        again = survey_reminders_send()

    assert (sent, again) == (1, 0)
    message = OutboxMessage.objects.get()
    assert message.template_key == "surveys.reminder"
    assert message.dedupe_key == f"survey:{invitation.pk}:reminder"
    assert message.to == invitation.customer.email
    invitation.refresh_from_db()
    assert invitation.reminded_at == NOW
    second_token = message.body.split("/s/")[1].split("/")[0]
    assert second_token != first_token
    with time_machine.travel(NOW, tick=False):
        for token in (first_token, second_token):
            assert client.get(reverse("surveys:answer", kwargs={"token": token})).status_code == 200


def test_no_reminder_before_due_after_answer_or_after_expiry(survey):
    InvitationFactory(
        survey=survey, created_at=NOW, reminder_due_at=NOW + datetime.timedelta(hours=1)
    )
    answered = InvitationFactory(
        survey=survey,
        created_at=NOW - datetime.timedelta(days=4),
        reminder_due_at=NOW - datetime.timedelta(days=1),
    )
    invitation_submit(
        invitation=answered,
        answers={survey.questions.get(kind=Question.Kind.NPS).pk: "9"},
        now=NOW - datetime.timedelta(days=2),
    )
    InvitationFactory(
        survey=survey,
        created_at=NOW - datetime.timedelta(days=20),
        reminder_due_at=NOW - datetime.timedelta(days=17),
    )

    with time_machine.travel(NOW, tick=False):
        sent = survey_reminders_send()

    assert sent == 0
    assert OutboxMessage.objects.count() == 0


def test_staff_pulse_invites_each_member_once_per_month(location):
    standard_survey(Touchpoint.STAFF_PULSE)
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    ben = UserFactory(role=Role.SALES_MANAGER, locations=[location])
    UserFactory(role=Role.CONSULTANT, locations=[location], is_active=False)
    UserFactory(role=Role.CONSULTANT, locations=[location], email="")

    with time_machine.travel(NOW, tick=False):
        first = staff_pulse_invite_due()
        second = staff_pulse_invite_due()
    with time_machine.travel(NOW + datetime.timedelta(days=31), tick=False):
        next_month = staff_pulse_invite_due()

    assert first == {"sent": 2, "skipped": 1}
    assert second == {"sent": 0, "skipped": 0}
    assert next_month == {"sent": 2, "skipped": 1}
    may = Invitation.objects.filter(source_id="2026-05", status="sent")
    assert set(may.values_list("staff_member", flat=True)) == {anna.pk, ben.pk}
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == sorted(
        [anna.email, ben.email] * 2
    )


def test_staff_pulse_with_fewer_than_five_responses_shows_nothing(location, manager):
    survey = standard_survey(Touchpoint.STAFF_PULSE)
    nps = survey.questions.get(kind=Question.Kind.NPS)
    why = survey.questions.get(kind=Question.Kind.WHY)
    members = [UserFactory(locations=[location]) for _ in range(5)]
    invitations = [
        InvitationFactory(
            survey=survey, customer=None, staff_member=m, location=location, source_id="2026-05"
        )
        for m in members
    ]
    for invitation, score in zip(invitations[:4], (10, 9, 3, 8), strict=True):
        invitation_submit(invitation=invitation, answers={nps.pk: str(score), why.pk: f"c{score}"})

    hidden = pulse_results(user=manager)

    assert len(hidden) == 1
    assert hidden[0].anonymous_enough is False
    assert hidden[0].summary.score is None
    assert hidden[0].comments == []

    invitation_submit(invitation=invitations[4], answers={nps.pk: "10"})
    shown = pulse_results(user=manager)

    assert shown[0].anonymous_enough is True
    assert shown[0].summary.score == 40  # 3 promoters, 1 passive, 1 detractor of 5
    assert shown[0].summary.responses == 5
    assert shown[0].comments == ["c10", "c3", "c8", "c9"]


def test_pulse_results_are_for_managers_only(location, consultant):
    standard_survey(Touchpoint.STAFF_PULSE)

    assert pulse_results(user=consultant) == []
