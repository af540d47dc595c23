import datetime

import pytest
import time_machine
from django.core import mail

from dealership.messaging.models import Channel, OutboxMessage, Purpose, Suppression
from dealership.messaging.services import (
    consent_record,
    message_send,
    messages_flush,
    suppression_add,
)
from tests.accounts.factories import LocationFactory
from tests.messaging.factories import ConsentFactory, OutboxMessageFactory, QuietHoursFactory
from tests.messaging.gateway import Gateway

Status = OutboxMessage.Status
NOON = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=datetime.UTC)  # 12:00 in Leipzig
HTTP_BACKEND = "dealership.messaging.backends.HttpGatewaySmsBackend"


@pytest.fixture
def gateway_settings(settings):
    def configure(gateway):
        settings.MESSAGING_SMS_BACKEND = HTTP_BACKEND
        settings.MESSAGING_SMS_GATEWAY_URL = gateway.url
        settings.MESSAGING_SMS_GATEWAY_TOKEN = gateway.token
        settings.MESSAGING_SMS_GATEWAY_TIMEOUT = 5

    return configure


def sms(**kwargs):
    return OutboxMessageFactory(
        channel=Channel.SMS,
        to="+4915123456789",
        subject="",
        body="Hi Kim\n",
        dedupe_key=kwargs.pop("dedupe_key", "testdrive:1:reminder:sms"),
        **kwargs,
    )


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_flush_sends_due_messages_once_and_leaves_future_ones(sms_outbox):
    due = OutboxMessageFactory.create_batch(3)
    future = OutboxMessageFactory(
        status=Status.SCHEDULED, send_after=NOON + datetime.timedelta(minutes=1)
    )

    assert messages_flush() == 3
    assert messages_flush() == 0

    assert len(mail.outbox) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to for m in due)
    assert set(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in due]).values_list("status", "sent_at")
    ) == {(Status.SENT, NOON)}
    future.refresh_from_db()
    assert future.status == Status.SCHEDULED
    assert future.attempts == 0


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_the_email_message_id_is_derived_from_the_dedupe_key():
    message = OutboxMessageFactory(dedupe_key="order:5:confirmed:email")

    messages_flush()

    message.refresh_from_db()
    assert mail.outbox[0].extra_headers["Message-ID"] == message.provider_message_id
    assert message.provider_message_id.endswith("@showroom.example>")
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == "order:5:confirmed:email"


@pytest.mark.django_db
def test_provider_fails_three_times_then_succeeds_one_delivery(gateway_settings):
    with Gateway(fail_first=3) as gateway:
        gateway_settings(gateway)
        with time_machine.travel(NOON, tick=False) as clock:
            message = sms()
            waits = []
            for _ in range(4):
                messages_flush()
                message.refresh_from_db()
                waits.append((message.send_after - NOON).total_seconds())
                clock.move_to(message.send_after)

    assert message.status == Status.SENT
    assert message.attempts == 4
    assert message.provider_message_id == "gw-testdrive:1:reminder:sms"
    assert message.last_error == ""
    # Backoff doubles from the base (60 s): 60, 120, 240 s after each failure.
    assert waits[:3] == [60.0, 180.0, 420.0]
    assert len(gateway.requests) == 4
    assert len(gateway.delivered) == 1
    assert gateway.requests[-1]["auth"] == "Bearer tok"
    assert gateway.requests[-1]["key"] == "testdrive:1:reminder:sms"
    assert gateway.requests[-1]["payload"]["to"] == "+4915123456789"


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_a_permanent_error_fails_at_once_without_retries(gateway_settings):
    with Gateway(fail_first=100, fail_status=400) as gateway:
        gateway_settings(gateway)
        message = sms()
        messages_flush()
        messages_flush()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert message.last_error == 'gateway answered 400: {"error": "try later"}'
    assert len(gateway.requests) == 1
    assert gateway.delivered == {}


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_transient_errors_give_up_after_the_maximum_attempts(gateway_settings, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 2
    with Gateway(fail_first=100) as gateway:
        gateway_settings(gateway)
        message = sms()
        messages_flush()
        with time_machine.travel(NOON + datetime.timedelta(hours=1), tick=False):
            messages_flush()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 2
    assert message.last_error.startswith("TransientSendError: gateway answered 503")
    assert len(gateway.requests) == 2


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_a_suppression_recorded_after_enqueue_stops_the_send(sms_outbox):
    message = sms()
    suppression_add(channel=Channel.SMS, address=message.to, reason=Suppression.Reason.SMS_STOP)

    messages_flush()

    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert message.attempts == 0
    assert sms_outbox == []


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_marketing_consent_withdrawn_after_enqueue_stops_the_send():
    message = OutboxMessageFactory(purpose=Purpose.MARKETING, to="kim@example.com")
    ConsentFactory(address="kim@example.com", granted=True)
    consent_record(
        channel=Channel.EMAIL,
        address="kim@example.com",
        granted=False,
        source="phone call",
        wording="No more offers",
    )

    messages_flush()

    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert message.last_error == "Marketing consent was withdrawn before sending."
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_sms_due_in_quiet_hours_waits_for_their_end(sms_outbox):
    location = LocationFactory(time_zone="Europe/Berlin")
    late = datetime.datetime(2026, 3, 10, 21, 30, tzinfo=datetime.UTC)  # 22:30 in Leipzig
    with time_machine.travel(late, tick=False):
        message = sms(location=location, send_after=late)
        messages_flush()

    message.refresh_from_db()
    assert message.status == Status.SCHEDULED
    assert message.send_after == datetime.datetime(2026, 3, 11, 7, 0, tzinfo=datetime.UTC)
    assert sms_outbox == []

    with time_machine.travel(message.send_after, tick=False):
        messages_flush()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_quiet_hours_are_configurable_per_location(sms_outbox):
    hours = QuietHoursFactory(start=datetime.time(20, 0), end=datetime.time(9, 30))
    evening = datetime.datetime(2026, 7, 1, 18, 15, tzinfo=datetime.UTC)  # 20:15 CEST
    with time_machine.travel(evening, tick=False):
        message = sms(location=hours.location, send_after=evening)
        messages_flush()

    message.refresh_from_db()
    assert message.send_after == datetime.datetime(2026, 7, 2, 7, 30, tzinfo=datetime.UTC)
    assert sms_outbox == []


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_the_send_rate_per_channel_leaves_the_rest_for_the_next_minute(settings):
    settings.MESSAGING_SEND_RATE_PER_MINUTE = {"email": 2, "sms": 0}
    OutboxMessageFactory.create_batch(5)

    assert messages_flush() == 2
    assert OutboxMessage.objects.filter(status=Status.QUEUED).count() == 3

    with time_machine.travel(NOON + datetime.timedelta(minutes=1), tick=False):
        assert messages_flush() == 2
    assert len(mail.outbox) == 4


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_sending_one_message_twice_sends_it_once():
    message = OutboxMessageFactory()

    assert message_send(message_id=message.pk) is True
    assert message_send(message_id=message.pk) is False

    assert len(mail.outbox) == 1


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_the_periodic_flush_task_sends_what_is_due():
    from dealership.messaging.tasks import messages_flush_task

    OutboxMessageFactory.create_batch(2)

    assert messages_flush_task.delay().get() == 2
    assert messages_flush_task.delay().get() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_a_flush_in_small_batches_sends_every_due_message_in_order(settings):
    messages = OutboxMessageFactory.create_batch(7)

    assert messages_flush(batch_size=3) == 7

    assert [m.extra_headers["X-Idempotency-Key"] for m in mail.outbox] == [
        m.dedupe_key for m in messages
    ]
