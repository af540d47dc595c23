# ruff: noqa: F811 (the fixtures imported from panel_data are parameters here)
"""The orders, after-sales and NPS dashboards over HTTP: access, CSV, fixed query counts."""

import csv
import io

import pytest
from django.urls import reverse

from dealership.accounts.roles import Role
from tests.accounts.factories import UserFactory

from .conftest import PERIOD, at
from .panel_data import _complaint, aftersales_data, nps_data, order_data, place_order  # noqa: F401

NEW_PANELS = ("orders", "aftersales", "nps")
TABLES = {
    "orders": ("orders_by_status", "deals_and_finance", "cancellations"),
    "aftersales": ("reminders", "open_recalls", "complaints", "open_complaints"),
    "nps": ("nps_trend", "nps_by_location", "nps_by_touchpoint"),
}


def url(name: str) -> str:
    return reverse("reports:panel", args=[name])


@pytest.fixture
def panel_data(order_data, aftersales_data, nps_data):
    return order_data


@pytest.mark.parametrize("name", NEW_PANELS)
def test_consultant_gets_403(client, shop, name):
    client.force_login(shop["c1"])
    response = client.get(url(name), PERIOD)
    assert response.status_code == 403
    assert "result" not in (response.context or {})


@pytest.mark.parametrize("name", NEW_PANELS)
def test_anonymous_visitor_goes_to_login(client, shop, name):
    response = client.get(url(name), PERIOD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", NEW_PANELS)
def test_manager_sees_tables_chart_and_tabs(manager_client, panel_data, name):
    response = manager_client.get(url(name), PERIOD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert [t.name for t in response.context["result"]["tables"]] == list(TABLES[name])
    for label in ("Orders and finance", "After-sales", "NPS"):
        assert f">{label}</a>" in html


@pytest.mark.parametrize("name", NEW_PANELS)
def test_location_outside_the_managers_is_a_400(manager_client, shop, name):
    response = manager_client.get(url(name), {**PERIOD, "location": shop["elsewhere"].pk})
    assert response.status_code == 400
    assert "result" not in response.context


@pytest.mark.parametrize(("name", "table"), [(n, t) for n, ts in TABLES.items() for t in ts])
def test_every_table_exports_as_csv(manager_client, panel_data, name, table):
    page = manager_client.get(url(name), PERIOD)
    expected = next(t for t in page.context["result"]["tables"] if t.name == table)

    response = manager_client.get(url(name), {**PERIOD, "export": table})

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{table}-2026-03-02-2026-03-15.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [str(c) for c in expected.columns]
    assert rows[1:] == [["" if c is None else str(c) for c in row] for row in expected.rows]


def test_deal_value_csv_has_exact_amounts(manager_client, panel_data):
    response = manager_client.get(url("orders"), {**PERIOD, "export": "deals_and_finance"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[2] == ["Average deal value", "25333.50", "28000.00", "-2666.50"]


def test_empty_period_shows_dashes_not_errors(manager_client, shop):
    response = manager_client.get(url("orders"), {"first": "2025-06-01", "last": "2025-06-30"})

    assert response.status_code == 200
    assert "<td>Average deal value</td><td>–</td><td>–</td><td>–</td>" in (
        response.content.decode()
    )


def test_cancellation_reason_is_escaped_and_csv_safe(manager_client, shop):
    place_order(
        shop["leipzig"],
        created=at(3),
        status="cancelled",
        cancelled=at(4),
        reason="=HYPERLINK(1) <b>",
        total="1.00",
    )
    page = manager_client.get(url("orders"), PERIOD).content.decode()
    assert "=HYPERLINK(1) &lt;b&gt;" in page
    response = manager_client.get(url("orders"), {**PERIOD, "export": "cancellations"})
    assert "'=HYPERLINK(1) <b>" in response.content.decode()


# Queries: the session, user and two-factor device, the request's SAVEPOINT and RELEASE, the
# session save, the filter form's location and consultant choices (validation and rendering),
# report_locations; then the panel's own: orders 2, NPS 3 (the rollup's cutoff day, the
# invitations of the days that are not whole months before it, the locations' names: the
# fixture's period has no whole month, so the NpsMonthly query is not made), after-sales 5
# (the rollup's cutoff day and the reminder sums, recalls, complaint counts, complaint
# percentiles) plus the percentiles' SAVEPOINT, set_config(work_mem) and RELEASE.
@pytest.mark.parametrize(("name", "queries"), [("orders", 14), ("aftersales", 20), ("nps", 15)])
def test_query_count_does_not_grow_with_rows(
    manager_client, shop, panel_data, django_assert_num_queries, name, queries
):
    with django_assert_num_queries(queries):
        assert manager_client.get(url(name), PERIOD).status_code == 200

    # And the same with more orders, complaints and consultants
    for n in range(4):
        consultant = UserFactory(username=f"more{n}", role=Role.CONSULTANT)
        place_order(
            shop["leipzig"],
            created=at(11),
            status="cancelled",
            cancelled=at(12),
            reason=f"Reason {n}",
            total="100.00",
            payment="finance",
            consultant=consultant,
        )
        _complaint(shop["leipzig"], created=at(3), status="resolved", resolved=at(3 + n))
    with django_assert_num_queries(queries):
        assert manager_client.get(url(name), PERIOD).status_code == 200
