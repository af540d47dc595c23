"""The public answer page under hostile input: never a 5xx, nothing half-saved."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import strategies as st

from leads.models import Activity, Task
from surveys.models import Answer, Invitation, Question, Touchpoint
from tests.leads.factories import CustomerFactory
from tests.security.fuzz import fuzz_form, hostile_text
from tests.surveys.factories import invitation_with_token, standard_survey

pytestmark = pytest.mark.django_db
EXAMPLES = 120


@pytest.fixture
def link(location, manager, settings):
    settings.SURVEYS_ANSWER_RATE_LIMIT = 10_000  # fuzz the form, not only the rate limit
    survey = standard_survey(Touchpoint.SERVICE, csi=("Was it done right?",))
    invitation, token = invitation_with_token(
        survey=survey, customer=CustomerFactory(location=location)
    )
    return survey, invitation, reverse("surveys:answer", kwargs={"token": token})


def _submitted():
    return list(Invitation.objects.values_list("submitted_at", "nps_score"))


def _answers():
    return sorted(Answer.objects.values_list("question_id", "score", "text"), key=str)


def test_partial_saves_survive_hostile_input(link):
    survey, _invitation, url = link
    ids = [str(q.pk) for q in survey.questions.all()]

    result = fuzz_form(
        Client(),
        url,
        {
            "partial": st.just("1"),
            "question": st.one_of(st.sampled_from(ids), hostile_text()),
            "value": st.one_of(st.sampled_from(["0", "5", "10", "3"]), hostile_text()),
        },
        models=[Task, Activity],
        accepted=lambda response: response.status_code == 200,
        snapshot=lambda: (_answers(), _submitted()),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    # Without "partial" the post is a submission; after it, saves are refused with a 409.
    assert set(result.statuses) <= {200, 400, 409}


def test_submission_survives_hostile_input(link):
    survey, _invitation, url = link
    fields = {
        q.field_name: st.one_of(st.sampled_from(["1", "4", "9", ""]), hostile_text())
        for q in survey.questions.all()
    }

    result = fuzz_form(
        Client(),
        url,
        fields,
        models=[Answer, Task, Activity],
        accepted=lambda response: "Thank you for your answers!" in response.content.decode(),
        snapshot=_submitted,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 400}
    nps = survey.questions.get(kind=Question.Kind.NPS)
    if result.accepted:
        assert Answer.objects.filter(question=nps).count() == 1
        assert Task.objects.count() <= 1
