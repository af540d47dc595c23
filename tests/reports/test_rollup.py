"""The summary tables: recomputed idempotently, refreshed by the periodic job (window and
touched days), crash-safe, backfilled by a command, and never behind for today."""

import datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dealership.reports import services, tasks
from dealership.reports.models import (
    DailyFigures,
    ResponseMinutes,
    ResponseMinutesMonthly,
    RollupState,
)
from dealership.reports.selectors import ReportFilters, funnel_report, response_report
from dealership.reports.services import rollup_recompute, rollup_refresh
from leads.models import Lead

from .conftest import FIRST, LAST, NOW, at, make_lead

pytestmark = pytest.mark.postgres


def snapshot(model) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return sorted(model.objects.values_list(*fields), key=repr)


def figures(shop, **kwargs) -> dict:
    return funnel_report(
        user=shop["manager"], filters=ReportFilters(first=FIRST, last=LAST, **kwargs)
    )["counts"]


def test_recompute_twice_gives_the_same_rows(shop):
    # Given the fixture's rollup: 10 lead keys, 4 more with test drives, 2 more with orders
    # (O2 shares P1's key, O6 TD6's), 1 with a delivery, 4 with NPS answers; 9 answered
    # leads with different minutes
    before = (
        snapshot(DailyFigures),
        snapshot(ResponseMinutes),
        snapshot(ResponseMinutesMonthly),
    )
    assert len(before[0]) == 21
    assert len(before[1]) == 9
    # (the same 9 summed by month: January 1, February 2, March 6; no two share a key)
    assert len(before[2]) == 9
    # When the same days are recomputed again
    rollup_recompute(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    # Then the rows are the same
    assert (
        snapshot(DailyFigures),
        snapshot(ResponseMinutes),
        snapshot(ResponseMinutesMonthly),
    ) == before


def test_recompute_drops_keys_that_vanished(shop):
    # Given lead A (Jonas's) reassigned to Eva after the rollup
    lead = shop["leads"]["A"]
    Lead.objects.filter(pk=lead.pk).update(assigned_to=shop["c2"])
    # When its day is recomputed
    rollup_recompute(first=datetime.date(2026, 3, 3), last=datetime.date(2026, 3, 3))
    # Then Jonas has no row for it any more, Eva has it (10 minutes to answer)
    day = DailyFigures.objects.filter(day=datetime.date(2026, 3, 3), location_id=lead.location_id)
    assert list(day.values_list("consultant_id", "leads", "contacted", "answered")) == [
        (shop["c2"].pk, 1, 1, 1)
    ]
    assert list(
        ResponseMinutes.objects.filter(day=datetime.date(2026, 3, 3)).values_list(
            "consultant_id", "minutes", "leads"
        )
    ) == [(shop["c2"].pk, 10, 1)]
    assert figures(shop, consultant_id=shop["c1"].pk)["leads"] == 1


def test_a_lead_that_arrived_a_minute_ago_counts_before_any_rollup_run(shop):
    # Given a lead of a minute ago (Monday 16 March), after the last rollup run
    make_lead(shop["leipzig"], created=NOW - datetime.timedelta(minutes=1), minutes=0)
    assert not DailyFigures.objects.filter(day=datetime.date(2026, 3, 16)).exists()
    # When the manager looks at today
    today = datetime.date(2026, 3, 16)
    filters = ReportFilters(first=today, last=today)
    counts = funnel_report(user=shop["manager"], filters=filters)["counts"]
    response = response_report(user=shop["manager"], filters=filters)["figures"]
    # Then it is there
    assert counts == {"leads": 1, "contacted": 0, "test_drives": 0, "orders": 0, "delivered": 0}
    assert (response["leads"], response["answered"], response["median_minutes"]) == (1, 1, 0)


def test_days_before_the_cutoff_come_from_the_summary(shop):
    # Given a lead of 5 March added after the rollup ran (the job has not seen it yet)
    make_lead(shop["leipzig"], created=at(5, hour=12), minutes=3)
    # Then the summary still shows 5 leads until the job runs
    assert figures(shop)["leads"] == 5
    # And after the periodic job's run it shows 6
    rollup_refresh()
    assert figures(shop)["leads"] == 6


def test_refresh_recomputes_the_window_and_older_days_touched_since_the_last_run(shop):
    # Given a first run, and then a lead of 10 January (outside the 35-day window) that is
    # contacted only now
    rollup_refresh()
    assert RollupState.objects.get().started_at == NOW
    old = make_lead(shop["leipzig"], created=at(10, month=1), minutes=4)
    DailyFigures.objects.filter(day=datetime.date(2026, 1, 10)).delete()
    later = NOW + datetime.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        old.contacted_at = later
        old.status = Lead.Status.CONTACTED
        old.save()
        # When the job runs again
        rollup_refresh()
    # Then the old day is recomputed with the lead contacted
    row = DailyFigures.objects.get(
        day=datetime.date(2026, 1, 10), location_id=shop["leipzig"].pk, consultant_id=None
    )
    assert (row.leads, row.contacted, row.answered) == (1, 1, 1)
    assert RollupState.objects.get().started_at == later


def test_a_run_that_crashes_halfway_is_redone(shop, monkeypatch):
    # Given a first run, then an old lead touched (outside the window)
    rollup_refresh()
    old = make_lead(shop["leipzig"], created=at(10, month=1), minutes=4)
    real = services.rollup_recompute
    calls = []

    def crash_on_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(services, "rollup_recompute", crash_on_second)
    later = NOW + datetime.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        old.save()
        DailyFigures.objects.filter(day=datetime.date(2026, 1, 10)).delete()
        # When the run crashes after the window, before the old day
        with pytest.raises(RuntimeError, match="worker lost"):
            rollup_refresh()
    # Then the state did not move: the next run still sees the touched day
    assert RollupState.objects.get().started_at == NOW
    assert not DailyFigures.objects.filter(day=datetime.date(2026, 1, 10)).exists()
    assert len(calls) == 2
    monkeypatch.setattr(services, "rollup_recompute", real)
    with time_machine.travel(later + datetime.timedelta(minutes=10), tick=False):
        rollup_refresh()
    row = DailyFigures.objects.get(
        day=datetime.date(2026, 1, 10), location_id=shop["leipzig"].pk, consultant_id=None
    )
    assert row.leads == 1


def test_refresh_twice_writes_the_same_rows(shop):
    rollup_refresh()
    first = (snapshot(DailyFigures), snapshot(ResponseMinutes))
    rollup_refresh()
    assert (snapshot(DailyFigures), snapshot(ResponseMinutes)) == first


def test_celery_task_runs_the_job_eagerly(shop):
    # Given empty summary tables and no run yet
    DailyFigures.objects.all().delete()
    ResponseMinutes.objects.all().delete()
    RollupState.objects.all().delete()
    # When the task runs (eagerly)
    written = tasks.rollup_refresh.delay().get()
    # Then it filled the window (9 February to 17 March: P1 on 20 February is its first
    # row) and nothing before it (the VIN lead of 10 January)
    assert written == DailyFigures.objects.count() + ResponseMinutes.objects.count()
    assert DailyFigures.objects.earliest("day").day == datetime.date(2026, 2, 20)
    assert not DailyFigures.objects.filter(day__lt=datetime.date(2026, 2, 9)).exists()
    assert figures(shop) == {
        "leads": 5,
        "contacted": 4,
        "test_drives": 2,
        "orders": 2,
        "delivered": 1,
    }


def test_beat_runs_the_job_every_ten_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports-rollup"]
    assert entry == {"task": "reports.rollup_refresh", "schedule": 600.0}


def test_backfill_command(shop, capsys):
    DailyFigures.objects.all().delete()
    ResponseMinutes.objects.all().delete()
    call_command("reports_backfill", "--first", "2026-02-01", "--last", "2026-03-17")
    rows = DailyFigures.objects.count() + ResponseMinutes.objects.count()
    assert capsys.readouterr().out == (
        f"Recomputed 2026-02-01 to 2026-03-17: {rows} summary rows.\n"
    )
    assert rows == 28
    assert figures(shop)["leads"] == 5


def test_backfill_command_refuses_a_reversed_range(shop):
    DailyFigures.objects.all().delete()
    with pytest.raises(CommandError, match=r"--first must not be after --last\."):
        call_command("reports_backfill", "--first", "2026-03-17", "--last", "2026-03-01")
    assert not DailyFigures.objects.exists()


def test_monthly_histogram_sums_the_days_of_each_month(shop):
    # Given two more leads of 20 March answered after 10 minutes (A, on 3 March, also 10)
    for _ in range(2):
        make_lead(shop["leipzig"], created=at(20), minutes=10, assigned_to=shop["c1"])
    # When the days of March are recomputed
    rollup_recompute(first=datetime.date(2026, 3, 20), last=datetime.date(2026, 3, 20))
    # Then March's bucket for Jonas at 10 minutes holds all three
    bucket = ResponseMinutesMonthly.objects.get(
        month=datetime.date(2026, 3, 1), consultant_id=shop["c1"].pk, minutes=10
    )
    assert bucket.leads == 3


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        ("2026-03-01", "2026-03-31", ("2026-03-01", "2026-03-01")),
        ("2026-03-02", "2026-03-31", None),
        ("2026-02-15", "2026-05-10", ("2026-03-01", "2026-04-01")),
        ("2026-01-31", "2026-02-28", ("2026-02-01", "2026-02-01")),
        ("2024-02-01", "2024-02-28", None),  # a leap year's February ends on the 29th
        ("2026-03-02", "2026-03-15", None),
    ],
)
def test_whole_months_of_a_period(first, last, months):
    from dealership.reports.selectors import _whole_months

    expected = tuple(datetime.date.fromisoformat(m) for m in months) if months else None
    assert (
        _whole_months(datetime.date.fromisoformat(first), datetime.date.fromisoformat(last))
        == expected
    )
