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


def test_key_names_user_iso_week_and_locations():
    assert (
        weekly_summary_key(user_id=7, day=datetime.date(2026, 3, 16), location_ids=[3])
        == "reports:weekly:7:2026-W12:3"
    )
    # 1 January 2027 is a Friday: ISO week 53 of 2026. Locations in ascending order.
    assert (
        weekly_summary_key(user_id=7, day=datetime.date(2027, 1, 1), location_ids=[9, 2])
        == "reports:weekly:7:2026-W53:2-9"
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
    assert (
        message.dedupe_key == f"reports:weekly:{shop['manager'].pk}:2026-W12:{shop['leipzig'].pk}"
    )
    assert message.to == "maria@showroom.example"
    assert message.template_key == "reports.weekly_summary"
    assert message.subject == "Your week 2026-03-09 to 2026-03-15: 1 leads, 1 orders"

    # And Sam gets his when New York reaches 08:05 (daylight saving time there already)
    with time_machine.travel(NEW_YORK_0805, tick=False):
        assert weekly_summaries_send_due() == 1
    ny = sam.locations.get()
    assert (
        OutboxMessage.objects.filter(dedupe_key=f"reports:weekly:{sam.pk}:2026-W12:{ny.pk}").count()
        == 1
    )


def test_running_twice_or_later_in_the_hour_sends_once(shop):
    with time_machine.travel(LEIPZIG_0805, tick=False):
        assert weekly_summaries_send_due() == 1
        assert weekly_summaries_send_due() == 0
    with time_machine.travel(LEIPZIG_0805 + datetime.timedelta(minutes=50), tick=False):
        assert weekly_summaries_send_due() == 0
    assert OutboxMessage.objects.count() == 1


def test_nothing_before_monday_8_local_nor_after_monday(shop):
    for moment in (
        LEIPZIG_0805 - datetime.timedelta(hours=1),  # 07:05 in Leipzig
        LEIPZIG_0805 - datetime.timedelta(hours=8, minutes=6),  # Sunday 23:59
        LEIPZIG_0805 + datetime.timedelta(days=1),  # Tuesday 08:05
        LEIPZIG_0805 + datetime.timedelta(hours=15, minutes=55),  # Tuesday 00:00
    ):
        with time_machine.travel(moment, tick=False):
            assert weekly_summaries_send_due() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_summary_missed_at_8_goes_out_later_that_monday_once(shop):
    # Given the 08:xx run never happened (the worker was down)
    # When the job runs at 11:05 and again at 23:55 Leipzig time
    with time_machine.travel(LEIPZIG_0805 + datetime.timedelta(hours=3), tick=False):
        assert weekly_summaries_send_due() == 1
    with time_machine.travel(LEIPZIG_0805 + datetime.timedelta(hours=15, minutes=50), tick=False):
        assert weekly_summaries_send_due() == 0

    # Then that week's summary went out once
    assert list(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == [
        f"reports:weekly:{shop['manager'].pk}:2026-W12:{shop['leipzig'].pk}"
    ]


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
        f"reports:weekly:{shop['manager'].pk}:2026-W12:{shop['leipzig'].pk}",
        f"reports:weekly:{shop['manager'].pk}:2026-W13:{shop['leipzig'].pk}",
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
