import datetime
import zoneinfo

from django.core.management import call_command
from django.utils import timezone

from dealership.accounts.models import User
from dealership.reports.selectors import ReportFilters, funnel_report
from leads.models import Lead


def test_demo_history_fills_the_dashboards_once(db):
    # Given the demo seeded twice
    call_command("seed_demo")
    call_command("seed_demo")

    # Then 40 history leads per location, once
    assert Lead.objects.filter(external_source="demo-history").count() == 3 * 40
    # and the group manager's funnel over the last 91 days shows them with the enquiries
    today = timezone.localdate()
    result = funnel_report(
        user=User.objects.get(username="manager"),
        filters=ReportFilters(first=today - datetime.timedelta(days=91), last=today),
    )
    # (other apps' demo data adds its own enquiries: count those of the period separately)
    # (each location's leads by its own calendar days)
    period = result["period"]
    others = sum(
        period.first <= created.astimezone(zoneinfo.ZoneInfo(tz)).date() <= period.last
        for created, tz in Lead.objects.exclude(external_source="demo-history").values_list(
            "created_at", "location__time_zone"
        )
    )
    assert others >= 4
    assert result["counts"]["leads"] == 3 * 40 + others
    assert result["counts"]["contacted"] > 0
