"""Every figure against the hand-computed fixture in conftest.py."""

import datetime
from decimal import Decimal

import pytest

from dealership.reports.selectors import (
    ReportFilters,
    funnel_report,
    inventory_report,
    leaderboard_report,
    response_report,
)
from inventory.models import VehicleDailyViews
from leads.models import Lead

from .conftest import FIRST, LAST

D = Decimal


def filters(**kwargs) -> ReportFilters:
    return ReportFilters(first=FIRST, last=LAST, **kwargs)


def test_funnel_counts_conversions_and_previous_period(shop, mode):
    # Given leads A–E this period (A, B, C, E contacted; D new), test drives TD1 and TD2
    # completed (TD3 a no-show, TD4 only booked), orders O1 and O4 placed (O4 cancelled after
    # its deposit was paid; O3 cancelled unpaid and draft O5 are not orders), O2 delivered;
    # and in the previous period P1, P2 (both contacted), TD5 and O2 placed
    result = funnel_report(user=shop["manager"], filters=filters())

    # Then: stage, count, from previous stage %, from leads %, previous period, change
    assert result["tables"][0].rows == [
        ["Leads", 5, None, D("100.0"), 2, 3],
        ["Contacted", 4, D("80.0"), D("80.0"), 2, 2],
        ["Test drives (completed)", 2, D("50.0"), D("40.0"), 1, 1],
        ["Orders (placed)", 2, D("100.0"), D("40.0"), 1, 1],
        ["Delivered", 1, D("50.0"), D("20.0"), 0, 1],
    ]
    assert str(result["previous"].first) == "2026-02-16"
    assert str(result["previous"].last) == "2026-03-01"


def test_funnel_filters_by_source_and_consultant(shop, mode):
    # The phone lead E; the drives' and orders' customers came through the website
    by_phone = funnel_report(user=shop["manager"], filters=filters(source=Lead.Source.PHONE))
    assert by_phone["counts"] == {
        "leads": 1,
        "contacted": 1,
        "test_drives": 0,
        "orders": 0,
        "delivered": 0,
    }
    jonas = funnel_report(user=shop["manager"], filters=filters(consultant_id=shop["c1"].pk))
    assert jonas["counts"] == {
        "leads": 2,
        "contacted": 2,
        "test_drives": 1,
        "orders": 1,
        "delivered": 1,
    }
    assert jonas["previous_counts"] == {
        "leads": 1,
        "contacted": 1,
        "test_drives": 0,
        "orders": 1,
        "delivered": 0,
    }


def test_response_median_p90_breach_rate_and_unanswered(shop, mode):
    # Answered in 10, 30, 20 and 5 business minutes: median 15, p90 20 + 0.7 × 10 = 27.
    # B, C answered late and D is unanswered past its due time: 3 of 5 breached.
    result = response_report(user=shop["manager"], filters=filters())

    assert result["figures"] == {
        "leads": 5,
        "answered": 4,
        "median_minutes": D("15.0"),
        "p90_minutes": D("27.0"),
        "breached": 3,
        "breach_rate": D("60.0"),
        "unanswered_now": 1,
        "unanswered_overdue": 1,
    }


def test_response_filters_by_consultant(shop, mode):
    # Eva: C answered late after 20 minutes, D unanswered and overdue
    result = response_report(user=shop["manager"], filters=filters(consultant_id=shop["c2"].pk))
    assert result["figures"] == {
        "leads": 2,
        "answered": 1,
        "median_minutes": D("20.0"),
        "p90_minutes": D("20.0"),
        "breached": 2,
        "breach_rate": D("100.0"),
        "unanswered_now": 1,
        "unanswered_overdue": 1,
    }


def test_leaderboard_rows_best_first(shop, mode):
    result = leaderboard_report(user=shop["manager"], filters=filters())

    # Jonas: leads A (10 min), B (30 min); TD1; O1; O2 delivered; N1 (10) and N2 (6): NPS 0.
    # Eva: C (20 min), D (unanswered); TD2; O4; N3 (9): NPS 100. Both one order: Jonas
    # delivered one, so he comes first.
    assert result["tables"][0].columns == [
        "Consultant",
        "Leads handled",
        "Answered",
        "Median first response (business minutes)",
        "Test drives",
        "Orders",
        "Delivered",
        "NPS",
        "NPS answers",
    ]
    assert result["tables"][0].rows == [
        ["Jonas Adler", 2, 2, D("20.0"), 1, 1, 1, D("0.0"), 2],
        ["Eva Zeller", 2, 1, D("20.0"), 1, 1, 0, D("100.0"), 1],
    ]
    assert [(b.label, b.value) for b in result["charts"][0].bars] == [
        ("Jonas Adler", 1.0),
        ("Eva Zeller", 1.0),
    ]


