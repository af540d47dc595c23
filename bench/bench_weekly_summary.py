"""The weekly summary email over the dashboards' year of data (bench_reports' generator and
bench/reports_panel_data.py, sized by the same REPORTS_BENCH_* variables: by default
1,000,000 leads and 100,000 orders at 5 locations; the data bench_reports left behind in the
same run is reused).

Prints p50/p95 of building one sales manager's summary (5 locations: every figure of last
week and the week before per location, and the attention lists) and of building and
rendering it (text and HTML, as the outbox stores it), each with its ratio to the floor: the
dashboards' own report functions run once for the same week over all five locations (what a
single-section summary would cost). Also the number of queries per summary.
"""

import datetime
import os
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import measure, report

REPEAT = int(os.environ.get("REPORTS_BENCH_REPEAT", "10"))


def _data():
    """The bench manager and their locations: bench_reports' data when it is there."""
    from dealership.accounts.models import User
    from leads.models import Lead

    manager = User.objects.filter(username="bench-manager").first()
    if manager is not None and Lead.objects.exists():
        print("reusing the data bench_reports generated", flush=True)
        return manager, [loc.pk for loc in manager.locations.order_by("pk")]

    from bench.bench_reports import _setup
    from bench.reports_panel_data import generate
    from dealership.reports.services import rollup_backfill, rollup_refresh

    manager, location_ids = _setup()
    generate(location_ids=location_ids)
    started = time.perf_counter()
    today = timezone.localdate()
    rollup_backfill(first=today - datetime.timedelta(days=400), last=today)
    rollup_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_dailyfigures")
        cursor.execute("VACUUM ANALYZE reports_responseminutes")
    print(f"rollup backfill in {time.perf_counter() - started:.1f} s", flush=True)
    return manager, location_ids


def main():
    from dealership.accounts.models import Location, User
    from dealership.messaging.models import Channel
    from dealership.messaging.rendering import render_message
    from dealership.reports.selectors import (
        ReportFilters,
        funnel_report,
        inventory_report,
        response_report,
    )
    from dealership.reports.selectors_aftersales import aftersales_report
    from dealership.reports.selectors_nps import nps_report
    from dealership.reports.selectors_orders import orders_report
    from dealership.reports.weekly_summary import summary_week, weekly_summary_context

    manager, location_ids = _data()
    locations = list(Location.objects.filter(pk__in=location_ids).order_by("pk"))
    now = timezone.now()
    first, last = summary_week(locations[0].localtime(now).date())
    week = ReportFilters(first=first, last=last, time_zone=locations[0].time_zone)

    def fresh_manager() -> User:
        # A new instance per run, as the job loads it: no cached roles between runs.
        return User.objects.get(pk=manager.pk)

    def floor():
        user = fresh_manager()
        funnel_report(user=user, filters=week)
        orders_report(user=user, filters=week)
        response_report(user=user, filters=week, now=now)
        nps_report(user=user, filters=week)
        aftersales_report(user=user, filters=week, now=now)
        inventory_report(user=user, filters=week)

    def build():
        return weekly_summary_context(manager=fresh_manager(), locations=locations, now=now)

    def build_and_render():
        import json

        context = json.loads(json.dumps(build()))
        return render_message(
            key="reports.weekly_summary", channel=Channel.EMAIL, language="", context=context
        )

    with CaptureQueriesContext(connection) as queries:
        context = build()
    print(
        f"one summary: {len(locations)} locations, {len(queries)} queries; last week "
        f"{first}..{last}: {context['leads']:,} leads, {context['orders']:,} orders",
        flush=True,
    )
    print(f"load average before measuring: {os.getloadavg()}", flush=True)
    floor_timing = measure("the six reports once, all locations (floor)", floor, repeat=REPEAT)
    report(floor_timing)
    report(measure("weekly summary: build (5 locations)", build, repeat=REPEAT), floor_timing)
    report(
        measure("weekly summary: build and render", build_and_render, repeat=REPEAT),
        floor_timing,
    )
    print(f"load average after measuring: {os.getloadavg()}", flush=True)
