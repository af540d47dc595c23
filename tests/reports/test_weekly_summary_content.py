# ruff: noqa: F811 (the fixtures imported from panel_data are parameters here)
"""What the weekly summary says: the dashboards' figures for last week (9–15 March 2026) and
the week before (2–8 March) at each of the manager's locations, what needs attention now,
in text and HTML, money in the language's format, and a fixed number of queries."""

import datetime
import threading

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from aftersales.models import Complaint
from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from dealership.reports import services
from dealership.reports.selectors import (
    ReportFilters,
    funnel_report,
    inventory_report,
    response_report,
)
from dealership.reports.selectors_aftersales import aftersales_report
from dealership.reports.selectors_nps import nps_report
from dealership.reports.selectors_orders import orders_report
from dealership.reports.services import (
    rollup_refresh,
    weekly_summaries_send_due,
    weekly_summary_send,
)
from dealership.reports.weekly_summary import weekly_summary_context
from inventory.models import Vehicle
from leads.models import Lead
from orders.models import Order
from surveys.models import Answer, Invitation, Question
from tests.accounts.factories import UserFactory

from .conftest import NOW, at, make_lead
from .panel_data import _complaint, aftersales_data, nps_data, order_data  # noqa: F401

LAST_WEEK = (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))
WEEK_BEFORE = (datetime.date(2026, 3, 2), datetime.date(2026, 3, 8))
# Monday 16 March, 08:05 in Leipzig.
LEIPZIG_0805 = datetime.datetime(2026, 3, 16, 7, 5, tzinfo=datetime.UTC)


def _at(moment):
    return time_machine.travel(moment, tick=False)


def context_for(shop, now=NOW):
    return weekly_summary_context(manager=shop["manager"], locations=[shop["leipzig"]], now=now)


def figures(context, index=0) -> dict:
    return {key: tuple(pair) for key, pair in context["locations"][index]["figures"].items()}


def text(value):
    return None if value is None else str(value)


def rows(result, name):
    return next(t.rows for t in result["tables"] if t.name == name)


@pytest.fixture
def shop(shop_without_sales):
    """The shop of conftest.py without its own sales: the panels' worlds add theirs."""
    return shop_without_sales


@pytest.fixture
def world(shop, order_data, aftersales_data, nps_data):
    return shop


def test_email_figures_equal_the_dashboards_for_each_week(world):
    # Given the hand-computed orders, after-sales and NPS worlds at Leipzig
    manager, leipzig = world["manager"], world["leipzig"]
    week = ReportFilters(*LAST_WEEK, location_id=leipzig.pk)
    before = ReportFilters(*WEEK_BEFORE, location_id=leipzig.pk)

    # When the summary is built on Monday
    got = figures(context_for(world))

    # Then each figure is what the dashboard shows for that week and location
    funnel = funnel_report(user=manager, filters=week)
    orders = orders_report(user=manager, filters=week)
    response = response_report(user=manager, filters=week, now=NOW)["figures"]
    response_before = response_report(user=manager, filters=before, now=NOW)["figures"]
    nps, nps_before = (nps_report(user=manager, filters=f) for f in (week, before))
    aftersales = aftersales_report(user=manager, filters=week, now=NOW)
    reminders = rows(aftersales, "reminders")
    stock = inventory_report(user=manager, filters=week, today=datetime.date(2026, 3, 16))
    expected = {
        key: (funnel["counts"][key], funnel["previous_counts"][key])
        for key in ("leads", "contacted", "test_drives", "orders", "delivered")
    }
    expected.update(
        deal_value=(
            text(orders["figures"]["deal_value"]),
            text(orders["previous_figures"]["deal_value"]),
        ),
        finance_penetration=(
            text(orders["figures"]["penetration"]),
            text(orders["previous_figures"]["penetration"]),
        ),
        cancellations=tuple(rows(orders, "cancellations")[-1][1:3]),
        median_minutes=(
            text(response["median_minutes"]),
            text(response_before["median_minutes"]),
        ),
        p90_minutes=(text(response["p90_minutes"]), text(response_before["p90_minutes"])),
        breach_rate=(text(response["breach_rate"]), text(response_before["breach_rate"])),
        nps=(text(nps["figures"]["nps"]), text(nps_before["figures"]["nps"])),
        nps_responses=(nps["figures"]["responses"], nps_before["figures"]["responses"]),
        nps_detractors=(
            sum(r[4] for r in rows(nps, "nps_trend")),
            sum(r[4] for r in rows(nps_before, "nps_trend")),
        ),
        reminders_sent=(reminders[0][1], reminders[0][2]),
        reminders_booked=(reminders[1][1], reminders[1][2]),
        reminder_conversion=(text(reminders[2][1]), text(reminders[2][2])),
        open_recalls=(sum(r[3] for r in rows(aftersales, "open_recalls")), None),
        complaints_open=(rows(aftersales, "open_complaints")[0][1], None),
        complaints_overdue=(rows(aftersales, "open_complaints")[1][1], None),
        stock=(stock["figures"]["stock_end"], stock["figures"]["stock_start"]),
        aged_over_90=(stock["figures"]["age_b91"], None),
    )
    assert got == expected

    # and those figures are the hand-computed ones. Leads: E last week; A–D the week before
    # (B and C late, D unanswered past its target: 3 of 4 missed it).
    assert got["leads"] == (1, 4)
    assert got["contacted"] == (1, 3)
    assert got["median_minutes"] == ("5.0", "20.0")
    assert got["p90_minutes"] == ("5.0", "28.0")
    assert got["breach_rate"] == ("0.0", "75.0")
    # Orders: none placed last week; O1 (cash, 30,000), O2 (finance, 25,000), O3 (lease,
    # cancelled) and O4 (finance, 21,000.50) the week before: 3 of 4 financed, the average of
    # the three not cancelled 25,333.50. P2 was cancelled last week, O3 the week before.
    assert got["deal_value"] == (None, "25333.50")
    assert got["finance_penetration"] == (None, "75.0")
    assert got["cancellations"] == (1, 1)
    # NPS by the invitation's day: last week one 6 (−100); the week before 10, 9, 7, 3 (25).
    assert got["nps"] == ("-100.0", "25.0")
    assert got["nps_responses"] == (1, 4)
    assert got["nps_detractors"] == (1, 1)
    # Reminders: C's last week (no booking); A's (booked) and B's the week before.
    assert got["reminders_sent"] == (1, 2)
    assert got["reminders_booked"] == (0, 1)
    assert got["reminder_conversion"] == ("0.0", "50.0")
    # Recalls open: A's and C's airbags; complaints open: K5 and K6, K6 overdue.
    assert got["open_recalls"] == (2, None)
    assert got["complaints_open"] == (2, None)
    assert got["complaints_overdue"] == (1, None)


