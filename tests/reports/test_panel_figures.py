# ruff: noqa: F811 (the fixtures imported from panel_data are parameters here)
"""The orders and finance, after-sales and NPS panels against the hand-computed fixtures in
panel_data.py: exact figures, the previous period, the other location left out, the empty case."""

import datetime
from decimal import Decimal

import pytest

from dealership.accounts.roles import Role
from dealership.reports.selectors import ReportFilters
from dealership.reports.selectors_aftersales import aftersales_report
from dealership.reports.selectors_nps import nps_report
from dealership.reports.selectors_orders import orders_report
from tests.accounts.factories import UserFactory

from .conftest import FIRST, LAST
from .panel_data import aftersales_data, nps_data, order_data  # noqa: F401 (fixtures)

D = Decimal
EMPTY = ReportFilters(first=datetime.date(2025, 6, 1), last=datetime.date(2025, 6, 30))


@pytest.fixture
def shop(shop_without_sales):
    """These figures are counted by hand over panel_data.py's orders and invitations alone:
    the shop without the funnel's own test drives, orders and answers (conftest.py)."""
    return shop_without_sales


def filters(**kwargs) -> ReportFilters:
    return ReportFilters(first=FIRST, last=LAST, **kwargs)


def tables(result) -> dict:
    return {t.name: t.rows for t in result["tables"]}


# --- Orders and finance ---------------------------------------------------------------------


def test_orders_by_status_against_the_previous_period(shop, order_data):
    # Given O1 (delivered), O2 (finance approved), O3 (cancelled), O4 (submitted) placed this
    # period, P1 (delivered), P2 and P3 (cancelled) before, a draft, and Dresden's X1
    rows = tables(orders_report(user=shop["manager"], filters=filters()))["orders_by_status"]

    # Then each status now beside the previous period's orders' status now
    assert rows == [
        ["Reserved, deposit due", 1, 0, 1],
        ["Deposit paid", 0, 0, 0],
        ["Finance decision pending", 0, 0, 0],
        ["Finance approved", 1, 0, 1],
        ["Contract ready to sign", 0, 0, 0],
        ["Contract signed", 0, 0, 0],
        ["Ready for delivery", 0, 0, 0],
        ["Delivered", 1, 1, 0],
        ["Cancelled", 1, 2, -1],
        ["All orders placed", 4, 3, 1],
    ]


def test_deal_value_and_finance_figures(shop, order_data):
    result = orders_report(user=shop["manager"], filters=filters())

    # Deal value: O1's accepted version 2 (30,000.00), O2's accepted version 1 (25,000.00,
    # not the unaccepted 99,999.00) and O4 (21,000.50); O3 is cancelled: 76,000.50 / 3.
    # Before: P1 only (P2, P3 cancelled). Financed: O2, O3 (lease), O4 of 4; P3 of 3.
    # Decisions: O2 approved, O3 declined, O4 pending (1 of 2 decided); P3 declined.
    assert tables(result)["deals_and_finance"] == [
        ["Orders placed", 4, 3, 1],
        ["Average deal value", D("25333.50"), D("28000.00"), D("-2666.50")],
        ["Financed or leased", 3, 1, 2],
        ["Finance penetration (%)", D("75.0"), D("33.3"), D("41.7")],
        ["Finance applications", 3, 1, 2],
        ["Approved", 1, 0, 1],
        ["Counter-offers", 0, 0, 0],
        ["Declined", 1, 1, 0],
        ["Decision pending", 1, 0, 1],
        ["Approval rate of decided applications (%)", D("50.0"), D("0.0"), D("50.0")],
    ]
    assert result["figures"]["deal_value"] == D("25333.50")


def test_cancellations_by_reason_counted_when_cancelled(shop, order_data):
    # O3 (6 March) and P2 (placed in February, cancelled on 10 March) this period; P3 before
    rows = tables(orders_report(user=shop["manager"], filters=filters()))["cancellations"]

    assert rows == [
        ["Found a cheaper car", 2, 0, 2],
        ["Financing declined", 0, 1, -1],
        ["All cancellations", 2, 1, 1],
    ]


def test_orders_consultant_filter(shop, order_data):
    result = orders_report(user=shop["manager"], filters=filters(consultant_id=shop["c1"].pk))

    assert result["figures"]["placed"] == 2
    assert result["figures"]["deal_value"] == D("27500.00")
    assert result["figures"]["penetration"] == D("50.0")


