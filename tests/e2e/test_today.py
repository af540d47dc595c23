"""A consultant works from the staff home: checks a test drive in and marks a task done, each
row changing in place (htmx) without the page reloading."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, TaskFactory
from tests.testdrives.factories import BookingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_checks_in_a_drive_and_marks_a_task_done_from_today(page, staff_log_in):
    location = LocationFactory(time_zone="Europe/Berlin")
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    drive = BookingFactory(
        vehicle=VehicleFactory(location=location),
        consultant=anna,
        customer=CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann"),
        start_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    task = TaskFactory(
        owner=anna,
        title="Send the brochure",
        due_at=timezone.now() - datetime.timedelta(hours=1),
        customer=CustomerFactory(location=location),
    )
    staff_log_in(page, anna)
    page.evaluate("window.stillTheSamePage = true")

    row = page.locator(f"#today-drive-{drive.pk}")
    expect(row).to_contain_text("Confirmed")
    row.get_by_role("button", name="Check in").click()

    expect(row.locator(".today-status")).to_have_text("Checked in")
    expect(row.get_by_role("button", name="Wants an offer")).to_be_visible()
    expect(row.get_by_role("button", name="Check in")).to_have_count(0)

    task_row = page.locator(f"#today-task-{task.pk}")
    task_row.get_by_role("button", name=re.compile(r"^Done\W+Send the brochure$")).click()

    expect(task_row.get_by_text("Done", exact=True)).to_be_visible()
    expect(task_row.get_by_role("button")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    drive.refresh_from_db()
    task.refresh_from_db()
    assert drive.status == Booking.Status.CHECKED_IN
    assert task.completed_at is not None