def test_text_and_html_carry_each_figure_and_the_attention_lists(world):
    # Given a detractor's comment on last week's answer
    invitation = Invitation.objects.get(nps_score=6, created_at=at(9))
    question = invitation.survey.questions.get(kind=Question.Kind.WHY)
    Answer.objects.create(
        invitation=invitation, question=question, text="Waited an hour.", answered_at=at(9)
    )
    leipzig_id = world["leipzig"].pk

    # When the job sends the summary
    with _at(LEIPZIG_0805):
        assert weekly_summaries_send_due() == 1
    message = OutboxMessage.objects.get()
    body, html = message.body, message.body_html

    # Then the text part has the week, each section and the week before beside each figure
    assert message.subject == "Your week 2026-03-09 to 2026-03-15: 1 leads, 0 orders"
    assert "here is last week (2026-03-09 to 2026-03-15) beside the week before.\n" in body
    assert "== Leipzig ==\n" in body
    assert "- Leads: 1 (the week before: 4, −3)\n" in body
    assert "- Average deal value: – (the week before: €25,333.50)\n" in body
    assert "- Finance penetration (%): – (the week before: 75.0)\n" in body
    assert "- Cancellations: 1 (the week before: 1, ±0)\n" in body
    assert "- Response target breach rate (%): 0.0 (the week before: 75.0, −75.0)\n" in body
    assert "- NPS: -100.0 (the week before: 25.0, −125.0)\n" in body
    assert "- Detractors: 1 (the week before: 1, ±0)\n" in body
    assert "- Reminder conversion (%): 0.0 (the week before: 50.0, −50.0)\n" in body
    assert "- Recalled vehicles not yet done (now): 2\n" in body
    assert "- Complaints past their resolve-by time (now): 1\n" in body
    assert "- In stock for more than 90 days (now): 1\n" in body
    dashboards = (
        f"http://127.0.0.1:8000/staff/reports/?first=2026-03-09&last=2026-03-15"
        f"&location={leipzig_id}"
    )
    assert f"Dashboards: {dashboards}\n" in body
    # and what needs attention, each with its link
    lead_d = world["leads"]["D"]
    assert (
        "Leads past their response target without an answer:\n"
        f"- {lead_d.customer} at Leipzig, due 6 Mar 2026, 10:15\n"
        f"  http://127.0.0.1:8000/staff/leads/{lead_d.pk}/\n"
    ) in body
    assert (
        "Vehicles in stock for more than 90 days (oldest first):\n"
        f"- V1 {world['vehicles']['V1'].title} at Leipzig: 135 days, 0 leads\n"
        "  http://127.0.0.1:8000/admin/inventory/vehicle/?q=V1\n"
    ) in body
    overdue = Complaint.objects.get(target_at=at(11), location=world["leipzig"])
    assert (
        "Complaints past their resolve-by time:\n"
        f"- {overdue.customer}: Noise after service (Leipzig, resolve by 11 Mar 2026, 10:00)\n"
        f"  http://127.0.0.1:8000/staff/service/complaints/{overdue.pk}/\n"
    ) in body
    assert (
        "Detractors last week:\n"
        f"- {invitation.customer} scored 6 at Leipzig: “Waited an hour.”\n"
        f"  http://127.0.0.1:8000/staff/customers/{invitation.customer.pk}/\n"
    ) in body
    # O2 waits since 4 March with its finance approved, O4 for its deposit since 6 March
    # (past the day and the hour the order desk allows those statuses)
    o2, o4 = (
        Order.objects.get(status=status, location=world["leipzig"])
        for status in (Order.Status.FINANCE_APPROVED, Order.Status.SUBMITTED)
    )
    assert (
        "Orders waiting for action:\n"
        f"- {o2.reference}, {o2.customer}: Finance approved since 4 Mar 2026, 10:00\n"
        f"  http://127.0.0.1:8000/staff/orders/{o2.pk}/\n"
        f"- {o4.reference}, {o4.customer}: Reserved, deposit due since 6 Mar 2026, 10:00\n"
        f"  http://127.0.0.1:8000/staff/orders/{o4.pk}/\n"
    ) in body
    assert "Nothing: well done." not in body

    # And the HTML part shows the same in a table, escaped, with the same links
    assert "<h2>Leipzig</h2>" in html
    assert (
        '<tr><td style="padding:2px 8px">Average deal value</td>'
        '<td style="text-align:right;padding:2px 8px">–</td>'
        '<td style="text-align:right;padding:2px 8px">€25,333.50</td>'
        '<td style="text-align:right;padding:2px 8px"></td></tr>'
    ) in html
    assert f'<a href="{dashboards.replace("&", "&amp;")}">Dashboards for Leipzig</a>' in html
    assert (
        f'<li><a href="http://127.0.0.1:8000/staff/orders/{o4.pk}/">{o4.reference}, '
        f"{o4.customer}: Reserved, deposit due since 6 Mar 2026, 10:00</a></li>"
    ) in html
    assert ": “Waited an hour.”</li>" in html


