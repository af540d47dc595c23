import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from dealership.messaging.models import Channel, OutboxMessage
from dealership.messaging.selectors import consent_state
from dealership.messaging.services import consent_record
from inventory.models import SavedSearch
from inventory.saved_searches import saved_search_alert, saved_search_create
from inventory.services import vehicle_update
from inventory.tasks import saved_search_alerts

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

CONSENT = "Email me new matches and price drops for this search (at most once a day)."
DAY_1 = datetime.datetime(2026, 11, 20, 5, 30, tzinfo=datetime.UTC)


@pytest.fixture
def saved():
    with time_machine.travel(DAY_1 - datetime.timedelta(days=1), tick=False):
        search, _ = saved_search_create(
            email="ana@example.com", query="make=BMW", consent_wording=CONSENT, language="en"
        )
    return search


def _new_bmw(at, **kwargs):
    with time_machine.travel(at, tick=False):
        return VehicleFactory(make="BMW", model="X3", trim="xDrive20d", **kwargs)


def test_saving_a_search_records_its_own_consent_not_marketing():
    saved, _ = saved_search_create(
        email="Ana@Example.com", query="make=BMW", consent_wording=CONSENT
    )

    state = consent_state(channel=Channel.EMAIL, address="ana@example.com")
    assert (state.granted, state.since) == (False, None)  # never asked, still not given
    assert (saved.consent_wording, saved.cancelled_at) == (CONSENT, None)


def test_saving_a_search_neither_widens_nor_narrows_a_marketing_decision():
    for granted in (False, True):
        address = f"{'yes' if granted else 'no'}@example.com"
        consent_record(
            channel=Channel.EMAIL, address=address, granted=granted, source="t", wording="w"
        )

        saved_search_create(email=address, query="make=BMW", consent_wording=CONSENT)

        assert consent_state(channel=Channel.EMAIL, address=address).granted is granted


def test_nightly_job_mails_new_matches_once(saved, django_capture_on_commit_callbacks):
    car = _new_bmw(DAY_1 - datetime.timedelta(hours=6), list_price=Decimal("41990"))
    _new_bmw(DAY_1 - datetime.timedelta(hours=5), status="draft", published_at=None)

    with time_machine.travel(DAY_1, tick=False), django_capture_on_commit_callbacks(execute=True):
        sent = saved_search_alerts.delay().get()

    message = OutboxMessage.objects.get()
    assert sent == 1
    assert message.dedupe_key == f"inventory:saved-search:{saved.pk}:2026-11-20"
    assert (message.to, message.purpose, message.status) == ("ana@example.com", "alert", "sent")
    assert mail.outbox[0].extra_headers["List-Unsubscribe"] == (
        f"<http://127.0.0.1:8000/vehicles/saved-searches/{saved.token}/>"
    )
    assert message.subject == "1 new car for “BMW”"
    assert "- 2022 BMW X3 xDrive20d: €41,990.00 · 30,000\u00a0km" in message.body
    assert f"http://127.0.0.1:8000{car.get_absolute_url()}" in message.body
    assert f"/vehicles/saved-searches/{saved.token}/" in message.body
    assert len(mail.outbox) == 1
    saved.refresh_from_db()
    assert saved.last_alert_on == datetime.date(2026, 11, 20)
    assert saved.last_checked_at == DAY_1


def test_running_the_job_twice_a_day_sends_one_email(saved):
    _new_bmw(DAY_1 - datetime.timedelta(hours=6))

    with time_machine.travel(DAY_1, tick=False):
        first = saved_search_alerts.delay().get()
    _new_bmw(DAY_1 + datetime.timedelta(hours=1))
    with time_machine.travel(DAY_1 + datetime.timedelta(hours=2), tick=False):
        second = saved_search_alerts.delay().get()

    assert (first, second) == (1, 0)
    assert OutboxMessage.objects.count() == 1


