"""messages_enqueue_many: the same rows as message_enqueue item by item, in a few queries."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import (
    message_enqueue,
    messages_enqueue_many,
    suppression_add,
    suppression_pseudonymise,
)
from tests.accounts.factories import LocationFactory
from tests.messaging.factories import ConsentFactory, OutboxMessageFactory, QuietHoursFactory

Status = OutboxMessage.Status
NOON = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=datetime.UTC)  # 12:00 in Leipzig

pytestmark = pytest.mark.django_db


def item(key, **overrides):
    return {
        "channel": Channel.EMAIL,
        "purpose": Purpose.TRANSACTIONAL,
        "to": f"{key}@example.com",
        "template_key": "tests.hello",
        "context": {"name": key.title()},
        "dedupe_key": f"many:{key}",
        **overrides,
    }


@pytest.fixture
def mixed_batch():
    """Every case the outbox distinguishes, with its fixtures in place."""
    quiet = LocationFactory(country="DE")  # quiet 11:00-13:00 local: an SMS at noon waits
    QuietHoursFactory(location=quiet, start=datetime.time(11), end=datetime.time(13))
    plain = LocationFactory(country="DE")  # the default quiet hours (21-8): noon is fine
    ConsentFactory(address="granted@example.com")
    ConsentFactory(address="withdrawn@example.com")
    ConsentFactory(address="withdrawn@example.com", granted=False)
    ConsentFactory(channel=Channel.SMS, address="+4915100000002")
    suppression_add(channel=Channel.EMAIL, address="stopped@example.com", reason="manual")
    suppression_add(channel=Channel.EMAIL, address="erased@example.com", reason="manual")
    suppression_pseudonymise(channel=Channel.EMAIL, address="erased@example.com")
    suppression_add(channel=Channel.SMS, address="+4915100000003", reason="sms_stop")
    existing = OutboxMessageFactory(dedupe_key="many:existing", location=plain)
    marketing = {"purpose": Purpose.MARKETING, "location": plain, "customer_id": 7}
    items = [
        item("transactional", to="  Transactional@Example.COM ", location=plain),
        item("granted", **marketing),
        item("unconsented", **marketing),
        item("withdrawn", **marketing),
        item("stopped", location=plain),
        item("erased", **marketing),
        item("existing", context={"name": "Not stored"}),
        item("transactional", context={"name": "Repeat in the batch"}),
        item("later", language="de", send_after=NOON + datetime.timedelta(days=2)),
        item("attached", attachments=[("offer.txt", "Angebot", "text/plain")]),
        item("sms-quiet", channel=Channel.SMS, to="0151 00000001", location=quiet),
        item("sms-granted", channel=Channel.SMS, to="0151 00000002", **marketing),
        item("sms-unconsented", channel=Channel.SMS, to="0151 00000004", **marketing),
        item(
            "sms-alert",
            channel=Channel.SMS,
            purpose=Purpose.ALERT,
            to="+49 151 00000005",
            location=quiet,
        ),
        item("sms-alert-stopped", channel=Channel.SMS, purpose=Purpose.ALERT, to="015100000003"),
        item(
            "sms-stop-reply",
            channel=Channel.SMS,
            to="015100000003",
            location=quiet,
            ignore_suppression=True,
            ignore_quiet_hours=True,
        ),
        item("alert-email", purpose=Purpose.ALERT, context={"cancel_url": "https://x.test/c"}),
    ]
    return items, existing


def rows() -> dict[str, dict]:
    return {
        row.pop("dedupe_key"): row
        for row in OutboxMessage.objects.values(
            *(f.attname for f in OutboxMessage._meta.concrete_fields if not f.primary_key)
        )
    }


def outcome(message: OutboxMessage) -> tuple:
    return (message.pk, message.dedupe_key, message.status, message.last_error, message.send_after)


@time_machine.travel(NOON, tick=False)
def test_a_mixed_batch_gives_the_same_rows_as_enqueueing_one_by_one(
    mixed_batch, django_capture_on_commit_callbacks
):
    items, existing = mixed_batch
    with transaction.atomic():
        with django_capture_on_commit_callbacks() as one_by_one_wakes:
            singles = [message_enqueue(**i) for i in items]
        expected_rows = rows()
        expected = [outcome(m) for m in singles]
        transaction.set_rollback(True)
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [existing.pk]

    with django_capture_on_commit_callbacks() as batch_wakes:
        results = messages_enqueue_many(items)

    actual_rows = rows()
    assert actual_rows.keys() == expected_rows.keys()
    for key, row in expected_rows.items():
        assert actual_rows[key] == row, key
    by_key = {r.message.dedupe_key: r.message.pk for r in results}
    assert [(by_key[e[1]], *e[1:]) for e in expected] == [outcome(r.message) for r in results]
    # Not vacuous: the batch really holds every case.
    statuses = {key: row["status"] for key, row in actual_rows.items()}
    assert statuses == {
        "many:transactional": Status.QUEUED,
        "many:granted": Status.QUEUED,
        "many:unconsented": Status.SUPPRESSED,
        "many:withdrawn": Status.SUPPRESSED,
        "many:stopped": Status.SUPPRESSED,
        "many:erased": Status.SUPPRESSED,
        "many:existing": Status.QUEUED,
        "many:later": Status.SCHEDULED,
        "many:attached": Status.QUEUED,
        "many:sms-quiet": Status.SCHEDULED,
        "many:sms-granted": Status.QUEUED,
        "many:sms-unconsented": Status.SUPPRESSED,
        "many:sms-alert": Status.SCHEDULED,
        "many:sms-alert-stopped": Status.SUPPRESSED,
        "many:sms-stop-reply": Status.QUEUED,
        "many:alert-email": Status.QUEUED,
    }
    assert actual_rows["many:transactional"]["to"] == "transactional@example.com"
    assert actual_rows["many:transactional"]["context"] == {"name": "Transactional"}
    assert actual_rows["many:existing"]["subject"] == "Hello"  # the stored row, untouched
    assert actual_rows["many:sms-quiet"]["send_after"] == NOON + datetime.timedelta(hours=1)
    assert actual_rows["many:unconsented"]["last_error"] == (
        "No marketing consent recorded for this address."
    )
    assert actual_rows["many:stopped"]["last_error"] == (
        "The address is suppressed (opted out or undeliverable)."
    )
    assert (results[6].message.pk, results[6].created) == (existing.pk, False)
    assert (results[7].message.pk, results[7].created) == (results[0].message.pk, False)
    assert (results[0].created, results[0].queued, results[0].refused) == (True, True, False)
    assert (results[2].created, results[2].queued, results[2].refused) == (True, False, True)
    assert results[2].reason == "No marketing consent recorded for this address."
    assert results[0].reason == ""
    # One wake per queued message one by one; one for the whole batch.
    assert len(one_by_one_wakes) == 6
    assert len(batch_wakes) == 1


@time_machine.travel(NOON, tick=False)
def test_the_wake_after_commit_sends_the_queued_messages(
    sms_outbox, django_capture_on_commit_callbacks
):
    location = LocationFactory(country="DE")
    ConsentFactory(address="granted@example.com")
    items = [
        item("granted", purpose=Purpose.MARKETING, location=location),
        item("unconsented", purpose=Purpose.MARKETING, location=location),
        item("sms", channel=Channel.SMS, to="0151 00000001", location=location),
    ]

    with django_capture_on_commit_callbacks(execute=True) as wakes:
        messages_enqueue_many(items)
        assert mail.outbox == []  # nothing before the commit

    assert len(wakes) == 1
    assert [m.to for m in mail.outbox] == [["granted@example.com"]]
    assert [m["to"] for m in sms_outbox] == ["+4915100000001"]
    assert set(OutboxMessage.objects.values_list("dedupe_key", "status")) == {
        ("many:granted", Status.SENT),
        ("many:unconsented", Status.SUPPRESSED),
        ("many:sms", Status.SENT),
    }


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize("size", [5, 60])
def test_the_query_count_does_not_grow_with_the_batch(
    size, django_assert_num_queries, django_capture_on_commit_callbacks
):
    location = LocationFactory(country="DE")
    QuietHoursFactory(location=location)
    for n in range(size):
        ConsentFactory(address=f"c{n}@example.com")
    items = [
        item(f"c{n}", channel=channel, to=to, purpose=Purpose.MARKETING, location=location)
        for n in range(size)
        for channel, to in ((Channel.EMAIL, f"c{n}@example.com"), (Channel.SMS, "0151 00000001"))
    ]
    for i in items:
        i["dedupe_key"] += f":{i['channel']}"

    # existing keys, locations, template overrides, quiet hours, suppression and consent
    # per channel (2 × 2), savepoint, INSERT, release
    with django_capture_on_commit_callbacks(), django_assert_num_queries(11):
        results = messages_enqueue_many(items)

    assert len(results) == 2 * size
    assert OutboxMessage.objects.filter(status=Status.QUEUED).count() == size
    assert OutboxMessage.objects.filter(status=Status.SUPPRESSED).count() == size  # no SMS consent


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"to": "not-an-email"}, "“not-an-email” is not a valid email address."),
        ({"channel": "fax"}, "Unknown channel “fax”."),
        ({"template_key": "tests.missing"}, "There is no email template “tests.missing”."),
        ({"context": {"when": datetime.date(2026, 1, 1)}}, "must be JSON-serialisable"),
    ],
)
def test_an_invalid_item_raises_as_message_enqueue_does_and_stores_nothing(bad, error):
    with pytest.raises(ValidationError) as single:
        message_enqueue(**item("bad", **bad))

    with pytest.raises(ValidationError) as batch:
        messages_enqueue_many([item("good"), item("bad", **bad), item("after")])

    assert error in str(batch.value)
    assert batch.value.messages == single.value.messages
    assert not OutboxMessage.objects.exists()


def test_the_first_invalid_item_in_order_decides_the_error():
    items = [item("ok"), item("bad-address", to="nope"), item("bad-channel", channel="fax")]

    with pytest.raises(ValidationError) as batch:
        messages_enqueue_many(items)

    assert batch.value.messages == ["“nope” is not a valid email address."]
    assert not OutboxMessage.objects.exists()


def test_an_item_with_a_stored_dedupe_key_is_not_validated_again():
    stored = OutboxMessageFactory(dedupe_key="many:stored")

    results = messages_enqueue_many([item("stored", to="not-an-email", channel="fax")])

    assert [(r.message.pk, r.created, r.queued) for r in results] == [(stored.pk, False, True)]


def test_an_empty_batch_does_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert messages_enqueue_many([]) == []
