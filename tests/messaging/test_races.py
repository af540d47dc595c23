"""Concurrent transactions on PostgreSQL: cancelling or flushing a row another flush holds."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from dealership.messaging.backends import SmsBackend
from dealership.messaging.models import Channel, OutboxMessage, QuietHours
from dealership.messaging.services import messages_cancel, messages_flush
from tests.accounts.factories import LocationFactory
from tests.messaging.factories import OutboxMessageFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Status = OutboxMessage.Status


class BlockingSmsBackend(SmsBackend):
    """Holds the provider call open until the test lets it go."""

    entered = threading.Event()
    release = threading.Event()
    calls: list[str] = []

    def send(self, *, to, body, idempotency_key):
        self.calls.append(idempotency_key)
        self.entered.set()
        assert self.release.wait(timeout=20)
        return f"blocking:{idempotency_key}"


@pytest.fixture
def blocking_backend(settings):
    settings.MESSAGING_SMS_BACKEND = "tests.messaging.test_races.BlockingSmsBackend"
    BlockingSmsBackend.entered.clear()
    BlockingSmsBackend.release.clear()
    BlockingSmsBackend.calls = []
    return BlockingSmsBackend


def due_sms():
    location = LocationFactory()
    QuietHours.objects.create(location=location, start="00:00", end="00:00")
    return OutboxMessageFactory(
        channel=Channel.SMS,
        to="+4915123456789",
        location=location,
        send_after=timezone.now(),
        dedupe_key="testdrive:9:reminder:sms",
    )


def flush_in_thread(results):
    def run():
        try:
            results.append(messages_flush())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_cancel_while_the_message_is_being_sent_cancels_nothing(blocking_backend):
    message = due_sms()
    results, cancelled = [], []
    flush = flush_in_thread(results)
    assert blocking_backend.entered.wait(timeout=20)

    def cancel():
        try:
            cancelled.append(messages_cancel(dedupe_key_prefix="testdrive:9:", reason="late"))
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    canceller.join(timeout=1)
    assert canceller.is_alive()  # waits for the flush's row lock
    blocking_backend.release.set()
    flush.join(timeout=20)
    canceller.join(timeout=20)

    assert results == [1]
    assert cancelled == [0]
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.cancelled_reason == ""


def test_a_second_flush_skips_the_row_the_first_holds(blocking_backend):
    message = due_sms()
    results = []
    first = flush_in_thread(results)
    assert blocking_backend.entered.wait(timeout=20)

    second = messages_flush()  # a second beat's flush, at the same moment

    blocking_backend.release.set()
    first.join(timeout=20)
    assert second == 0
    assert results == [1]
    assert blocking_backend.calls == ["testdrive:9:reminder:sms"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