def test_orders_chart_shows_the_status_counts(shop, order_data):
    result = orders_report(user=shop["manager"], filters=filters())

    bars = [(b.label, b.value) for b in result["charts"][0].bars]
    assert bars[0] == ("Reserved, deposit due", 1.0)
    assert len(bars) == 9  # every status but draft, no total bar


def test_orders_empty_period_has_no_figures_and_no_division(shop, order_data):
    result = orders_report(user=shop["manager"], filters=EMPTY)
    rows = tables(result)

    assert rows["deals_and_finance"] == [
        ["Orders placed", 0, 0, 0],
        ["Average deal value", None, None, None],
        ["Financed or leased", 0, 0, 0],
        ["Finance penetration (%)", None, None, None],
        ["Finance applications", 0, 0, 0],
        ["Approved", 0, 0, 0],
        ["Counter-offers", 0, 0, 0],
        ["Declined", 0, 0, 0],
        ["Decision pending", 0, 0, 0],
        ["Approval rate of decided applications (%)", None, None, None],
    ]
    assert rows["cancellations"] == [["All cancellations", 0, 0, 0]]


# --- After-sales ----------------------------------------------------------------------------


def test_reminders_to_bookings_conversion(shop, aftersales_data, mode):
    # (the same from the rollup's daily figures and from the reminders themselves)
    # A converted, B (booked before, cancelled after) and C did not: 1 of 3.
    # Before: D, booked within 60 days: 1 of 1. C's unsent reminder and W (Dresden) not counted.
    rows = tables(aftersales_report(user=shop["manager"], filters=filters()))["reminders"]

    assert rows == [
        ["Reminders sent", 3, 1, 2],
        ["Followed by a service booking", 1, 1, 0],
        ["Conversion (%)", D("33.3"), D("100.0"), D("-66.7")],
    ]


def test_open_recalls_by_campaign(shop, aftersales_data):
    # RC-1: A (open, notified), B (done 8 March), C (open, never notified); W is Dresden's.
    # RC-2: D done in February; the unmatched VIN has no location.
    rows = tables(aftersales_report(user=shop["manager"], filters=filters()))["open_recalls"]

    assert rows == [
        ["RC-1", "Airbag inflator", 3, 2, 1, 1],
        ["RC-2", "Brake hose", 1, 0, 0, 0],
    ]


def test_complaint_resolution_times_and_open_complaints(shop, aftersales_data):
    # Resolved this period after 10, 48 and 288 hours: median 48, p90 48 + 0.8 × 240 = 240.
    # Before: one after 24 hours. Received: 2, 3, 9, 12 March; 17 and 20 February.
    rows = tables(aftersales_report(user=shop["manager"], filters=filters()))

    assert rows["complaints"] == [
        ["Received", 4, 2, 2],
        ["Resolved", 3, 1, 2],
        ["Median time to resolve (hours)", D("48.0"), D("24.0"), D("24.0")],
        ["90th percentile time to resolve (hours)", D("240.0"), D("24.0"), D("216.0")],
    ]
    assert rows["open_complaints"] == [["Open", 2], ["Past their resolve-by time", 1]]


def test_aftersales_empty_period(shop, aftersales_data):
    rows = tables(aftersales_report(user=shop["manager"], filters=EMPTY))

    assert rows["reminders"] == [
        ["Reminders sent", 0, 0, 0],
        ["Followed by a service booking", 0, 0, 0],
        ["Conversion (%)", None, None, None],
    ]
    assert rows["complaints"] == [
        ["Received", 0, 0, 0],
        ["Resolved", 0, 0, 0],
        ["Median time to resolve (hours)", None, None, None],
        ["90th percentile time to resolve (hours)", None, None, None],
    ]
    # Recalls and open complaints are figures of now, not of the period.
    assert rows["open_recalls"][0][:4] == ["RC-1", "Airbag inflator", 3, 2]
    assert rows["open_complaints"] == [["Open", 2], ["Past their resolve-by time", 1]]


# --- NPS ------------------------------------------------------------------------------------