def test_inventory_stock_ages_turnover_oldest_and_candidates(shop):
    result = inventory_report(user=shop["manager"], filters=filters())
    tables = {t.name: t.rows for t in result["tables"]}

    assert tables["stock_by_status"] == [
        ["Draft", 1],
        ["Available", 3],
        ["Reserved", 1],
        ["Sold", 2],
        ["Archived", 0],
    ]
    # V3 (24 days), V6 (4) | none | V2 (70), V7 (86) | V1 (135)
    assert tables["days_in_stock"] == [["0–30", 2], ["31–60", 0], ["61–90", 2], ["90+", 1]]
    # In stock at the end of 1 March: V1, V2, V3, V4, V7; at the end of 15 March: V1, V2, V3,
    # V6, V7. V4 sold on 9 March: 1 / 5 = 0.20.
    assert tables["turnover"] == [
        ["Units sold", 1],
        ["Stock at the start", 5],
        ["Stock at the end", 5],
        ["Average stock", D("5.0")],
        ["Turnover (units sold / average stock)", D("0.20")],
    ]
    assert [(r[0], r[4], r[5]) for r in tables["oldest"]] == [
        ("V1", 135, 0),
        ("V7", 86, 0),
        ("V2", 70, 2),
        ("V3", 24, 0),
        ("V6", 4, 0),
    ]
    assert [(r[0], r[2]) for r in tables["price_drop_candidates"]] == [("V1", 135)]


def _views(vehicle, day: datetime.date, views: int) -> None:
    VehicleDailyViews.objects.create(vehicle=vehicle, day=day, views=views)


def test_inventory_oldest_and_candidates_show_page_views(shop):
    # Given (today 16 March; the last 30 days are 15 February to 16 March) page views of
    # V1 (in stock since 1 November): 4 today, 3 on 15 February, 10 on 14 February (in stock,
    # not in the 30 days), 100 on 31 October (before it came in); of V2 (since 5 January): 5
    # on 1 March; and of V4, sold: 50 today (not in stock, in neither table)
    v = shop["vehicles"]
    _views(v["V1"], datetime.date(2026, 3, 16), 4)
    _views(v["V1"], datetime.date(2026, 2, 15), 3)
    _views(v["V1"], datetime.date(2026, 2, 14), 10)
    _views(v["V1"], datetime.date(2025, 10, 31), 100)
    _views(v["V2"], datetime.date(2026, 3, 1), 5)
    _views(v["V4"], datetime.date(2026, 3, 16), 50)

    result = inventory_report(user=shop["manager"], filters=filters())
    tables = {t.name: t for t in result["tables"]}

    # Then: stock number, days, leads, views (30 days), views since in stock
    assert [str(c) for c in tables["oldest"].columns[4:]] == [
        "Days",
        "Leads",
        "Views (30 days)",
        "Views since in stock",
    ]
    assert [(r[0], r[4], r[5], r[6], r[7]) for r in tables["oldest"].rows] == [
        ("V1", 135, 0, 7, 17),
        ("V7", 86, 0, 0, 0),
        ("V2", 70, 2, 5, 5),
        ("V3", 24, 0, 0, 0),
        ("V6", 4, 0, 0, 0),
    ]
    assert [(r[0], r[2], r[4], r[5]) for r in tables["price_drop_candidates"].rows] == [
        ("V1", 135, 7, 17)
    ]


def test_manager_figures_leave_out_other_locations(shop, mode):
    # Given the manager asks for a location that is not theirs
    result = funnel_report(user=shop["manager"], filters=filters(location_id=shop["elsewhere"].pk))
    # Then nothing of it is counted (X and the VIN leads are in Dresden)
    assert result["counts"] == {
        "leads": 0,
        "contacted": 0,
        "test_drives": 0,
        "orders": 0,
        "delivered": 0,
    }


@pytest.mark.parametrize(("location", "leads"), [(None, 5 + 2), ("leipzig", 5), ("elsewhere", 2)])
def test_administrator_sees_every_location(shop, mode, location, leads):
    from dealership.accounts.roles import Role
    from tests.accounts.factories import UserFactory

    admin = UserFactory(username="root", role=Role.ADMINISTRATOR)
    location_id = shop[location].pk if location else None
    result = funnel_report(user=admin, filters=filters(location_id=location_id))
    assert result["counts"]["leads"] == leads