def test_next_day_mails_only_what_is_new_since(saved):
    _new_bmw(DAY_1 - datetime.timedelta(hours=6))
    with time_machine.travel(DAY_1, tick=False):
        saved_search_alert(saved_search_id=saved.pk)
    _new_bmw(DAY_1 + datetime.timedelta(hours=3), list_price=Decimal("39990"))

    with time_machine.travel(DAY_1 + datetime.timedelta(days=1), tick=False):
        assert saved_search_alert(saved_search_id=saved.pk) is True

    latest = OutboxMessage.objects.get(dedupe_key__endswith="2026-11-21")
    assert latest.subject == "1 new car for “BMW”"
    assert "€39,990.00" in latest.body
    assert OutboxMessage.objects.count() == 2


def test_price_drop_is_mailed_with_the_old_price(saved):
    car = _new_bmw(DAY_1 - datetime.timedelta(days=3), list_price=Decimal("45000"))
    with time_machine.travel(DAY_1 - datetime.timedelta(hours=2), tick=False):
        vehicle_update(vehicle=car, sale_price=Decimal("42500"))

    with time_machine.travel(DAY_1, tick=False):
        saved_search_alert(saved_search_id=saved.pk)

    message = OutboxMessage.objects.get()
    assert message.subject == "1 price drop for “BMW”"
    assert "now €42,500.00 (was €45,000.00)" in message.body


def test_nothing_new_sends_nothing_but_moves_the_clock(saved):
    with time_machine.travel(DAY_1, tick=False):
        assert saved_search_alert(saved_search_id=saved.pk) is False

    saved.refresh_from_db()
    assert OutboxMessage.objects.count() == 0
    assert saved.last_alert_on is None
    assert saved.last_checked_at == DAY_1


def test_declining_offers_does_not_stop_the_alert_but_opting_out_of_everything_does(saved):
    from dealership.messaging.services import suppression_add

    consent_record(
        channel=Channel.EMAIL,
        address="ana@example.com",
        granted=False,
        source="test",
        wording="No offers, thanks",
    )
    _new_bmw(DAY_1 - datetime.timedelta(hours=6))
    with time_machine.travel(DAY_1, tick=False):
        saved_search_alert(saved_search_id=saved.pk)
    suppression_add(channel=Channel.EMAIL, address="ana@example.com", reason="unsubscribed")
    _new_bmw(DAY_1 + datetime.timedelta(hours=18))
    with time_machine.travel(DAY_1 + datetime.timedelta(days=1), tick=False):
        saved_search_alert(saved_search_id=saved.pk)

    statuses = list(OutboxMessage.objects.order_by("id").values_list("status", flat=True))
    assert statuses[0] != OutboxMessage.Status.SUPPRESSED
    assert statuses[1] == OutboxMessage.Status.SUPPRESSED


def test_cancelled_search_gets_no_alert(saved):
    SavedSearch.objects.filter(pk=saved.pk).update(cancelled_at=timezone.now())
    _new_bmw(DAY_1 - datetime.timedelta(hours=6))

    with time_machine.travel(DAY_1, tick=False):
        assert saved_search_alerts.delay().get() == 0

    assert OutboxMessage.objects.count() == 0


def test_the_job_is_scheduled_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["inventory-saved-search-alerts"]

    assert entry["task"] == "inventory.saved_search_alerts"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({5}, {30})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_alerting_the_same_search_at_once_send_one_email():
    import threading

    from django.db import connection

    saved, _ = saved_search_create(
        email="ana@example.com", query="make=BMW", consent_wording=CONSENT
    )
    SavedSearch.objects.filter(pk=saved.pk).update(
        last_checked_at=DAY_1 - datetime.timedelta(days=1)
    )
    _new_bmw(DAY_1 - datetime.timedelta(hours=6))
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(saved_search_alert(saved_search_id=saved.pk, now=DAY_1))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert OutboxMessage.objects.count() == 1
    assert SavedSearch.objects.get().last_alert_on == datetime.date(2026, 11, 20)
