import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from testdrives.models import Booking
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.testdrives.factories import BookingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_funnel_filters_it_and_downloads_the_leaderboard(
    page, manager, consultant, location, staff_log_in
):
    now = timezone.now()
    for days, won in ((2, True), (3, False), (40, True)):
        created = now - datetime.timedelta(days=days)
        LeadFactory(
            customer=CustomerFactory(location=location),
            location=location,
            created_at=created,
            assigned_to=consultant,
            contacted_at=created + datetime.timedelta(hours=1),
            won_at=created + datetime.timedelta(days=1) if won else None,
        )
    # and a test drive Anna completed two days ago
    start = now - datetime.timedelta(days=2)
    BookingFactory(
        location=location,
        vehicle=VehicleFactory(location=location),
        consultant=consultant,
        start_at=start,
        status=Booking.Status.COMPLETED,
    )

    staff_log_in(page, manager, next="/staff/reports/")
    expect(page).to_have_url(re.compile(r"/staff/reports/$"))
    expect(page.get_by_role("heading", name="Reports: Sales funnel")).to_be_visible()
    expect(page.get_by_role("img", name="Sales funnel")).to_be_visible()
    first_row = page.get_by_role("table").first.get_by_role("row").nth(1)
    expect(first_row.get_by_role("cell")).to_have_text(["Leads", "2", "–", "100.0", "1", "1"])

    # A wider period takes in the lead from 40 days ago
    page.get_by_label("From").fill((now - datetime.timedelta(days=60)).date().isoformat())
    page.get_by_role("button", name="Show").click()
    expect(first_row.get_by_role("cell")).to_have_text(["Leads", "3", "–", "100.0", "0", "3"])

    # The filter follows to the leaderboard, whose table downloads as CSV
    page.get_by_role("link", name="Consultants").click()
    expect(page.get_by_role("heading", name="Reports: Consultants")).to_be_visible()
    expect(page.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["Anna Schmidt", "3", "0", "–", "1", "0", "0", "–", "0"]
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download “Consultant leaderboard” as CSV").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[1] == "Anna Schmidt,3,0,,1,0,0,,0"


def test_a_consultant_is_refused_the_reports(page, consultant, staff_log_in):
    staff_log_in(page, consultant, next="/staff/reports/")
    expect(page.get_by_text("403")).to_be_visible()
