"""The inbox's response clocks tick without a reload: the page polls a fragment of the
running clocks every 30 s (htmx), which swaps each clock into its row by id."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from leads.models import Lead
from tests.accounts.factories import LocationFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.security.fuzz import fuzz_query, mostly

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=datetime.UTC)
CLOCKS = reverse("leads:inbox_clocks")


@pytest.fixture
def leads(location, consultant):
    def lead(**kwargs):
        return LeadFactory(
            customer=CustomerFactory(location=location),
            assigned_to=consultant,
            created_at=NOW - datetime.timedelta(minutes=5),
            **kwargs,
        )

    return {
        "running": lead(response_due_at=NOW + datetime.timedelta(minutes=20)),
        "overdue": lead(response_due_at=NOW - datetime.timedelta(minutes=3)),
        "answered": lead(
            response_due_at=NOW + datetime.timedelta(minutes=20),
            first_response_at=NOW - datetime.timedelta(minutes=1),
        ),
    }


def _spans(html: str) -> dict[int, str]:
    """{lead pk: the clock's text} of each out-of-band clock in a fragment."""
    found = re.findall(
        r'<span id="clock-(\d+)" hx-swap-oob="true">(?:<span class="[^"]*">([^<]*)</span>)?</span>',
        html,
    )
    return {int(pk): text for pk, text in found}


def test_the_inbox_polls_the_running_clocks_every_30_seconds(consultant_client, leads):
    with time_machine.travel(NOW, tick=False):
        html = consultant_client.get("/staff/leads/").content.decode()

    poller = re.search(r'<div id="inbox-clock-refresh" hidden ([^>]*)>', html).group(1)
    ticking = f"{leads['running'].pk},{leads['overdue'].pk}"
    assert {*ticking.split(",")} == {*re.search(r"\?ids=([\d,]+)", poller).group(1).split(",")}
    assert 'hx-trigger="every 30s"' in poller
    assert 'hx-swap="none"' in poller
    assert f'hx-get="{CLOCKS}?ids=' in poller
    # Each row's clock has the id the fragment swaps into.
    running = leads["running"].pk
    assert (
        f'<span id="clock-{running}"><span class="badge text-bg-warning response-clock">'
        "20 min left</span></span>"
    ) in html
    assert f'<span id="clock-{leads["answered"].pk}"></span>' in html


def test_no_poll_when_no_clock_is_running(consultant_client, leads):
    Lead.objects.update(first_response_at=NOW)

    with time_machine.travel(NOW, tick=False):
        html = consultant_client.get("/staff/leads/").content.decode()

    assert "inbox-clock-refresh" not in html
    # No clock poll (the navigation's unread badge polls on every staff page: not a clock).
    assert "/staff/leads/clocks/" not in html
    assert 'hx-trigger="every 30s"' not in html


def test_the_fragment_has_the_clocks_as_of_now(consultant_client, leads):
    ids = ",".join(str(lead.pk) for lead in leads.values())

    with time_machine.travel(NOW, tick=False):
        first = consultant_client.get(CLOCKS, {"ids": ids})
    with time_machine.travel(NOW + datetime.timedelta(minutes=7), tick=False):
        later = consultant_client.get(CLOCKS, {"ids": ids})

    assert first.status_code == later.status_code == 200
    assert _spans(first.content.decode()) == {
        leads["running"].pk: "20 min left",
        leads["overdue"].pk: "overdue by 3 min",
        leads["answered"].pk: "",
    }
    assert _spans(later.content.decode()) == {
        leads["running"].pk: "13 min left",
        leads["overdue"].pk: "overdue by 10 min",
        leads["answered"].pk: "",
    }
    assert 'class="badge text-bg-danger response-clock">overdue by 10 min' in (
        later.content.decode()
    )


def test_a_clock_answered_since_the_page_loaded_goes_blank(consultant_client, leads):
    running = leads["running"]
    Lead.objects.filter(pk=running.pk).update(first_response_at=NOW)

    with time_machine.travel(NOW, tick=False):
        response = consultant_client.get(CLOCKS, {"ids": str(running.pk)})

    assert _spans(response.content.decode()) == {running.pk: ""}


def test_another_locations_leads_are_left_out(consultant_client, leads):
    foreign = LeadFactory(
        customer=CustomerFactory(location=LocationFactory(name="Lisbon branch")),
        response_due_at=NOW + datetime.timedelta(minutes=20),
    )

    with time_machine.travel(NOW, tick=False):
        response = consultant_client.get(CLOCKS, {"ids": f"{foreign.pk},{leads['running'].pk}"})

    assert response.status_code == 200
    assert _spans(response.content.decode()) == {leads["running"].pk: "20 min left"}


@pytest.mark.parametrize(
    "ids", ["1,x", "1;2", "-4", "+4", "0", "99999999999999999999", "1.5", "1_0", "٣", "1,,\x00"]
)
def test_ids_that_are_not_lead_numbers_are_400(consultant_client, ids):
    response = consultant_client.get(CLOCKS, {"ids": ids})

    assert response.status_code == 400
    assert response.content.decode() == "Give the leads as comma-separated numbers."


def test_more_than_a_page_of_leads_is_400(consultant_client):
    response = consultant_client.get(CLOCKS, {"ids": ",".join(str(n) for n in range(1, 52))})

    assert response.status_code == 400
    assert response.content.decode() == "At most 50 leads at a time."


def test_no_ids_is_an_empty_fragment(consultant_client):
    response = consultant_client.get(CLOCKS)

    assert response.status_code == 200
    assert _spans(response.content.decode()) == {}
    assert "clock-" not in response.content.decode()


def test_the_fragment_query_count_is_fixed(
    client, consultant, location, leads, django_assert_num_queries
):
    client.force_login(consultant)
    more = [
        LeadFactory(
            customer=CustomerFactory(location=location),
            response_due_at=NOW + datetime.timedelta(minutes=n),
        )
        for n in range(10)
    ]
    ids = ",".join(str(lead.pk) for lead in [*leads.values(), *more])

    # Session, user, savepoint, groups (location check), the clocks, release; then the
    # session save in its own savepoint (3).
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(9):
        response = client.get(CLOCKS, {"ids": ids})

    assert len(_spans(response.content.decode())) == 13


def test_the_fragment_survives_hostile_query_strings(consultant_client, leads):
    result = fuzz_query(
        consultant_client,
        CLOCKS,
        {"ids": mostly(",".join(str(lead.pk) for lead in leads.values()), "", "1,2")},
        max_examples=60,
        models=[Lead],
    )

    assert result.examples == 60
    assert set(result.statuses) <= {200, 400}