def test_money_and_decimals_in_the_languages_format(world, settings):
    # Given German as the site's language
    settings.LANGUAGE_CODE = "de"

    # When the summary is sent
    message = weekly_summary_send(
        manager=world["manager"], locations=[world["leipzig"]], now=LEIPZIG_0805
    )

    # Then money and decimals are German ("25.333,50 €", "75,0"); the raw figures are not
    part = message.context["locations"][0]
    shown = {row["key"]: row for section in part["sections"] for row in section["rows"]}
    assert shown["deal_value"]["before"] == "25.333,50\xa0€"
    assert shown["finance_penetration"]["before"] == "75,0"
    assert shown["median_minutes"]["before"] == "20,0"
    assert "25.333,50\xa0€" in message.body
    assert part["figures"]["deal_value"] == [None, "25333.50"]


def test_nothing_needs_attention(shop):
    # Given a quiet shop: lead D answered, nothing else open
    Lead.objects.filter(pk=shop["leads"]["D"].pk).update(
        first_response_at=at(6, hour=10), status=Lead.Status.CONTACTED
    )
    Lead.objects.filter(location=shop["leipzig"]).update(response_due_at=at(16, hour=12))
    Vehicle.objects.filter(stock_number="V1").update(in_stock_since=datetime.date(2026, 3, 1))

    message = weekly_summary_send(
        manager=shop["manager"],
        locations=[shop["leipzig"]],
        now=LEIPZIG_0805,
    )

    assert message.context["needs_attention"] is False
    assert "Needs attention\n- Nothing: well done.\n" in message.body
    assert "<p>Nothing: well done.</p>" in message.body_html


def test_a_manager_of_two_locations_gets_one_summary_with_a_part_for_each(shop):
    # Given Maria works at Leipzig and Dresden
    maria, leipzig, dresden = shop["manager"], shop["leipzig"], shop["elsewhere"]
    maria.locations.add(dresden)
    # and an overdue unanswered lead at Dresden
    late = make_lead(dresden, created=at(13))
    rollup_refresh()

    # When the job runs at 08:05 Leipzig time
    with _at(LEIPZIG_0805):
        assert weekly_summaries_send_due() == 1

    # Then one summary covers both, each location with its own figures, keyed by both
    message = OutboxMessage.objects.get()
    ids = sorted([leipzig.pk, dresden.pk])
    assert message.dedupe_key == f"reports:weekly:{maria.pk}:2026-W12:{ids[0]}-{ids[1]}"
    parts = message.context["locations"]
    assert [p["name"] for p in parts] == [
        loc.name for loc in sorted((leipzig, dresden), key=lambda loc: loc.pk)
    ]
    by_name = {p["name"]: p["figures"] for p in parts}
    assert by_name["Leipzig"]["leads"] == [1, 4]
    # Dresden: the two V2 enquiries and the late lead last week... by the day they came
    assert by_name["Dresden"]["leads"] == [2, 1]
    assert message.context["leads"] == 3
    assert f"/staff/leads/{late.pk}/" in message.body
    # and a summary for Leipzig alone would be another message
    assert OutboxMessage.objects.filter(dedupe_key__endswith=f":{leipzig.pk}").count() == 0


