"""The lead inbox in the browser: the response clocks tick without a reload, and the
response column stays in view on a tablet (820 px)."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tablet_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 820, "height": 1180})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _lead(location, consultant, *, due_in: datetime.timedelta, **customer):
    return LeadFactory(
        customer=CustomerFactory(location=location, **customer),
        assigned_to=consultant,
        response_due_at=timezone.now() + due_in,
    )


def test_the_response_clock_ticks_without_a_reload(page, staff_log_in, consultant, location):
    lead = _lead(
        location,
        consultant,
        due_in=datetime.timedelta(minutes=20, seconds=40),
        first_name="Lena",
        last_name="Hoffmann",
    )
    # The page's timers are fake (htmx's 30 s poll fires when the test says), and the
    # server's clock is moved on by five minutes between the two readings.
    page.clock.install()
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        staff_log_in(page, consultant, next="/staff/leads/")
        row = page.get_by_role("row").filter(has_text="Lena Hoffmann")
        clock = row.locator(f"#clock-{lead.pk}")
        expect(clock).to_have_text("20 min left")
        page.evaluate("window.sameDocument = 'the page was not reloaded'")

        traveller.shift(datetime.timedelta(minutes=5))
        page.clock.fast_forward("00:31")

        expect(clock).to_have_text("15 min left")
        traveller.shift(datetime.timedelta(minutes=20))
        page.clock.fast_forward("00:31")
        expect(clock).to_have_text("overdue by 4 min")
        expect(clock.locator(".badge")).to_have_class("badge text-bg-danger response-clock")

    assert page.evaluate("window.sameDocument") == "the page was not reloaded"
    assert page.url.endswith("/staff/leads/")


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES_MANAGER])
def test_the_response_column_stays_in_view_at_820_px(
    tablet_page, staff_log_in, consultant, location, role
):
    page = tablet_page
    # Long names, addresses and vehicles: the table is wider than a tablet's screen.
    for n in range(3):
        LeadFactory(
            customer=CustomerFactory(
                location=location,
                first_name="Maximiliane",
                last_name=f"Mustermann-Schulze{n}",
                email=f"maximiliane.mustermann{n}@example-mail.de",
            ),
            assigned_to=consultant,
            trim="1.5 TSI Life DSG",
            stock_number=f"G2207{n}",
            response_due_at=timezone.now() + datetime.timedelta(minutes=20 + n),
        )
    user = consultant if role == Role.CONSULTANT else UserFactory(role=role, locations=[location])
    staff_log_in(page, user, next="/staff/leads/")

    header = page.get_by_role("columnheader", name="Response")
    cells = page.locator("td.inbox-response")
    expect(header).to_be_visible()
    expect(cells).to_have_count(3)
    for element in [header, *cells.all()]:
        expect(element).to_be_visible()
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 820, box
        # Nothing else is painted over it: the point at its centre belongs to it.
        on_top = element.evaluate(
            """(cell) => {
              const box = cell.getBoundingClientRect();
              const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
              return cell.contains(hit);
            }"""
        )
        assert on_top is True
    for n in range(3):
        expect(cells.nth(n)).to_contain_text("min left")
