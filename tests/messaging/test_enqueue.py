import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import consent_record, message_enqueue, messages_cancel
from tests.accounts.factories import LocationFactory

Status = OutboxMessage.Status
NOON = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=datetime.UTC)  # 12:00 in Leipzig


def enqueue(**overrides):
    kwargs = {
        "channel": Channel.EMAIL,
        "purpose": Purpose.TRANSACTIONAL,
        "to": "  Kim.Meyer@Example.COM ",
        "template_key": "tests.hello",
        "context": {"name": "Kim"},
        "dedupe_key": "test:1:hello:email",
    }
    return message_enqueue(**{**kwargs, **overrides})


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_enqueue_renders_normalises_and_queues_an_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue()

    message.refresh_from_db()
    assert message.to == "kim.meyer@example.com"
    assert message.subject == "Hello Kim"
    assert message.body.startswith("Dear Kim,\nyour car is ready.\n\n-- \nEmail preferences")
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim.meyer@example.com"]
    assert mail.outbox[0].subject == "Hello Kim"
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers  # transactional


@pytest.mark.django_db
def test_the_same_dedupe_key_twice_gives_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue()
        second = enqueue(context={"name": "Someone else"})

    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    assert "Dear Kim" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_phone_number_in_national_format_becomes_e164_with_the_location_country():
    location = LocationFactory(country="DE")

    message = enqueue(
        channel=Channel.SMS, to="0151 23456789", location=location, dedupe_key="test:1:sms"
    )

    assert message.to == "+4915123456789"
    assert message.body == "Hi Kim, your car is ready.\n"
    assert message.subject == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"to": "not-an-email"}, "“not-an-email” is not a valid email address."),
        ({"channel": Channel.SMS, "to": "12"}, "“12” is not a valid phone number."),
        ({"template_key": "tests.missing"}, "There is no email template “tests.missing”."),
        ({"context": {"when": datetime.date(2026, 1, 1)}}, "must be JSON-serialisable"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_stores_nothing(overrides, error):
    with pytest.raises(ValidationError) as excinfo:
        enqueue(**overrides)

    assert error in " ".join(excinfo.value.messages)
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_marketing_without_consent_is_suppressed_and_never_sent(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue(purpose=Purpose.MARKETING)

    assert message.status == Status.SUPPRESSED
    assert message.last_error == "No marketing consent recorded for this address."
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_marketing_with_consent_carries_the_rfc8058_headers(django_capture_on_commit_callbacks):
    consent_record(
        channel=Channel.EMAIL,
        address="kim.meyer@example.com",
        granted=True,
        source="web form",
        wording="Send me offers",
    )

    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(purpose=Purpose.MARKETING)

    message.refresh_from_db()
    assert message.status == Status.SENT
    headers = mail.outbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/messages/unsubscribe/")
    assert headers["X-Idempotency-Key"] == "test:1:hello:email"


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_a_later_send_after_is_scheduled_not_sent(django_capture_on_commit_callbacks):
    later = NOON + datetime.timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue(send_after=later)

    assert message.status == Status.SCHEDULED
    assert message.send_after == later
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_cancel_by_prefix_cancels_only_pending_messages_of_that_prefix():
    scheduled = enqueue(
        dedupe_key="testdrive:7:reminder", send_after=NOON + datetime.timedelta(days=900)
    )
    other = enqueue(
        dedupe_key="testdrive:70:reminder", send_after=NOON + datetime.timedelta(days=900)
    )

    cancelled = messages_cancel(dedupe_key_prefix="testdrive:7:", reason="booking cancelled")

    assert cancelled == 1
    scheduled.refresh_from_db()
    other.refresh_from_db()
    assert scheduled.status == Status.CANCELLED
    assert scheduled.cancelled_reason == "booking cancelled"
    assert other.status == Status.SCHEDULED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing_and_a_committed_one_exactly_one():
    class Rollback(Exception):
        pass

    def enqueue_then_fail():
        with transaction.atomic():
            enqueue(dedupe_key="test:rolled-back")
            raise Rollback

    with pytest.raises(Rollback):
        enqueue_then_fail()

    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []

    with transaction.atomic():
        enqueue(dedupe_key="test:committed")
        assert mail.outbox == []  # nothing leaves before the commit

    assert OutboxMessage.objects.get().status == Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_dedupe_key_from_two_threads_gives_one_message():
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                results.append(enqueue(dedupe_key="test:race").pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_broker_outage_leaves_the_message_for_the_flush(
    monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from dealership.messaging.services import messages_flush
    from dealership.messaging.tasks import message_send_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(message_send_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert mail.outbox == []

    assert messages_flush() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
