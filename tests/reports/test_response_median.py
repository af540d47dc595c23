"""The lead-response median from first responses of known business minutes, recorded by the
service that stops the clock (Leipzig: Europe/Berlin, Mon–Fri 09:00–18:00)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from dealership.accounts.roles import Role
from dealership.reports.selectors import ReportFilters, response_report
from leads.models import Lead
from leads.services.leads import lead_record_first_response
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


# (received, answered, business minutes): UTC; Leipzig is UTC+1 in early March.
ANSWERS = [
    (utc(2, 9), utc(2, 9, 0, 40), 0),  # Mon 10:00, answered within the minute
    (utc(3, 9), utc(3, 9, 3), 3),  # Tue 10:00 → 10:03
    (utc(4, 16, 55), utc(5, 8, 5), 10),  # Wed 17:55 → Thu 09:05: 5 + 5 minutes
    (utc(7, 10), utc(9, 8, 45), 45),  # Sat (closed) → Mon 09:45
]


@pytest.fixture
def answered(settings):
    settings.REPORTS_USE_ROLLUPS = False
    leipzig = LocationFactory(name="Leipzig", slug="leipzig", time_zone="Europe/Berlin")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[leipzig])
    leads = []
    for received, at, _minutes in ANSWERS:
        lead = LeadFactory(
            customer=CustomerFactory(location=leipzig),
            location=leipzig,
            created_at=received,
            response_due_at=received + datetime.timedelta(minutes=15),
        )
        lead_record_first_response(lead=lead, at=at)
        leads.append(lead)
    return {"manager": manager, "location": leipzig, "leads": leads}


def test_first_responses_store_their_business_minutes(answered):
    stored = list(
        Lead.objects.order_by("created_at").values_list("first_response_minutes", flat=True)
    )

    assert stored == [minutes for _received, _at, minutes in ANSWERS]


def test_median_and_p90_of_0_3_10_45_business_minutes(answered):
    with time_machine.travel(utc(16, 11), tick=False):
        result = response_report(
            user=answered["manager"],
            filters=ReportFilters(first=datetime.date(2026, 3, 1), last=datetime.date(2026, 3, 15)),
        )

    # percentile_cont: median between 3 and 10; p90 = 10 + 0.7 × (45 - 10)
    assert result["figures"]["median_minutes"] == Decimal("6.5")
    assert result["figures"]["p90_minutes"] == Decimal("34.5")
    assert result["figures"]["answered"] == 4
    # and the panel's chart counts them by business minutes
    chart = result["charts"][0]
    assert chart.title == "Answered leads by first response (business minutes)"
    assert [(bar.label, bar.display) for bar in chart.bars] == [
        ("Within 5 min", "2"),
        ("6–15 min", "1"),
        ("16–60 min", "1"),
        ("61–240 min", "0"),
        ("Over 240 min", "0"),
    ]


def test_the_response_panel_draws_its_chart(client, answered):
    client.force_login(answered["manager"])

    with time_machine.travel(utc(16, 11), tick=False):
        html = client.get(
            "/staff/reports/response/", {"first": "2026-03-01", "last": "2026-03-15"}
        ).content.decode()

    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert "<title>Answered leads by first response (business minutes)</title>" in html
    assert "Within 5 min" in html


def test_demo_history_answers_take_business_minutes(db):
    from dealership.accounts.models import Location
    from dealership.reports import demo

    # Given a location open Mon–Fri 09:00–18:00 and the demo history seeded
    location = LocationFactory(name="Leipzig", slug="leipzig", time_zone="Europe/Berlin")
    demo.seed(locations=[location])
    location = Location.objects.prefetch_related("opening_hours").get(pk=location.pk)

    # Then every answered history lead took one of the demo's business delays, night and
    # weekend enquiries included (answered after opening, not "0 minutes" while closed)
    minutes = list(
        Lead.objects.filter(external_source=demo.SOURCE, first_response_at__isnull=False)
        .values_list("first_response_minutes", flat=True)
        .distinct()
    )
    assert set(minutes) <= {3, 8, 12, 20, 35, 60, 180}
    assert 0 not in minutes
    assert len(set(minutes)) >= 4
    # and each lead's due time is 15 business minutes after it arrived, in the future of it
    lead = Lead.objects.filter(external_source=demo.SOURCE).earliest("created_at")
    assert lead.response_due_at > lead.created_at
    assert timezone.is_aware(lead.response_due_at)
