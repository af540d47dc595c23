"""Survey definitions in admin; the periodic tasks run their services (eagerly in tests)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealership.messaging.models import OutboxMessage
from leads.models import Lead
from surveys import tasks
from surveys.models import Invitation, Question, Survey, Touchpoint
from surveys.services import survey_create_standard
from tests.accounts.factories import UserFactory
from tests.leads.factories import LeadFactory
from tests.surveys.factories import standard_survey

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 7, 0, tzinfo=datetime.UTC)


def test_beat_schedules_the_three_jobs():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["surveys-invite-due"]["task"] == "surveys.invite_due"
    assert schedule["surveys-send-reminders"]["task"] == "surveys.send_reminders"
    assert schedule["surveys-staff-pulse"]["task"] == "surveys.staff_pulse"


def test_invite_task_runs_the_trigger_job():
    standard_survey(Touchpoint.PURCHASE)
    LeadFactory(status=Lead.Status.WON, won_at=NOW - datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        first = tasks.invite_due.delay().get()
        second = tasks.invite_due.delay().get()

    assert (first, second) == ({"sent": 1, "skipped": 0}, {"sent": 0, "skipped": 0})
    assert OutboxMessage.objects.filter(template_key="surveys.invitation").count() == 1


def test_standard_survey_has_score_and_why_with_translated_defaults():
    survey = survey_create_standard(
        name="Service", touchpoint=Touchpoint.SERVICE, csi_questions=("Was it done right?",)
    )

    questions = list(survey.questions.all())
    assert [(q.position, q.kind, q.required) for q in questions] == [
        (1, "nps", True),
        (2, "why", False),
        (3, "scale", False),
    ]
    assert questions[0].display_text("en") == (
        "How likely are you to recommend us to a friend or colleague?"
    )
    assert questions[2].display_text("de") == "Was it done right?"


def test_staff_pulse_has_at_most_ten_questions():
    with pytest.raises(ValidationError) as error:
        survey_create_standard(
            name="Pulse", touchpoint=Touchpoint.STAFF_PULSE, csi_questions=tuple("abcdefghi")
        )

    assert error.value.messages == ["A staff pulse has at most 10 questions."]
    assert Survey.objects.count() == 0


def test_a_second_active_survey_for_a_touchpoint_is_refused():
    standard_survey(Touchpoint.SERVICE)
    second = Survey(name="Another", touchpoint=Touchpoint.SERVICE)

    with pytest.raises(ValidationError) as error:
        second.full_clean()

    assert error.value.messages == ["Another active survey already covers this touchpoint."]


def test_translations_must_name_known_languages():
    question = Question(
        survey=standard_survey(),
        kind=Question.Kind.TEXT,
        text="Anything else?",
        text_translations={"xx": "?"},
    )

    with pytest.raises(ValidationError) as error:
        question.full_clean()

    assert error.value.message_dict["text_translations"] == [
        "Unknown language code(s): xx. Use one of de, en, fi, pt, zh-hans."
    ]


def test_multiple_choice_needs_choices():
    question = Question(survey=standard_survey(), kind=Question.Kind.CHOICE, text="Why us?")

    with pytest.raises(ValidationError) as error:
        question.full_clean()

    assert error.value.message_dict["choices"] == ["Give at least two choices as a list."]


def test_admin_refuses_a_staff_pulse_with_eleven_questions(client):
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)
    data = {
        "name": "Pulse",
        "audience": "staff",
        "touchpoint": "staff_pulse",
        "is_active": "on",
        "title": "",
        "title_translations": "{}",
        "reminder_after_days": "3",
        "valid_days": "14",
        "cadence": "monthly",
        "questions-TOTAL_FORMS": "11",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    for i in range(11):
        data |= {
            f"questions-{i}-position": str(i),
            f"questions-{i}-kind": "nps" if i == 0 else "text",
            f"questions-{i}-text": "" if i == 0 else f"Question {i}",
            f"questions-{i}-text_translations": "{}",
            f"questions-{i}-choices": "[]",
        }

    response = client.post(reverse("admin:surveys_survey_add"), data)

    assert response.status_code == 200
    assert "A staff pulse has at most 10 questions." in response.content.decode()
    assert Survey.objects.count() == 0


def test_admin_hides_staff_pulse_invitations(client, location):
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)
    pulse = standard_survey(Touchpoint.STAFF_PULSE)
    from tests.surveys.factories import InvitationFactory

    InvitationFactory(
        survey=pulse,
        customer=None,
        staff_member=admin,
        location=location,
        dedupe_key="pulse:hidden",
    )
    InvitationFactory(survey=standard_survey(), dedupe_key="purchase:shown")

    response = client.get(reverse("admin:surveys_invitation_changelist"))

    assert response.status_code == 200
    assert "purchase:shown" in response.content.decode()
    assert "pulse:hidden" not in response.content.decode()
    assert Invitation.objects.count() == 2
