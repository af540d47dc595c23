import datetime
import zoneinfo

from django.core.management import call_command
from django.utils import timezone

from dealership.accounts.models import User
from dealership.reports.selectors import ReportFilters, funnel_report
from leads.models import Lead
from orders.models import Order
from testdrives.models import Booking


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
    # and the history's test drives, orders and deliveries, once
    history = Lead.objects.filter(external_source="demo-history")
    drives = Booking.objects.filter(lead__in=history, status=Booking.Status.COMPLETED)
    now = timezone.now()
    assert drives.count() == history.filter(appointment_at__lte=now).count() > 0
    sold = Order.objects.filter(customer__leads__in=history)
    assert sold.count() == history.filter(won_at__lte=now).count()
    assert sold.filter(status=Order.Status.DELIVERED).count() == sold.count()
    assert result["counts"]["test_drives"] >= drives.count()
    assert result["counts"]["orders"] > 0
    assert result["counts"]["delivered"] > 0
