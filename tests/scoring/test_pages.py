"""The inbox sorts by score; the lead page shows the score and why, in the reader's language."""

import datetime

import pytest
from django.utils import translation

from leads.models import Lead
from leads.templatetags.leads_tags import score_reason_text
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db

REASONS = [
    {"points": 20, "reason": "booked a test drive"},
    {"points": 10, "reason": "replied to a message"},
    {
        "points": -15,
        "reason": "no contact for %(days)s day",
        "plural": "no contact for %(days)s days",
        "n": 14,
        "args": {"days": 14},
    },
]


def _lead(location, consultant, name, score, **extra):
    customer = CustomerFactory(location=location, first_name=name, last_name="Test")
    return LeadFactory(customer=customer, assigned_to=consultant, score=score, **extra)


def test_the_inbox_sorts_by_score_highest_first(client, consultant, location):
    _lead(location, consultant, "Cold", 5)
    _lead(location, consultant, "Hot", 80)
    _lead(location, consultant, "Warm", 40)
    client.force_login(consultant)

    html = client.get("/staff/leads/?sort=score").content.decode()

    assert html.index("Hot Test") < html.index("Warm Test") < html.index("Cold Test")
    assert '<td class="lead-score">80</td>' in html
    assert "Highest score" in html


def test_the_inbox_sorted_by_score_costs_what_the_other_sorts_cost(
    client, consultant, location, django_assert_num_queries
):
    for score in range(12):
        _lead(location, consultant, f"N{score}", score)
    client.force_login(consultant)

    # As tests/leads/test_staff_views.py's inbox count: the score is one more column.
    with django_assert_num_queries(11):
        response = client.get("/staff/leads/?status=open&sort=score")

    assert response.status_code == 200


def test_the_lead_page_shows_the_score_and_its_reasons(client, consultant, location):
    lead = _lead(location, consultant, "Hot", 15, score_reasons=REASONS)
    client.force_login(consultant)

    html = client.get(lead.get_absolute_url()).content.decode()

    assert '<span class="badge text-bg-primary" id="lead-score-value">15</span>' in html
    assert '<strong class="text-success">+20</strong> booked a test drive' in html
    assert '<strong class="text-success">+10</strong> replied to a message' in html
    assert '<strong class="text-danger">\u221215</strong> no contact for 14 days' in html


def test_a_closed_lead_shows_no_score_panel(client, consultant, location):
    lead = _lead(
        location,
        consultant,
        "Done",
        0,
        status=Lead.Status.WON,
        won_at=datetime.datetime.now(datetime.UTC),
    )
    client.force_login(consultant)

    html = client.get(lead.get_absolute_url()).content.decode()

    assert "lead-score-panel" not in html


def test_reasons_are_shown_in_the_readers_language():
    with translation.override("de"):
        texts = [score_reason_text(entry) for entry in REASONS]
        source = score_reason_text(
            {"points": 15, "reason": "lead source: %(source)s", "args": {"source": "Walk-in"}}
        )

    assert all(text and text != entry["reason"] for text, entry in zip(texts, REASONS, strict=True))
    assert "14" in texts[2]
    assert "Walk-in" not in source


def test_a_managers_own_wording_and_odd_stored_values_show_safely():
    assert score_reason_text({"points": 5, "reason": "50% deposit paid"}) == "50% deposit paid"
    assert (
        score_reason_text({"points": 5, "reason": "no contact for %(days)s days", "args": {}})
        == "no contact for %(days)s days"
    )
    assert score_reason_text({"points": 5, "reason": "%(x)s", "args": {"y": 1}}) == "%(x)s"
