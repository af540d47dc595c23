"""The NPS panel's whole months from the summary (NpsMonthly): the same figures as from the
invitations, read only where the locations keep the report's calendar, and an answer given
now to an old invitation re-counts the month it went out in."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealership.accounts.roles import Role
from dealership.reports import services
from dealership.reports.models import NpsMonthly
from dealership.reports.selectors import ReportFilters
from dealership.reports.selectors_nps import nps_report
from dealership.reports.services import rollup_backfill, rollup_refresh
from surveys.models import Invitation, Survey, Touchpoint
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory
from tests.surveys.factories import InvitationFactory, standard_survey

from .conftest import NOW, at

pytestmark = pytest.mark.postgres

D = Decimal
LATER = NOW + datetime.timedelta(minutes=10)
WINTER = ReportFilters(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 2, 28))


def invitation(location, touchpoint, created, score):
    survey = Survey.objects.filter(touchpoint=touchpoint).first() or standard_survey(touchpoint)
    return InvitationFactory(
        survey=survey,
        customer=CustomerFactory(location=location),
        location=location,
        created_at=created,
        status=Invitation.Status.COMPLETED if score is not None else Invitation.Status.SENT,
        nps_score=score,
        submitted_at=created + datetime.timedelta(hours=2) if score is not None else None,
    )


@pytest.fixture
def admin(db):
    return UserFactory(username="root", role=Role.ADMINISTRATOR)


def report(admin, settings, *, rollups: bool) -> tuple[dict, bool]:
    settings.REPORTS_USE_ROLLUPS = rollups
    with CaptureQueriesContext(connection) as captured:
        result = nps_report(user=admin, filters=WINTER)
    used = any("reports_npsmonthly" in q["sql"] for q in captured.captured_queries)
    return {t.name: t.rows for t in result["tables"]}, used


def test_whole_months_come_from_the_summary_with_the_same_figures(
    shop_without_sales, admin, settings
):
    # Given both branches on Berlin time, as the group's reports (TIME_ZONE)
    settings.TIME_ZONE = "Europe/Berlin"
    leipzig, dresden = shop_without_sales["leipzig"], shop_without_sales["elsewhere"]
    delivery, service = Touchpoint.DELIVERY, Touchpoint.SERVICE
    # January: a promoter, a detractor and an unanswered invitation (Leipzig); February: a
    # promoter (Leipzig) and a passive (Dresden); December: a promoter (the previous period)
    invitation(leipzig, delivery, at(10, month=1), 10)
    invitation(leipzig, delivery, at(20, month=1), 3)
    invitation(leipzig, delivery, at(15, month=1), None)
    invitation(leipzig, service, at(5, month=2), 9)
    invitation(dresden, delivery, at(10, month=2), 8)
    invitation(leipzig, delivery, datetime.datetime(2025, 12, 5, 9, tzinfo=datetime.UTC), 10)
    rollup_backfill(first=datetime.date(2025, 11, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()

    # When an administrator looks at January and February, from the summary and without it
    from_summary, used_summary = report(admin, settings, rollups=True)
    from_invitations, used_without = report(admin, settings, rollups=False)

    # Then the months came from the summary, and the figures are the hand-counted ones
    assert (used_summary, used_without) == (True, False)
    assert from_summary == from_invitations
    assert from_summary["nps_trend"] == [
        ["2026-01", 2, 1, 0, 1, D("0.0"), None],
        ["2026-02", 2, 1, 1, 0, D("50.0"), D("50.0")],
    ]
    assert from_summary["nps_by_location"] == [
        ["Dresden", 1, D("0.0"), 0, None, None],
        ["Leipzig", 3, D("33.3"), 1, D("100.0"), D("-66.7")],
        ["All locations", 4, D("25.0"), 1, D("100.0"), D("-75.0")],
    ]
    # (the summary holds one row per month, location, touchpoint and score)
    assert NpsMonthly.objects.filter(month=datetime.date(2026, 1, 1)).count() == 3


def test_locations_on_another_calendar_read_the_invitations(shop_without_sales, admin, settings):
    # Given the report's calendar (UTC) is not the branches' (Berlin)
    settings.TIME_ZONE = "UTC"
    invitation(shop_without_sales["leipzig"], Touchpoint.DELIVERY, at(10, month=1), 10)
    rollup_backfill(first=datetime.date(2025, 11, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    # When the administrator looks at the winter
    rows, used_summary = report(admin, settings, rollups=True)
    # Then the months are the invitations' own (a Berlin month is not a UTC month)
    assert used_summary is False
    assert rows["nps_trend"] == [["2026-01", 1, 1, 0, 0, D("100.0"), None]]


def test_an_answer_given_now_recounts_the_month_the_invitation_went_out(
    shop_without_sales, admin, settings
):
    # Given an invitation of 12 January not answered when the rollup ran
    settings.TIME_ZONE = "Europe/Berlin"
    old = invitation(shop_without_sales["leipzig"], Touchpoint.DELIVERY, at(12, month=1), None)
    rollup_backfill(first=datetime.date(2025, 11, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    january = NpsMonthly.objects.filter(month=datetime.date(2026, 1, 1))
    assert list(january.values_list("nps_score", "invitations")) == [(None, 1)]
    # When the customer answers it ten minutes later (a promoter)
    with time_machine.travel(LATER, tick=False):
        old.nps_score, old.submitted_at = 10, LATER
        old.status = Invitation.Status.COMPLETED
        old.save()
        # Then the job finds the day it went out, and recounts January
        assert services._touched_days(NOW + datetime.timedelta(minutes=5)) == {
            datetime.date(2026, 1, 12)
        }
        rollup_refresh()
        assert list(january.values_list("nps_score", "invitations")) == [(10, 1)]
        rows, used_summary = report(admin, settings, rollups=True)
    assert used_summary is True
    assert rows["nps_trend"] == [["2026-01", 1, 1, 0, 0, D("100.0"), None]]
