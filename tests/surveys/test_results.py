"""The results page and CSV: per location, consultant, touchpoint, month; scoped by user."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dealership.accounts.roles import Role
from leads.models import Task
from surveys.models import Question, Touchpoint
from surveys.selectors import ResultFilters, survey_results, top_reasons
from surveys.services import invitation_submit
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory
from tests.surveys.factories import InvitationFactory, standard_survey

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def survey():
    return standard_survey(Touchpoint.PURCHASE)


def _answered(survey, score, *, location, consultant=None, comment="", days_ago=1):
    created = NOW - datetime.timedelta(days=days_ago)
    invitation = InvitationFactory(
        survey=survey,
        customer=CustomerFactory(location=location),
        location=location,
        consultant=consultant,
        created_at=created,
    )
    answers = {survey.questions.get(kind=Question.Kind.NPS).pk: str(score)}
    if comment:
        answers[survey.questions.get(kind=Question.Kind.WHY).pk] = comment
    return invitation_submit(invitation=invitation, answers=answers, now=created)


def test_results_by_location_consultant_touchpoint_and_month(survey, location, manager, consultant):
    other = LocationFactory()
    _answered(survey, 10, location=location, consultant=consultant)
    _answered(survey, 9, location=location, consultant=consultant, days_ago=40)
    _answered(survey, 3, location=location, consultant=consultant, comment="Waited too long")
    InvitationFactory(survey=survey, location=location, created_at=NOW - datetime.timedelta(days=2))
    _answered(survey, 0, location=other)  # not the manager's location

    with time_machine.travel(NOW, tick=False):
        results = survey_results(user=manager, filters=ResultFilters())

    total = results.total.summary
    assert (total.promoters, total.passives, total.detractors, total.invited) == (2, 0, 1, 4)
    assert total.score == Decimal("33.3")
    assert total.response_rate == Decimal("75.0")
    assert (results.total.follow_ups, results.total.closed) == (1, 0)
    assert results.total.closed_loop_rate == Decimal("0.0")
    assert [(r.label, r.summary.score, r.summary.responses, r.change) for r in results.trend] == [
        ("2026-05", Decimal("100.0"), 1, None),
        ("2026-06", Decimal("0.0"), 2, Decimal("-100.0")),
    ]
    assert [(r.label, r.summary.responses) for r in results.by_location] == [(location.name, 3)]
    assert [(r.label, r.summary.responses) for r in results.by_consultant] == [
        ("Anna Schmidt", 3),
        ("—", 0),
    ]
    assert [(str(r.label), r.summary.invited) for r in results.by_touchpoint] == [
        ("After a purchase (lead won)", 4)
    ]
    assert results.top_reasons == [("long", 1), ("waited", 1)]
    assert [inv.nps_score for inv in results.open_follow_ups] == [3]


def test_closing_the_task_closes_the_loop(survey, location, manager):
    detractor = _answered(survey, 2, location=location)
    Task.objects.filter(pk=detractor.follow_up_task_id).update(completed_at=NOW)

    with time_machine.travel(NOW, tick=False):
        results = survey_results(user=manager, filters=ResultFilters())

    assert results.total.closed_loop_rate == Decimal("100.0")
    assert results.open_follow_ups == []


def test_no_answers_show_no_data(client, survey, location, manager):
    InvitationFactory(survey=survey, location=location, created_at=NOW - datetime.timedelta(days=1))
    client.force_login(manager)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("surveys:results"))

    assert response.status_code == 200
    results = response.context["results"]
    assert results.total.summary.score is None
    assert results.total.summary.response_rate == Decimal("0.0")
    assert "no data" in response.content.decode()


def test_consultant_sees_only_their_own_customers(survey, location, consultant):
    colleague = UserFactory(role=Role.CONSULTANT, locations=[location])
    _answered(survey, 10, location=location, consultant=consultant)
    _answered(survey, 1, location=location, consultant=colleague)

    with time_machine.travel(NOW, tick=False):
        results = survey_results(user=consultant, filters=ResultFilters())

    assert results.total.summary.responses == 1
    assert results.total.summary.score == Decimal("100.0")


def test_a_consultant_compares_with_their_locations_team_not_with_colleagues(
    client, survey, location, consultant
):
    colleague = UserFactory(
        role=Role.CONSULTANT, locations=[location], first_name="Jonas", last_name="Weber"
    )
    elsewhere = LocationFactory()
    _answered(survey, 10, location=location, consultant=consultant)
    _answered(survey, 1, location=location, consultant=colleague)
    _answered(survey, 2, location=location, consultant=colleague)
    _answered(survey, 0, location=elsewhere)  # not the consultant's location
    client.force_login(consultant)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("surveys:results"))

    results = response.context["results"]
    html = response.content.decode()
    assert (results.total.summary.responses, results.total.summary.score) == (1, Decimal("100.0"))
    assert [(r.label, r.summary.responses, r.summary.score) for r in results.by_location] == [
        (location.name, 3, Decimal("-33.3"))
    ]
    assert [r.label for r in results.by_consultant] == ["Anna Schmidt"]
    assert "Jonas Weber" not in html
    assert "Your location, whole team" in html


def test_filters_by_location_touchpoint_and_consultant(survey, location, manager, consultant):
    service = standard_survey(Touchpoint.SERVICE)
    _answered(survey, 10, location=location, consultant=consultant)
    _answered(service, 5, location=location)

    with time_machine.travel(NOW, tick=False):
        by_touchpoint = survey_results(
            user=manager, filters=ResultFilters(touchpoint=Touchpoint.SERVICE)
        )
        by_consultant = survey_results(
            user=manager, filters=ResultFilters(consultant=consultant.pk)
        )
        by_location = survey_results(user=manager, filters=ResultFilters(location=location.pk))

    assert by_touchpoint.total.summary.score == Decimal("-100.0")
    assert by_consultant.total.summary.score == Decimal("100.0")
    assert by_location.total.summary.responses == 2


def test_results_page_query_count_does_not_grow(
    client, survey, location, manager, consultant, django_assert_num_queries
):
    client.force_login(manager)
    _answered(survey, 3, location=location, consultant=consultant, comment="Price too high")
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("surveys:results"))  # warm the session
        with django_assert_num_queries(20) as few:
            client.get(reverse("surveys:results"))
        for score in (0, 4, 6, 7, 9, 10, 10, 2):
            _answered(survey, score, location=location, consultant=consultant, comment="Long wait")
        with django_assert_num_queries(20) as many:
            response = client.get(reverse("surveys:results"))

    assert response.status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_results_need_a_staff_login(client):
    response = client.get(reverse("surveys:results"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_csv_export(client, survey, location, manager, consultant):
    _answered(survey, 3, location=location, consultant=consultant, comment="=HYPERLINK(1)")
    _answered(survey, 10, location=location, consultant=consultant, days_ago=2)
    client.force_login(manager)

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("surveys:results_csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Submitted (UTC)",
        "Location",
        "Touchpoint",
        "Consultant",
        "Customer",
        "Score",
        "Category",
        "Lowest CSI",
        "Comment",
        "Follow-up",
    ]
    assert [r[5:] for r in rows[1:]] == [
        ["10", "promoter", "", "", ""],
        ["3", "detractor", "", "'=HYPERLINK(1)", "open"],
    ]
    assert rows[2][:4] == [
        "2026-06-14 12:00",
        location.name,
        "After a purchase (lead won)",
        "Anna Schmidt",
    ]


def test_csv_export_is_for_managers(client, consultant):
    client.force_login(consultant)

    assert client.get(reverse("surveys:results_csv")).status_code == 403


def test_top_reasons_prefer_phrases_and_skip_stop_words():
    texts = [
        "Waited too long at the handover",
        "The handover took long and I waited",
        "Nobody called back, waited a week",
        "Price changed; nobody called back",
    ]

    assert top_reasons(texts, limit=5) == [
        ("waited", 3),
        ("called back", 2),
        ("nobody called", 2),
        ("handover", 2),
        ("long", 2),
    ]