def test_nps_by_month_location_and_touchpoint(shop, nps_data):
    # This period: promoters 10, 9; passive 7; detractors 3, 6 (one unanswered): (2 − 2) / 5.
    # Before: 10 and 8: (1 − 0) / 2 = 50.0. Dresden's 0 is not counted.
    result = nps_report(user=shop["manager"], filters=filters())
    rows = tables(result)

    assert rows["nps_trend"] == [["2026-03", 5, 2, 1, 2, D("0.0"), None]]
    assert rows["nps_by_location"] == [
        ["Leipzig", 5, D("0.0"), 2, D("50.0"), D("-50.0")],
        ["All locations", 5, D("0.0"), 2, D("50.0"), D("-50.0")],
    ]
    # Delivery: 10, 9, 7, 3 = (2 − 1) / 4; none before. Service: 6 = −100.0; before 10, 8.
    assert rows["nps_by_touchpoint"] == [
        ["After delivery", 4, D("25.0"), 0, None, None],
        ["After a service visit", 1, D("-100.0"), 2, D("50.0"), D("-150.0")],
    ]
    assert result["figures"] == {"responses": 5, "nps": D("0.0"), "previous_nps": D("50.0")}


def test_nps_trend_over_two_months(shop, nps_data):
    result = nps_report(
        user=shop["manager"],
        filters=ReportFilters(first=datetime.date(2026, 2, 16), last=LAST),
    )

    assert tables(result)["nps_trend"] == [
        ["2026-02", 2, 1, 1, 0, D("50.0"), None],
        ["2026-03", 5, 2, 1, 2, D("0.0"), D("-50.0")],
    ]
    assert [(b.label, b.display) for b in result["charts"][0].bars] == [
        ("2026-02", "50.0"),
        ("2026-03", "0.0"),
    ]


def test_nps_consultant_filter(shop, nps_data):
    # Jonas's customers answered 10 and 7: (1 − 0) / 2.
    result = nps_report(user=shop["manager"], filters=filters(consultant_id=shop["c1"].pk))
    assert result["figures"] == {"responses": 2, "nps": D("50.0"), "previous_nps": None}


def test_nps_empty_period(shop, nps_data):
    result = nps_report(user=shop["manager"], filters=EMPTY)
    rows = tables(result)

    assert rows["nps_trend"] == []
    assert rows["nps_by_location"] == [["All locations", 0, None, 0, None, None]]
    assert rows["nps_by_touchpoint"] == []
    assert result["figures"] == {"responses": 0, "nps": None, "previous_nps": None}


# --- Who sees what --------------------------------------------------------------------------


@pytest.mark.usefixtures("order_data", "aftersales_data", "nps_data")
def test_manager_asking_for_another_location_gets_nothing(shop):
    # Given a manager of Leipzig, when they ask for Dresden's figures
    f = filters(location_id=shop["elsewhere"].pk)
    orders = orders_report(user=shop["manager"], filters=f)
    aftersales = tables(aftersales_report(user=shop["manager"], filters=f))
    nps = nps_report(user=shop["manager"], filters=f)

    # Then none of Dresden's rows are counted
    assert orders["figures"]["placed"] == 0
    assert tables(orders)["cancellations"] == [["All cancellations", 0, 0, 0]]
    assert aftersales["reminders"][0] == ["Reminders sent", 0, 0, 0]
    assert aftersales["open_recalls"] == []
    assert aftersales["open_complaints"] == [["Open", 0], ["Past their resolve-by time", 0]]
    assert nps["figures"]["responses"] == 0


@pytest.mark.usefixtures("order_data", "aftersales_data", "nps_data")
def test_administrator_sees_both_locations(shop):
    admin = UserFactory(username="root", role=Role.ADMINISTRATOR)

    orders = orders_report(user=admin, filters=filters())
    aftersales = tables(aftersales_report(user=admin, filters=filters()))
    nps = nps_report(user=admin, filters=filters())

    # X1 (Dresden, cancelled, financed) and Dresden's reminder, recall, complaints and score
    assert orders["figures"]["placed"] == 5
    assert orders["figures"]["financed"] == 4
    assert aftersales["reminders"][:2] == [
        ["Reminders sent", 4, 1, 3],
        ["Followed by a service booking", 2, 1, 1],
    ]
    assert aftersales["open_recalls"][0] == ["RC-1", "Airbag inflator", 4, 3, 2, 1]
    assert aftersales["open_complaints"] == [["Open", 3], ["Past their resolve-by time", 2]]
    assert nps["tables"][1].rows == [
        ["Dresden", 1, D("-100.0"), 0, None, None],
        ["Leipzig", 5, D("0.0"), 2, D("50.0"), D("-50.0")],
        ["All locations", 6, D("-16.7"), 2, D("50.0"), D("-66.7")],
    ]
