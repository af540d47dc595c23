"""The answer page: tokens, partial saves, submission, the thank-you, follow-up tasks."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from leads.models import Activity, Task
from surveys.models import Answer, Invitation, Question, Touchpoint
from surveys.selectors import invitation_for_token
from surveys.services import invitation_submit, token_hash, token_new
from tests.surveys.factories import InvitationFactory, invitation_with_token, standard_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    return standard_survey(
        Touchpoint.PURCHASE, csi=("How satisfied were you with your consultant?",)
    )


@pytest.fixture
def invited(survey, location, manager):
    from tests.leads.factories import CustomerFactory

    return invitation_with_token(survey=survey, customer=CustomerFactory(location=location))


def _q(survey, kind) -> Question:
    return survey.questions.get(kind=kind)


def _save(client, token, question, value):
    return client.post(
        reverse("surveys:answer", kwargs={"token": token}),
        {"partial": "1", "question": question.pk, "value": value},
    )


# --- Tokens ---------------------------------------------------------------------------------


def test_token_is_256_random_bits_stored_only_as_its_hash(invited):
    invitation, token = invited

    assert len(token) == 43  # 32 bytes, URL-safe base64
    assert invitation.token_hash == token_hash(token)
    assert token not in invitation.token_hash
    assert invitation_for_token(token=token) == invitation


def test_a_thousand_random_tokens_open_nothing(survey):
    InvitationFactory.create_batch(20, survey=survey)

    hits = [
        token
        for token, _hash in (token_new() for _ in range(1000))
        if invitation_for_token(token=token)
    ]

    assert hits == []


def test_unknown_or_overlong_token_is_a_404(client, invited):
    _invitation, token = invited

    assert (
        client.get(reverse("surveys:answer", kwargs={"token": token_new()[0]})).status_code == 404
    )
    assert (
        client.get(reverse("surveys:answer", kwargs={"token": token + "x" * 30})).status_code == 404
    )
    assert client.get(reverse("surveys:answer", kwargs={"token": token.upper()})).status_code == 404


# --- The page -------------------------------------------------------------------------------


def test_page_shows_the_score_and_the_questions_with_labels(client, invited, survey):
    _invitation, token = invited

    response = client.get(reverse("surveys:answer", kwargs={"token": token}))

    assert response.status_code == 200
    html = response.content.decode()
    nps = _q(survey, Question.Kind.NPS)
    assert "How likely are you to recommend us to a friend or colleague?" in html
    assert "What is the main reason for your score?" in html
    assert "How satisfied were you with your consultant?" in html
    for n in range(11):
        assert (
            f'<label class="btn btn-outline-primary score-option" for="{nps.field_name}-{n}">{n}</label>'
            in html
        )
    assert 'src="/static/js/surveys.js"' in html
    assert " on" + "change=" not in html


def test_partial_save_keeps_each_answer_as_given(client, invited, survey):
    invitation, token = invited
    nps, why = _q(survey, Question.Kind.NPS), _q(survey, Question.Kind.WHY)

    first = _save(client, token, nps, "3")
    second = _save(client, token, why, "  Waited too long.  ")
    changed = _save(client, token, nps, "4")

    assert [first.status_code, second.status_code, changed.status_code] == [200, 200, 200]
    assert json.loads(first.content) == {"saved": True}
    answers = {
        a.question.kind: (a.score, a.text) for a in Answer.objects.select_related("question")
    }
    assert answers == {"nps": (4, ""), "why": (None, "Waited too long.")}
    invitation.refresh_from_db()
    assert invitation.submitted_at is None
    assert invitation.first_answer_at is not None
    page = client.get(reverse("surveys:answer", kwargs={"token": token})).content.decode()
    assert f'id="{nps.field_name}-4" value="4" autocomplete="off" checked' in page
    assert "Waited too long.</textarea>" in page


def test_partial_save_refuses_a_score_out_of_range(client, invited, survey):
    _invitation, token = invited

    response = _save(client, token, _q(survey, Question.Kind.NPS), "11")

    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "Choose a score from 0 to 10."}
    assert Answer.objects.count() == 0


def test_partial_save_refuses_a_question_of_another_survey(client, invited):
    _invitation, token = invited
    other = standard_survey(Touchpoint.SERVICE)

    response = _save(client, token, _q(other, Question.Kind.NPS), "5")

    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "Unknown question."}
    assert Answer.objects.count() == 0


def test_clearing_a_text_answer_deletes_it(client, invited, survey):
    _invitation, token = invited
    why = _q(survey, Question.Kind.WHY)
    _save(client, token, why, "Something")

    response = _save(client, token, why, "")

    assert response.status_code == 200
    assert Answer.objects.count() == 0


def test_detractor_submission_creates_exactly_one_task_for_the_manager(
    client, invited, survey, manager
):
    invitation, token = invited
    nps, why, csi = (
        _q(survey, k) for k in (Question.Kind.NPS, Question.Kind.WHY, Question.Kind.SCALE)
    )
    url = reverse("surveys:answer", kwargs={"token": token})
    data = {nps.field_name: "3", why.field_name: "Nobody called me back.", csi.field_name: "2"}

    response = client.post(url, data)
    again = client.post(url, data)
    later = client.get(url)

    assert response.status_code == 200
    assert "Thank you for your answers!" in response.content.decode()
    assert "Thank you for your answers!" in again.content.decode()
    assert "Thank you for your answers!" in later.content.decode()
    assert 'name="' + nps.field_name not in later.content.decode()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.nps_score, invitation.lowest_csi) == ("completed", 3, 2)
    task = Task.objects.get()
    assert invitation.follow_up_task == task
    assert task.owner == manager
    assert task.customer == invitation.customer
    assert task.dedupe_key == f"survey:{invitation.pk}:follow-up"
    assert task.title == (
        f"Detractor 3/10 (After a purchase (lead won)): call {invitation.customer} – "
        "“Nobody called me back.”"
    )
    note = Activity.objects.get(customer=invitation.customer)
    assert note.body == (
        "Survey After a purchase (lead won): Detractor 3/10.\nNobody called me back."
    )
    assert note.direction == Activity.Direction.INBOUND


def test_promoter_creates_no_task_but_goes_on_the_timeline(client, invited, survey):
    invitation, token = invited
    nps = _q(survey, Question.Kind.NPS)

    client.post(reverse("surveys:answer", kwargs={"token": token}), {nps.field_name: "9"})

    invitation.refresh_from_db()
    assert invitation.nps_score == 9
    assert Task.objects.count() == 0
    note = Activity.objects.get(customer=invitation.customer)
    assert note.body == "Survey After a purchase (lead won): Score 9/10."


def test_low_csi_with_a_good_score_creates_a_task(invited, survey, manager):
    invitation, _token = invited

    invitation_submit(
        invitation=invitation,
        answers={_q(survey, Question.Kind.NPS).pk: "9", _q(survey, Question.Kind.SCALE).pk: "1"},
    )

    task = Task.objects.get()
    assert task.title.startswith("Low satisfaction 1/5 (After a purchase (lead won)): call ")


def test_submission_without_a_score_is_refused_and_saves_nothing(client, invited, survey):
    invitation, token = invited
    why = _q(survey, Question.Kind.WHY)

    response = client.post(
        reverse("surveys:answer", kwargs={"token": token}), {why.field_name: "Just a comment"}
    )

    assert response.status_code == 400
    assert "Please answer this question." in response.content.decode()
    assert "Just a comment</textarea>" in response.content.decode()  # nothing typed is lost
    invitation.refresh_from_db()
    assert invitation.submitted_at is None
    assert Answer.objects.count() == 0
    assert Task.objects.count() == 0


def test_submission_with_a_bad_value_is_refused(client, invited, survey):
    _invitation, token = invited
    nps = _q(survey, Question.Kind.NPS)

    response = client.post(
        reverse("surveys:answer", kwargs={"token": token}), {nps.field_name: "ten"}
    )

    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert Answer.objects.count() == 0


def test_submission_counts_answers_saved_earlier(client, invited, survey):
    invitation, token = invited
    _save(client, token, _q(survey, Question.Kind.NPS), "10")

    response = client.post(reverse("surveys:answer", kwargs={"token": token}), {})

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert (invitation.status, invitation.nps_score) == ("completed", 10)


def test_after_submission_answers_can_no_longer_change(client, invited, survey):
    _invitation, token = invited
    nps = _q(survey, Question.Kind.NPS)
    client.post(reverse("surveys:answer", kwargs={"token": token}), {nps.field_name: "8"})

    response = _save(client, token, nps, "0")

    assert response.status_code == 409
    assert json.loads(response.content) == {
        "error": "This survey has already been submitted. Thank you!"
    }
    assert Answer.objects.get().score == 8


def test_expired_link_shows_closed_page_and_takes_no_answers(client, survey, location):
    _invitation, token = invitation_with_token(
        survey=survey, created_at=timezone.now() - datetime.timedelta(days=20)
    )
    nps = _q(survey, Question.Kind.NPS)

    page = client.get(reverse("surveys:answer", kwargs={"token": token}))
    saved = _save(client, token, nps, "5")
    posted = client.post(reverse("surveys:answer", kwargs={"token": token}), {nps.field_name: "5"})

    assert page.status_code == 410
    assert "This survey has closed" in page.content.decode()
    assert saved.status_code == 409
    assert json.loads(saved.content) == {"error": "This survey link has expired."}
    assert posted.status_code == 410
    assert Answer.objects.count() == 0


def test_answers_are_rate_limited_per_client(client, invited, survey, settings):
    settings.SURVEYS_ANSWER_RATE_LIMIT = 2
    _invitation, token = invited
    nps = _q(survey, Question.Kind.NPS)
    _save(client, token, nps, "5")
    _save(client, token, nps, "6")

    response = _save(client, token, nps, "7")

    assert response.status_code == 429
    assert Answer.objects.get().score == 6


def test_staff_pulse_detractor_gets_no_task(location):
    from tests.accounts.factories import UserFactory

    survey = standard_survey(Touchpoint.STAFF_PULSE)
    member = UserFactory(locations=[location])
    invitation = InvitationFactory(
        survey=survey, customer=None, staff_member=member, location=location
    )

    invitation_submit(invitation=invitation, answers={_q(survey, Question.Kind.NPS).pk: "2"})

    invitation.refresh_from_db()
    assert invitation.nps_score == 2
    assert Task.objects.count() == 0


def test_language_of_the_invitation_picks_the_question_translation(client, survey, location):
    why = _q(survey, Question.Kind.WHY)
    why.text_translations = {"de": "Warum diese Bewertung?"}
    why.save()
    _invitation, token = invitation_with_token(survey=survey, language="de")

    html = client.get(reverse("surveys:answer", kwargs={"token": token})).content.decode()

    assert "Warum diese Bewertung?" in html


def test_the_same_time_machine_is_used_for_expiry(client, invited):
    invitation, token = invited

    with time_machine.travel(invitation.expires_at + datetime.timedelta(seconds=1), tick=False):
        response = client.get(reverse("surveys:answer", kwargs={"token": token}))

    assert response.status_code == 410
    assert Invitation.objects.get().submitted_at is None
