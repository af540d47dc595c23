import datetime

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
    others = (
        Lead.objects.exclude(external_source="demo-history")
        .filter(created_at__gte=result["period"].start, created_at__lt=result["period"].end)
        .count()
    )
    assert others >= 4
    assert result["counts"]["leads"] == 3 * 40 + others
    assert result["counts"]["won"] > 0