def test_a_foreign_locations_items_stay_out(shop):
    # Given an overdue lead and an overdue complaint at Dresden, not Maria's
    dresden = shop["elsewhere"]
    make_lead(dresden, created=at(13))
    _complaint(dresden, created=at(9), status=Complaint.Status.NEW, target=at(11))

    context = context_for(shop)

    texts = [item["text"] for part in context["attention"] for item in part["items"]]
    assert [t for t in texts if "Dresden" in t] == []
    assert [len(part["items"]) for part in context["attention"]] == [1, 1, 0, 0, 0]


def test_sending_twice_sends_once_and_the_key_is_unique(shop):
    first = weekly_summary_send(
        manager=shop["manager"], locations=[shop["leipzig"]], now=LEIPZIG_0805
    )
    again = weekly_summary_send(
        manager=shop["manager"], locations=[shop["leipzig"]], now=LEIPZIG_0805
    )

    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    # The outbox's unique constraint holds the key even past the service
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(
            channel=first.channel,
            purpose=first.purpose,
            to=first.to,
            template_key=first.template_key,
            dedupe_key=first.dedupe_key,
        )
    assert OutboxMessage.objects.count() == 1


def test_a_run_that_crashed_halfway_is_completed_by_the_next(shop, monkeypatch):
    # Given two managers due at 08:05 Leipzig time
    second = UserFactory(username="tom", role=Role.SALES_MANAGER, locations=[shop["leipzig"]])
    real = services.weekly_summary_context
    calls = []

    def crash_on_the_second(**kwargs):
        calls.append(kwargs["manager"].username)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(services, "weekly_summary_context", crash_on_the_second)

    # When the job crashes after the first summary
    with _at(LEIPZIG_0805), pytest.raises(RuntimeError):
        weekly_summaries_send_due()
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["maria@showroom.example"]

    # Then the rerun (Celery's retry, or the run the minutes after) sends the missing one only
    with _at(LEIPZIG_0805 + datetime.timedelta(minutes=10)):
        assert weekly_summaries_send_due() == 1
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == [
        "maria@showroom.example",
        second.email,
    ]
    assert calls == ["maria", "tom", "tom"]


def _more_of_everything(shop, n: int) -> None:
    for location in (shop["leipzig"], shop["elsewhere"]):
        for i in range(n):
            make_lead(location, created=at(9 + i % 6, hour=8))
            _complaint(location, created=at(9), status=Complaint.Status.NEW, target=at(11))


# Per location: each report's own scope and calendar look-ups, its figures (the funnel, orders,
# response and NPS of both weeks, after-sales, inventory; NPS and after-sales each also read the
# rollup's cutoff, as they read whole days from the summary tables); once: the attention lists.
QUERIES = {1: 55, 2: 103}


@pytest.mark.parametrize("extra", [0, 30])
@pytest.mark.parametrize("locations", [1, 2])
def test_building_one_managers_summary_takes_a_fixed_number_of_queries(
    world, extra, locations, django_assert_num_queries
):
    # Given the worlds with, or without, thirty more overdue leads and complaints at each
    # location, and a manager of one location or two
    _more_of_everything(world, extra)
    manager = type(world["manager"]).objects.get(pk=world["manager"].pk)
    chosen = [world["leipzig"], world["elsewhere"]][:locations]
    manager.locations.set(chosen)
    chosen.sort(key=lambda location: location.pk)

    # Then building the summary costs the same number of queries whatever the rows
    with django_assert_num_queries(QUERIES[locations]):
        context = weekly_summary_context(manager=manager, locations=chosen, now=NOW)
    assert len(context["attention"][0]["items"]) == min(1 + extra * locations, 10)
    assert context["attention"][0]["more"] is (extra > 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_job_at_once_send_one_summary(shop):
    # Given two workers that start the hourly job at the same moment, each in its own
    # transaction and connection
    barrier = threading.Barrier(2)
    queued, errors = [], []

    def worker():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                queued.append(weekly_summaries_send_due())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with _at(LEIPZIG_0805):  # the clock is process-wide: both threads see 08:05
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    # Then both saw the summary due, and the outbox's unique key let one message through
    assert errors == []
    assert queued == [1, 1]
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["maria@showroom.example"]
