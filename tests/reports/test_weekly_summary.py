"""The Monday 08:00 summary: who gets it when, what it says, and that it goes out once."""

import datetime

import time_machine

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from dealership.reports import tasks
from dealership.reports.services import weekly_summaries_send_due, weekly_summary_key
from tests.accounts.factories import LocationFactory, UserFactory

UTC = datetime.UTC
# Monday 16 March 2026: 08:05 in Leipzig (CET) is 07:05 UTC; in New York (EDT) 12:05 UTC.
LEIPZIG_0805 = datetime.datetime(2026, 3, 16, 7, 5, tzinfo=UTC)
NEW_YORK_0805 = datetime.datetime(2026, 3, 16, 12, 5, tzinfo=UTC)


def new_york_manager():
    ny = LocationFactory(name="New York", slug="new-york", time_zone="America/New_York")
    return UserFactory(username="sam", role=Role.SALES_MANAGER, locations=[ny])


def test_key_names_user_and_iso_week():
    assert (
        weekly_summary_key(user_id=7, day=datetime.date(2026, 3, 16)) == "reports:weekly:7:2026-W12"
    )
    # 1 January 2027 is a Friday: ISO week 53 of 2026.
    assert (
        weekly_summary_key(user_id=7, day=datetime.date(2027, 1, 1)) == "reports:weekly:7:2026-W53"
    )


def test_summary_goes_to_the_manager_whose_clock_shows_monday_8(shop):
    # Given Maria (Leipzig), Sam (New York) and a manager without an email address
    sam = new_york_manager()
    UserFactory(username="noemail", email="", role=Role.SALES_MANAGER, locations=[shop["leipzig"]])

    # When the job runs at 08:05 Leipzig time
    with time_machine.travel(LEIPZIG_0805, tick=False):
        assert weekly_summaries_send_due() == 1

    # Then Maria alone has her summary, keyed by her id and the ISO week
    message = OutboxMessage.objects.get()
    assert message.dedupe_key == f"reports:weekly:{shop['manager'].pk}:2026-W12"
    assert message.to == "maria@showroom.example"
    assert message.template_key == "reports.weekly_summary"
    assert message.subject == "Your week 2026-03-09 to 2026-03-15: 1 leads, 1 orders"

    # And Sam gets his when New York reaches 08:05 (daylight saving time there already)
    with time_machine.travel(NEW_YORK_0805, tick=False):
        assert weekly_summaries_send_due() == 1
    assert OutboxMessage.objects.filter(dedupe_key=f"reports:weekly:{sam.pk}:2026-W12").count() == 1


def test_summary_figures_and_attention_list(shop):
    with time_machine.travel(LEIPZIG_0805, tick=False):
        weekly_summaries_send_due()
    message = OutboxMessage.objects.get()

    # Last week (9–15 March) had lead E only (5 minutes, on time); the week before A–D.
    # Orders: O4 last week (O3 cancelled unpaid), O1 the week before; O2 delivered last
    # week; the completed test drives TD1 and TD2 were the week before.
    assert message.context["leads"] == 1
    assert message.context["leads_before"] == 4
    assert message.context["test_drives"] == 0
    assert message.context["orders"] == 1
    assert message.context["orders_before"] == 1
    assert message.context["delivered"] == 1
    assert message.context["top_consultant"] == "Eva Zeller"
    assert message.context["top_consultant_orders"] == 1
    assert message.context["median_minutes"] == "5.0"
    assert message.context["breach_rate"] == "0.0"
    assert "Leads: 1 (the week before: 4)\n" in message.body
    assert "Test drives completed: 0\n" in message.body
    assert "Orders placed: 1 (the week before: 1)\n" in message.body
    assert "Delivered: 1\n" in message.body
    assert "Most orders: Eva Zeller (1)\n" in message.body
    assert "First response: median 5.0 business minutes, 90th percentile 5.0\n" in message.body
    assert "- 1 lead has had no first response yet (1 overdue).\n" in message.body
    assert "- 1 vehicle has been in stock for more than 90 days.\n" in message.body
    assert "- 1 vehicle is a price-drop candidate.\n" in message.body
    assert "\nhttp://127.0.0.1:8000/staff/reports/\n" in message.body


def test_running_twice_or_later_in_the_hour_sends_once(shop):
    with time_machine.travel(LEIPZIG_0805, tick=False):
        assert weekly_summaries_send_due() == 1
        assert weekly_summaries_send_due() == 0
    with time_machine.travel(LEIPZIG_0805 + datetime.timedelta(minutes=50), tick=False):
        assert weekly_summaries_send_due() == 0
    assert OutboxMessage.objects.count() == 1


def test_nothing_outside_monday_8_local(shop):
    for moment in (
        LEIPZIG_0805 - datetime.timedelta(hours=1),  # 07:05 in Leipzig
        LEIPZIG_0805 + datetime.timedelta(hours=1),  # 09:05
        LEIPZIG_0805 + datetime.timedelta(days=1),  # Tuesday 08:05
    ):
        with time_machine.travel(moment, tick=False):
            assert weekly_summaries_send_due() == 0
    assert OutboxMessage.objects.count() == 0


def test_consultants_get_no_summary(shop):
    with time_machine.travel(LEIPZIG_0805, tick=False):
        weekly_summaries_send_due()
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["maria@showroom.example"]


def test_next_week_is_a_new_summary(shop):
    with time_machine.travel(LEIPZIG_0805, tick=False):
        weekly_summaries_send_due()
    with time_machine.travel(LEIPZIG_0805 + datetime.timedelta(days=7), tick=False):
        assert weekly_summaries_send_due() == 1
    assert sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == [
        f"reports:weekly:{shop['manager'].pk}:2026-W12",
        f"reports:weekly:{shop['manager'].pk}:2026-W13",
    ]


def test_celery_task_runs_the_job_eagerly(shop):
    with time_machine.travel(LEIPZIG_0805, tick=False):
        assert tasks.weekly_summaries.delay().get() == 1
    assert OutboxMessage.objects.count() == 1


def test_beat_runs_the_job_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports-weekly-summaries"]
    assert entry["task"] == "reports.weekly_summaries"
    assert entry["schedule"].minute == {5}
    assert len(entry["schedule"].hour) == 24
