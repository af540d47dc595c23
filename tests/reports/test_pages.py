"""The dashboards over HTTP: who may open them, the filter, CSV export, fixed query counts."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from dealership.accounts.roles import Role
from dealership.reports.services import rollup_backfill
from inventory.models import VehicleDailyViews
from orders.models import Order
from testdrives.models import Booking
from tests.accounts.factories import UserFactory
from tests.leads.factories import LeadFactory

from .conftest import FIRST, LAST, PERIOD, at, make_drive, make_lead, make_order

PANEL_NAMES = ("funnel", "response", "leaderboard", "inventory")


def url(name: str) -> str:
    return reverse("reports:index") if name == "funnel" else reverse("reports:panel", args=[name])


def test_reports_index_is_at_staff_reports():
    assert reverse("reports:index") == "/staff/reports/"


@pytest.mark.parametrize("name", PANEL_NAMES)
def test_consultant_gets_403(client, shop, name):
    client.force_login(shop["c1"])
    response = client.get(url(name), PERIOD)
    assert response.status_code == 403
    assert b"Leads" not in response.content or b"Sales funnel" not in response.content


@pytest.mark.parametrize("role", [Role.SERVICE_ADVISOR, None])
def test_other_staff_get_403(client, shop, role):
    client.force_login(UserFactory(username="other", role=role, locations=[shop["leipzig"]]))
    assert client.get(url("funnel")).status_code == 403


def test_anonymous_visitor_goes_to_login(client, shop):
    response = client.get(url("funnel"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_panel_is_404(manager_client):
    assert manager_client.get("/staff/reports/nothing/").status_code == 404


def test_manager_sees_funnel_table_and_chart(manager_client):
    response = manager_client.get(url("funnel"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert 'aria-label="Sales funnel"' in html
    table = response.context["result"]["tables"][0]
    assert table.rows[0][:2] == ["Leads", 5]


def test_default_period_is_the_last_30_days(manager_client, frozen):
    response = manager_client.get(url("funnel"))
    period = response.context["result"]["period"]
    assert (str(period.first), str(period.last)) == ("2026-02-15", "2026-03-16")


def test_location_outside_the_managers_is_refused(manager_client, shop):
    # Given a manager of Leipzig, when they ask for Dresden
    response = manager_client.get(url("funnel"), {**PERIOD, "location": shop["elsewhere"].pk})
    # Then a 400 with the form's message and no figures
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "location": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert "result" not in response.context


def test_manager_location_choices_are_their_own(manager_client, shop):
    response = manager_client.get(url("funnel"), PERIOD)
    choices = list(response.context["form"].fields["location"].queryset)
    assert choices == [shop["leipzig"]]


def test_end_before_start_is_a_400_with_a_message(manager_client):
    response = manager_client.get(url("response"), {"first": "2026-03-15", "last": "2026-03-01"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "last": ["The end date must not be before the start date."]
    }


@pytest.mark.parametrize(
    "params",
    [{"first": "yesterday", "last": "2026-03-01"}, {"first": "2020-01-01", "last": "2026-03-01"}],
)
def test_bad_dates_are_400_not_500(manager_client, params):
    assert manager_client.get(url("funnel"), params).status_code == 400


def test_funnel_csv_export_has_the_tables_figures(manager_client):
    response = manager_client.get(url("funnel"), {**PERIOD, "export": "funnel"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="funnel-2026-03-02-2026-03-15.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        [
            "Stage",
            "Count",
            "Conversion from previous stage (%)",
            "Conversion from leads (%)",
            "Previous period",
            "Change",
        ],
        ["Leads", "5", "", "100.0", "2", "3"],
        ["Contacted", "4", "80.0", "80.0", "2", "2"],
        ["Test drives (completed)", "2", "50.0", "40.0", "1", "1"],
        ["Orders (placed)", "2", "100.0", "40.0", "1", "1"],
        ["Delivered", "1", "50.0", "20.0", "0", "1"],
    ]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("response", "response"),
        ("leaderboard", "leaderboard"),
        ("inventory", "stock_by_status"),
        ("inventory", "days_in_stock"),
        ("inventory", "turnover"),
        ("inventory", "oldest"),
        ("inventory", "price_drop_candidates"),
    ],
)
def test_every_table_exports_as_csv(manager_client, name, table):
    page = manager_client.get(url(name), PERIOD)
    expected = next(t for t in page.context["result"]["tables"] if t.name == table)
    response = manager_client.get(url(name), {**PERIOD, "export": table})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + len(expected.rows)
    assert rows[0] == [str(c) for c in expected.columns]


def test_oldest_vehicles_csv_has_their_page_views(manager_client, shop):
    # Given V1 (the oldest car) viewed 4 times today and 6 times 40 days ago
    v1 = shop["vehicles"]["V1"]
    VehicleDailyViews.objects.create(vehicle=v1, day=datetime.date(2026, 3, 16), views=4)
    VehicleDailyViews.objects.create(vehicle=v1, day=datetime.date(2026, 2, 4), views=6)

    response = manager_client.get(url("inventory"), {**PERIOD, "export": "oldest"})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][-2:] == ["Views (30 days)", "Views since in stock"]
    assert (rows[1][0], rows[1][-2:]) == ("V1", ["4", "10"])


def test_unknown_export_is_404(manager_client):
    assert manager_client.get(url("funnel"), {**PERIOD, "export": "x"}).status_code == 404


def test_csv_neutralises_formulas(manager_client, shop):
    shop["c1"].first_name = "=HYPERLINK(1)"
    shop["c1"].save()
    response = manager_client.get(url("leaderboard"), {**PERIOD, "export": "leaderboard"})
    assert "'=HYPERLINK(1) Adler" in response.content.decode()


@pytest.mark.postgres  # without PostgreSQL the figures are computed in Python (more queries)
@pytest.mark.parametrize(
    ("name", "queries"), [("funnel", 14), ("response", 17), ("leaderboard", 16), ("inventory", 18)]
)
def test_query_count_does_not_grow_with_rows(
    manager_client, shop, django_assert_num_queries, name, queries
):
    # Given the fixture, when the page renders, then a fixed number of queries (with the
    # session's SAVEPOINT, UPDATE and RELEASE: SESSION_SAVE_EVERY_REQUEST; and the two-factor
    # device). The report's own: the summary's cutoff day, then funnel 1 (both periods),
    # response 4 (counts, minutes histogram, unanswered leads, conversation response times),
    # leaderboard 3 (counts, histograms, consultants' names).
    with django_assert_num_queries(queries):
        assert manager_client.get(url(name), PERIOD).status_code == 200
    # and the same after ten more leads and consultants
    done, placed = Booking.Status.COMPLETED, Order.Status.SUBMITTED
    for n in range(10):
        consultant = UserFactory(
            username=f"more{n}", role=Role.CONSULTANT, locations=[shop["leipzig"]]
        )
        make_lead(shop["leipzig"], created=at(11), minutes=n, late=n > 15, assigned_to=consultant)
        make_drive(shop["leipzig"], shop["elsewhere"], consultant, start=at(12), status=done)
        make_order(shop["leipzig"], shop["elsewhere"], consultant, created=at(12), status=placed)
    LeadFactory.create_batch(3, location=shop["leipzig"], created_at=at(12))
    for n, vehicle in enumerate(shop["vehicles"].values()):  # page views read in the same query
        VehicleDailyViews.objects.create(vehicle=vehicle, day=datetime.date(2026, 3, 16), views=n)
    rollup_backfill(first=FIRST, last=LAST)
    with django_assert_num_queries(queries):
        assert manager_client.get(url(name), PERIOD).status_code == 200


@pytest.mark.parametrize(
    ("first", "last", "label"),
    [
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 28), "Europe/Berlin, CET"),
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31), "Europe/Berlin, CET–CEST"),
        (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), "Europe/Berlin, CEST–CET"),
        (datetime.date(2026, 7, 1), datetime.date(2026, 7, 31), "Europe/Berlin, CEST"),
    ],
)
def test_the_period_header_names_the_zone_and_a_switch_inside_it(first, last, label):
    from dealership.reports.periods import Period

    assert Period.of(first, last, "Europe/Berlin").zone_label == label
