"""Conversation response times on the lead-response dashboard: minutes from a customer's
message to the first consultant reply, median and 90th percentile, per consultant."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from dealership.reports.selectors import ReportFilters, response_report
from tests.conversations.factories import MessageFactory
from tests.leads.factories import CustomerFactory

from .conftest import FIRST, LAST, PERIOD, at

pytestmark = pytest.mark.django_db


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def say(customer, when, direction="in", author=None):
    return MessageFactory(
        customer=customer,
        location=customer.location,
        direction=direction,
        author=author,
        created_at=when,
    )


@pytest.fixture
def threads(shop):
    leipzig, jonas, eva = shop["leipzig"], shop["c1"], shop["c2"]
    # Anna writes twice before Jonas answers after 10 minutes (one wait, from her first
    # message); later Eva answers her third message after 30 minutes.
    anna = CustomerFactory(location=leipzig)
    start = at(5)
    say(anna, start)
    say(anna, start + minutes(2))
    say(anna, start + minutes(10), "out", jonas)
    say(anna, start + minutes(60))
    say(anna, start + minutes(90), "out", eva)
    say(anna, start + minutes(95), "out", jonas)  # a second reply does not count
    # Ben: Jonas after 20 minutes
    ben = CustomerFactory(location=leipzig)
    say(ben, at(6))
    say(ben, at(6) + minutes(20), "out", jonas)
    # Carla: nobody answered yet (left out)
    say(CustomerFactory(location=leipzig), at(7))
    # Dora, at a location the manager does not see: answered in 1 minute (left out)
    dora = CustomerFactory(location=shop["elsewhere"])
    say(dora, at(7))
    say(dora, at(7) + minutes(1), "out", jonas)
    # Emil wrote before the period (1 March), answered in it (left out)
    emil = CustomerFactory(location=leipzig)
    say(emil, at(1, hour=12))
    say(emil, at(2, hour=12), "out", eva)
    return shop


def test_median_and_p90_per_consultant_and_overall(threads):
    result = response_report(user=threads["manager"], filters=ReportFilters(FIRST, LAST))

    conversations = result["conversations"]
    # Jonas: 10 and 20 minutes: median 15, p90 10 + 0.9 × 10 = 19. Eva: 30.
    # Everyone: 10, 20, 30: median 20, p90 20 + 0.8 × 10 = 28.
    assert [
        (c.name, c.replies, c.median_minutes, c.p90_minutes) for c in conversations["consultants"]
    ] == [("Eva Zeller", 1, D("30.0"), D("30.0")), ("Jonas Adler", 2, D("15.0"), D("19.0"))]
    everyone = conversations["everyone"]
    assert (everyone.replies, everyone.median_minutes, everyone.p90_minutes) == (
        3,
        D("20.0"),
        D("28.0"),
    )
    table = result["tables"][1]
    assert table.name == "conversation_response"
    assert table.rows == [
        ["Eva Zeller", 1, D("30.0"), D("30.0")],
        ["Jonas Adler", 2, D("15.0"), D("19.0")],
        ["All consultants", 3, D("20.0"), D("28.0")],
    ]


def test_filtered_by_consultant(threads):
    result = response_report(
        user=threads["manager"], filters=ReportFilters(FIRST, LAST, consultant_id=threads["c2"].pk)
    )

    assert result["tables"][1].rows == [
        ["Eva Zeller", 1, D("30.0"), D("30.0")],
        ["All consultants", 1, D("30.0"), D("30.0")],
    ]


def test_no_conversations_gives_empty_figures(shop):
    result = response_report(user=shop["manager"], filters=ReportFilters(FIRST, LAST))

    assert result["tables"][1].rows == [["All consultants", 0, None, None]]


def test_the_dashboard_shows_the_table_and_its_csv(manager_client, threads):
    url = reverse("reports:panel", args=["response"])

    page = manager_client.get(url, PERIOD).content.decode()
    export = manager_client.get(url, {**PERIOD, "export": "conversation_response"})

    assert "Conversation response times" in page
    assert export.content.decode().splitlines() == [
        "Consultant,Replies,Median (minutes),90th percentile (minutes)",
        "Eva Zeller,1,30.0,30.0",
        "Jonas Adler,2,15.0,19.0",
        "All consultants,3,20.0,28.0",
    ]


def test_one_query_whatever_the_number_of_threads(threads, django_assert_num_queries):
    manager, filters = threads["manager"], ReportFilters(FIRST, LAST)
    response_report(user=manager, filters=filters)  # the manager's roles are cached on them
    # The locations, the rollup cutoff, counts, histogram, unanswered leads; conversations: 1
    with django_assert_num_queries(6):
        response_report(user=manager, filters=filters)
    for n in range(20):
        customer = CustomerFactory(location=threads["leipzig"])
        say(customer, at(8) + minutes(n))
        say(customer, at(8) + minutes(2 * n + 1), "out", threads["c1"])
    with django_assert_num_queries(6):
        result = response_report(user=manager, filters=filters)
    assert result["conversations"]["everyone"].replies == 23
