"""The outbox's writes: enqueue, cancel, send, consent and suppression, inbound SMS.

Delivery model (what callers can rely on):

* `message_enqueue` is idempotent on the dedupe key (a unique constraint holds it, also
  between concurrent transactions) and queues the send only when the caller's transaction
  commits: a rolled-back transaction leaves no row and sends nothing.
* A send claims rows with SELECT … FOR UPDATE SKIP LOCKED, calls the provider and marks the
  rows sent in the *same* transaction. Two flushes (a second beat, a redelivered task) never
  send one row twice while it is locked; a worker killed after the provider call but before
  COMMIT leaves the row pending, so it is sent again later: delivery is at-least-once, and the
  dedupe key travels to the provider as idempotency key so the repeat is not delivered twice.
"""

import base64
import datetime
import hashlib
import json
import logging
import re
import smtplib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealership.accounts.language import language_url
from dealership.accounts.models import Location
from dealership.accounts.phones import phone_local
from dealership.core.urls import reverse_token

from . import quiet_hours as qh
from .addresses import address_hash, normalise_address
from .backends import PermanentSendError, SendError, TransientSendError, get_sms_backend
from .models import Channel, Consent, InboundSms, OutboxMessage, Purpose, Suppression
from .rendering import render_message, render_source, template_sources
from .selectors import (
    marketing_consented_addresses,
    quiet_hours_by_location,
    quiet_hours_for,
    suppressed_addresses,
)
from .tokens import reply_address, unsubscribe_token

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status


# --- Enqueue and cancel ---------------------------------------------------------------------


def message_enqueue(
    *,
    channel: Channel,
    purpose: Purpose,
    to: str,
    template_key: str,
    context: dict,
    dedupe_key: str,
    location: Location | None = None,
    customer_id: int | None = None,
    language: str = "",
    send_after: datetime.datetime | None = None,
    attachments: Sequence[tuple[str, str | bytes, str]] = (),
    ignore_suppression: bool = False,
    ignore_quiet_hours: bool = False,
) -> OutboxMessage:
    """Put one message in the outbox; idempotent on `dedupe_key` (a second call returns the
    existing row unchanged).

    Renders the template now (subject and body are stored; `context` must be JSON-serialisable).
    A suppressed address, or a marketing message without recorded consent, is stored with status
    SUPPRESSED and never sent. An SMS due in the location's quiet hours waits for their end.
    The send is queued when the surrounding transaction commits. `to` is normalised (email
    lower-case, phone E.164 with the location's country as default region).

    `ignore_suppression` / `ignore_quiet_hours` exist only for the replies the law requires
    (the confirmation of an SMS STOP); nothing else may use them.
    """
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel “%(value)s”.") % {"value": channel})
    if purpose not in Purpose.values:
        raise ValidationError(_("Unknown purpose “%(value)s”.") % {"value": purpose})
    region = location.country if location else settings.MESSAGING_DEFAULT_REGION
    address = normalise_address(channel, to, default_region=region)
    try:
        context = json.loads(json.dumps(context))
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("The message context must be JSON-serialisable: %(error)s") % {"error": exc}
        ) from exc
    context = _links_in_language(context, language)
    with translation.override(language or settings.LANGUAGE_CODE):
        rendered = render_message(
            key=template_key, channel=channel, language=language, context=context
        )
        body, body_html = rendered.body, rendered.body_html
        if channel == Channel.EMAIL:
            body, body_html = _with_unsubscribe_footer(address, body, body_html)

    now = timezone.now()
    due = max(send_after or now, now)
    if channel == Channel.SMS and not ignore_quiet_hours:
        tz, start, end = quiet_hours_for(location)
        due = qh.next_allowed(due, tz=tz, start=start, end=end)
    status = Status.SCHEDULED if due > now else Status.QUEUED
    reason = "" if ignore_suppression else _refusal(channel, purpose, address)
    if reason:
        status = Status.SUPPRESSED

    message = OutboxMessage(
        channel=channel,
        purpose=purpose,
        to=address,
        customer_id=customer_id,
        location=location,
        template_key=template_key,
        language=language,
        context=context,
        subject=rendered.subject[:255],
        body=body,
        body_html=body_html,
        attachments=[_attachment(*a) for a in attachments],
        status=status,
        send_after=due,
        last_error=reason,
        dedupe_key=dedupe_key,
    )
    message.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        fields = {f.attname: getattr(message, f.attname) for f in message._meta.concrete_fields}
        fields.pop("id")
        fields.pop("dedupe_key")
        # get_or_create survives the race: the loser's INSERT waits on the unique index,
        # fails, and it returns the winner's row.
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key, defaults=fields
        )
        if created and message.status == Status.QUEUED:
            _queue_send(message.id)
    return message


@dataclass(frozen=True)
class EnqueueResult:
    """What `messages_enqueue_many` did with one item."""

    message: OutboxMessage
    created: bool  # this call stored the row; False: its dedupe key was there already

    @property
    def queued(self) -> bool:
        """The message will be sent (now, or at the end of quiet hours / at send_after)."""
        return self.message.status in OutboxMessage.PENDING_STATUSES

    @property
    def refused(self) -> bool:
        return self.message.status == Status.SUPPRESSED

    @property
    def reason(self) -> str:
        """Why it was refused (suppressed address, no marketing consent); "" otherwise."""
        return self.message.last_error if self.refused else ""


_ENQUEUE_REQUIRED = {"channel", "purpose", "to", "template_key", "context", "dedupe_key"}
_ENQUEUE_OPTIONAL = {
    "location": None,
    "customer_id": None,
    "language": "",
    "send_after": None,
    "attachments": (),
    "ignore_suppression": False,
    "ignore_quiet_hours": False,
}
_INSERT_CHUNK = 1000


def messages_enqueue_many(items: Iterable[Mapping]) -> list[EnqueueResult]:
    """`message_enqueue` for a batch: each item is a mapping of its keyword arguments, and
    each gets exactly the row (status, send time, refusal reason, rendered text) it would get
    from `message_enqueue` called item by item, in order. Results come back in item order.

    The checks run set-wise, a few queries for the whole batch whatever its size: existing
    dedupe keys, locations, template overrides, quiet hours (once per location), suppression
    and marketing consent (once per channel); the rows go in with one INSERT … ON CONFLICT
    (dedupe_key) DO NOTHING, so a concurrent writer of the same key wins and its row is
    returned, as with `message_enqueue`. An item whose dedupe key is already stored, or
    repeats an earlier item's, returns that row unchanged. An invalid item raises the
    ValidationError `message_enqueue` would raise and stores nothing of the batch. The
    sender is woken once, when the surrounding transaction commits.
    """
    items = [_enqueue_arguments(item) for item in items]
    if not items:
        return []
    keys = {item["dedupe_key"] for item in items}
    found = {m.dedupe_key: m for m in OutboxMessage.objects.filter(dedupe_key__in=keys)}
    first: dict[str, dict] = {}  # the item that creates each new key
    for item in items:
        if item["dedupe_key"] not in found:
            first.setdefault(item["dedupe_key"], item)
    new_items = list(first.values())
    messages = _build_many(new_items)
    created: set[str] = set()
    with transaction.atomic():
        ids = _insert_ignoring_conflicts(messages)
        for message in messages:
            if message.dedupe_key in ids:
                message.pk = ids[message.dedupe_key]
                message._state.adding, message._state.db = False, "default"
                found[message.dedupe_key] = message
                created.add(message.dedupe_key)
        lost = keys - found.keys()  # a concurrent transaction stored these keys first
        if lost:
            found.update(
                (m.dedupe_key, m) for m in OutboxMessage.objects.filter(dedupe_key__in=lost)
            )
        if any(found[key].status == Status.QUEUED for key in created):
            transaction.on_commit(_wake_flush)
    results = []
    for item in items:
        key = item["dedupe_key"]
        results.append(
            EnqueueResult(message=found[key], created=key in created and first[key] is item)
        )
    return results


def _enqueue_arguments(item: Mapping) -> dict:
    unknown = set(item) - _ENQUEUE_REQUIRED - _ENQUEUE_OPTIONAL.keys()
    missing = _ENQUEUE_REQUIRED - set(item)
    if unknown or missing:
        raise TypeError(f"enqueue item: unknown {sorted(unknown)}, missing {sorted(missing)}")
    return {**_ENQUEUE_OPTIONAL, **item}


def _build_many(items: list[dict]) -> list[OutboxMessage]:
    """The rows `message_enqueue` would store for these items (none of them stored yet)."""
    if not items:
        return []
    locations = {i["location"].pk: i["location"] for i in items if i["location"] is not None}
    existing_locations = (
        set(Location._base_manager.filter(pk__in=locations).values_list("pk", flat=True))
        if locations
        else set()
    )
    sources = template_sources({(i["template_key"], i["channel"], i["language"]) for i in items})
    quiet = quiet_hours_by_location(
        [
            i["location"]
            for i in items
            if i["channel"] == Channel.SMS and not i["ignore_quiet_hours"]
        ]
    )
    compiled: dict = {}
    now = timezone.now()
    messages = []
    for item in items:  # the same checks, in the same order, as message_enqueue
        channel, language, location = item["channel"], item["language"], item["location"]
        if channel not in Channel.values:
            raise ValidationError(_("Unknown channel “%(value)s”.") % {"value": channel})
        if item["purpose"] not in Purpose.values:
            raise ValidationError(_("Unknown purpose “%(value)s”.") % {"value": item["purpose"]})
        region = location.country if location else settings.MESSAGING_DEFAULT_REGION
        address = normalise_address(channel, item["to"], default_region=region)
        try:
            context = json.loads(json.dumps(item["context"]))
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                _("The message context must be JSON-serialisable: %(error)s") % {"error": exc}
            ) from exc
        context = _links_in_language(context, language)
        source = sources[item["template_key"], channel, language]
        if isinstance(source, ValidationError):
            raise source
        with translation.override(language or settings.LANGUAGE_CODE):
            rendered = render_source(source, context, compiled=compiled)
            body, body_html = rendered.body, rendered.body_html
            if channel == Channel.EMAIL:
                body, body_html = _with_unsubscribe_footer(address, body, body_html)
        due = max(item["send_after"] or now, now)
        if channel == Channel.SMS and not item["ignore_quiet_hours"]:
            tz, start, end = quiet[location.pk if location else None]
            due = qh.next_allowed(due, tz=tz, start=start, end=end)
        message = OutboxMessage(
            channel=channel,
            purpose=item["purpose"],
            to=address,
            customer_id=item["customer_id"],
            location=location,
            template_key=item["template_key"],
            language=language,
            context=context,
            subject=rendered.subject[:255],
            body=body,
            body_html=body_html,
            attachments=[_attachment(*a) for a in item["attachments"]],
            status=Status.SCHEDULED if due > now else Status.QUEUED,
            send_after=due,
            last_error="",
            dedupe_key=item["dedupe_key"],
        )
        if location is not None and location.pk not in existing_locations:
            message.full_clean(validate_unique=False, validate_constraints=False)  # raises
        message.full_clean(exclude=["location"], validate_unique=False, validate_constraints=False)
        messages.append(message)
    _refuse_many(messages, [i["ignore_suppression"] for i in items])
    return messages


def _refuse_many(messages: list[OutboxMessage], ignore_suppression: list[bool]) -> None:
    """`_refusal` for every message: one suppression and one consent query per channel."""
    checked = [m for m, ignore in zip(messages, ignore_suppression, strict=True) if not ignore]
    for channel in {m.channel for m in checked}:
        on_channel = [m for m in checked if m.channel == channel]
        suppressed = suppressed_addresses(channel=channel, addresses={m.to for m in on_channel})
        marketing = {
            m.to for m in on_channel if m.purpose == Purpose.MARKETING and m.to not in suppressed
        }
        consented = (
            marketing_consented_addresses(channel=channel, addresses=marketing)
            if marketing
            else set()
        )
        for message in on_channel:
            if message.to in suppressed:
                reason = _("The address is suppressed (opted out or undeliverable).")
            elif message.purpose == Purpose.MARKETING and message.to not in consented:
                reason = _("No marketing consent recorded for this address.")
            else:
                continue
            message.status, message.last_error = Status.SUPPRESSED, reason


def _insert_ignoring_conflicts(messages: list[OutboxMessage]) -> dict[str, int]:
    """INSERT … SELECT FROM unnest(one array per column) ON CONFLICT (dedupe_key) DO NOTHING;
    {dedupe_key: id} of the rows inserted. One short statement with one parameter per column
    whatever the batch size: a VALUES list of rows × columns placeholders costs more to build,
    send and parse than PostgreSQL spends inserting (bench_campaigns)."""
    if not messages:
        return {}
    meta = OutboxMessage._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    # Names and types from the model, placeholders only: the values are parameters.
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 # nosec B608
        f"SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
    )
    inserted: dict[str, int] = {}
    for start in range(0, len(messages), _INSERT_CHUNK):
        chunk = messages[start : start + _INSERT_CHUNK]
        params = [
            [f.get_db_prep_save(f.pre_save(m, add=True), connection) for m in chunk] for f in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted.update((key, pk) for pk, key in cursor.fetchall())
    return inserted


def _wake_flush() -> None:
    # One wake for a whole batch: the flush sends every due row (see _wake_sender for why a
    # broker outage is only a warning).
    from kombu.exceptions import OperationalError

    from .tasks import messages_flush_task

    try:
        messages_flush_task.delay()
    except OperationalError:
        logger.warning("broker unavailable; the batch waits for the periodic flush")


def _links_in_language(value, language: str):
    """The context with every link to this site moved into the message's language
    (``https://…/test-drives/manage/…`` to ``https://…/de/test-drives/manage/…``): callers build
    their links outside the language, and the customer lands on the page they can read.
    Anything that is not a page of the site (a photo, another site) stays as it is."""
    if not language or language == settings.LANGUAGE_CODE:
        return value
    if isinstance(value, dict):
        return {key: _links_in_language(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [_links_in_language(item, language) for item in value]
    base = settings.SITE_URL.rstrip("/")
    if isinstance(value, str) and value.startswith(base + "/"):
        return base + language_url(value[len(base) :], language)
    return value


def _queue_send(message_id: int) -> None:
    transaction.on_commit(lambda: _wake_sender(message_id))


def _wake_sender(message_id: int) -> None:
    # The row is committed: if the broker is down, the periodic flush sends it instead, so a
    # broker outage must not turn the caller's successful request into an error.
    from kombu.exceptions import OperationalError

    from .tasks import message_send_task

    try:
        message_send_task.delay(message_id)
    except OperationalError:
        logger.warning("broker unavailable; outbox message %s waits for the flush", message_id)


def _attachment(filename: str, content: str | bytes, mimetype: str) -> dict:
    raw = content.encode() if isinstance(content, str) else bytes(content)
    return {
        "filename": filename,
        "mimetype": mimetype,
        "content_b64": base64.b64encode(raw).decode(),
    }


def _refusal(channel: str, purpose: str, address: str) -> str:
    """Why this message may not go to this address, or "" when it may."""
    if suppressed_addresses(channel=channel, addresses={address}):
        return _("The address is suppressed (opted out or undeliverable).")
    if purpose == Purpose.MARKETING and not marketing_consented_addresses(
        channel=channel, addresses={address}
    ):
        return _("No marketing consent recorded for this address.")
    return ""


def unsubscribe_urls(*, channel: str, address: str) -> tuple[str, str]:
    """(preference page, one-click POST endpoint), absolute."""
    token = unsubscribe_token(channel=channel, address=address)
    base = settings.SITE_URL.rstrip("/")
    return (
        base + reverse_token("messaging:preferences", token),
        base + reverse_token("messaging:unsubscribe-one-click", token),
    )


def _with_unsubscribe_footer(address: str, body: str, body_html: str) -> tuple[str, str]:
    page, _one_click = unsubscribe_urls(channel=Channel.EMAIL, address=address)
    text = _("Email preferences or unsubscribe: %(url)s") % {"url": page}
    body = f"{body.rstrip()}\n\n-- \n{text}\n"
    if body_html:
        from django.utils.html import format_html

        footer = format_html(
            '<p style="font-size:small;color:#666"><a href="{}">{}</a></p>',
            page,
            _("Email preferences or unsubscribe"),
        )
        if "</body>" in body_html:
            body_html = body_html.replace("</body>", f"{footer}</body>", 1)
        else:
            body_html = f"{body_html}{footer}"
    return body, body_html


def messages_cancel(*, dedupe_key_prefix: str, reason: str) -> int:
    """Cancel scheduled / queued (not yet sent) messages whose dedupe key starts with the prefix,
    e.g. "testdrive:123:". Returns how many. A message a flush is sending right now waits for
    the flush's commit and is then no longer pending, so it is not counted."""
    if not dedupe_key_prefix:
        raise ValueError("dedupe_key_prefix must not be empty")
    return OutboxMessage.objects.filter(
        dedupe_key__startswith=dedupe_key_prefix, status__in=OutboxMessage.PENDING_STATUSES
    ).update(status=Status.CANCELLED, cancelled_reason=reason[:255], updated_at=timezone.now())


def message_cancel(*, message: OutboxMessage, reason: str) -> bool:
    """Cancel one pending message (staff UI). False when it was no longer pending."""
    return bool(
        OutboxMessage.objects.filter(
            pk=message.pk, status__in=OutboxMessage.PENDING_STATUSES
        ).update(status=Status.CANCELLED, cancelled_reason=reason[:255], updated_at=timezone.now())
    )


# --- Sending --------------------------------------------------------------------------------


def _due_messages(*, now: datetime.datetime, exclude_channels: set[str]):
    return (
        OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("location", "location__quiet_hours")
        .filter(status__in=OutboxMessage.PENDING_STATUSES, send_after__lte=now)
        .exclude(channel__in=exclude_channels)
        .order_by("send_after", "id")
    )


def message_send(*, message_id: int) -> bool:
    """Send one message now if it is due and nobody else holds it. Safe to call twice."""
    with transaction.atomic():
        batch = list(
            _due_messages(now=timezone.now(), exclude_channels=set()).filter(id=message_id)
        )
        if not batch:
            return False
        return _deliver(batch, exhausted=set()) == 1


def messages_flush(*, batch_size: int | None = None, time_budget: float | None = None) -> int:
    """Send every due message, `batch_size` rows per transaction, until none is left or the
    time budget (seconds) is spent. Returns how many were sent. Safe to run concurrently:
    each flush skips the rows another one has locked."""
    batch_size = batch_size or settings.MESSAGING_FLUSH_BATCH_SIZE
    time_budget = time_budget if time_budget is not None else settings.MESSAGING_FLUSH_SECONDS
    deadline = time.monotonic() + time_budget
    sent = 0
    exhausted: set[str] = set()  # channels whose send rate is used up for this minute
    position = None  # (send_after, id) of the last row claimed in this run
    while time.monotonic() < deadline:
        with transaction.atomic():
            due = _due_messages(now=timezone.now(), exclude_channels=exhausted)
            if position is not None:
                # Keyset: continue after the last claimed row instead of rescanning the index
                # entries of rows this run already sent (dead until vacuum). Rows left behind
                # (retries, quiet hours) are due later; the next run starts from the top.
                due = due.filter(send_after__gte=position[0]).filter(
                    Q(send_after__gt=position[0]) | Q(id__gt=position[1])
                )
            batch = list(due[:batch_size])
            if not batch:
                break
            position = (batch[-1].send_after, batch[-1].id)
            sent += _deliver(batch, exhausted=exhausted)
    return sent


def _deliver(batch: list[OutboxMessage], *, exhausted: set[str]) -> int:
    """Send a locked batch; mark every row in the same transaction. Returns how many sent."""
    now = timezone.now()
    by_channel: dict[str, set[str]] = {}
    for message in batch:
        by_channel.setdefault(message.channel, set()).add(message.to)
    suppressed = {
        (channel, a)
        for channel, addresses in by_channel.items()
        for a in suppressed_addresses(channel=channel, addresses=addresses)
    }
    marketing = {
        channel: {m.to for m in batch if m.channel == channel and m.purpose == Purpose.MARKETING}
        for channel in by_channel
    }
    consented = {
        (channel, a)
        for channel, addresses in marketing.items()
        if addresses
        for a in marketing_consented_addresses(channel=channel, addresses=addresses)
    }
    email_connection = None
    sms_backend = None
    changed = []
    sent = 0
    for message in batch:
        if message.channel in exhausted:
            continue
        # Consent can change between enqueue and send: check again, at send time.
        if (message.channel, message.to) in suppressed and not _is_compliance_reply(message):
            message.status, message.last_error = Status.SUPPRESSED, _("The address is suppressed.")
            changed.append(message)
            continue
        if message.purpose == Purpose.MARKETING and (message.channel, message.to) not in consented:
            message.status = Status.SUPPRESSED
            message.last_error = _("Marketing consent was withdrawn before sending.")
            changed.append(message)
            continue
        if message.channel == Channel.SMS and not _is_compliance_reply(message):
            tz, start, end = quiet_hours_for(message.location)
            allowed = qh.next_allowed(now, tz=tz, start=start, end=end)
            if allowed > now:
                message.status, message.send_after = Status.SCHEDULED, allowed
                changed.append(message)
                continue
        if not _take_rate(message.channel):
            exhausted.add(message.channel)
            continue
        message.attempts += 1
        try:
            if message.channel == Channel.EMAIL:
                if email_connection is None:
                    email_connection = get_connection(fail_silently=False)
                provider_id = _send_email(message, email_connection)
            else:
                sms_backend = sms_backend or get_sms_backend()
                provider_id = sms_backend.send(
                    to=message.to, body=message.body, idempotency_key=message.dedupe_key
                )
        except PermanentSendError as exc:
            message.status, message.last_error = Status.FAILED, str(exc)[:2000]
        except Exception as exc:  # TransientSendError, or anything unexpected: retry later
            if not isinstance(exc, SendError):
                logger.exception("unexpected error sending outbox message %s", message.id)
            _schedule_retry(message, exc, now=now)
        else:
            message.status, message.provider_message_id = Status.SENT, provider_id[:255]
            message.sent_at, message.last_error = now, ""
            sent += 1
        changed.append(message)
    if email_connection is not None:
        email_connection.close()
    for message in changed:
        message.updated_at = now
    OutboxMessage.objects.bulk_update(
        changed,
        [
            "status",
            "send_after",
            "attempts",
            "last_error",
            "provider_message_id",
            "sent_at",
            "updated_at",
        ],
    )
    return sent


def _is_compliance_reply(message: OutboxMessage) -> bool:
    return message.template_key in COMPLIANCE_TEMPLATES


def _schedule_retry(message: OutboxMessage, exc: Exception, *, now: datetime.datetime) -> None:
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        message.status = Status.FAILED
        return
    delay = min(
        settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1),
        settings.MESSAGING_RETRY_MAX_SECONDS,
    )
    message.status = Status.QUEUED
    message.send_after = now + datetime.timedelta(seconds=delay)


def _take_rate(channel: str) -> bool:
    """A per-channel, per-minute send allowance shared by every worker (settings cache)."""
    limit = settings.MESSAGING_SEND_RATE_PER_MINUTE.get(channel) or 0
    if limit <= 0:
        return True
    key = f"messaging:rate:{channel}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=120)
        return True


def _message_id_header(message: OutboxMessage) -> str:
    # Deterministic from the dedupe key: SMTP relays and providers that deduplicate on
    # Message-ID treat a repeat after a crash as the same mail.
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{settings.MESSAGING_MESSAGE_ID_DOMAIN}>"


def _send_email(message: OutboxMessage, connection) -> str:
    headers = {
        "Message-ID": _message_id_header(message),
        "X-Idempotency-Key": message.dedupe_key,
    }
    if message.purpose == Purpose.MARKETING:
        _page, one_click = unsubscribe_urls(channel=Channel.EMAIL, address=message.to)
        headers["List-Unsubscribe"] = f"<{one_click}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    elif message.purpose == Purpose.ALERT and message.context.get("cancel_url"):
        # Ends this alert only (RFC 2369 link to its own page), not every message.
        headers["List-Unsubscribe"] = f"<{message.context['cancel_url']}>"
    if message.customer_id and settings.REPLY_EMAIL_DOMAIN:
        # The customer's reply comes back to their thread (conversations.email_inbound). Made
        # from the row's own creation day, so a resend after a crash carries the same address.
        headers["Reply-To"] = reply_address(
            customer_id=message.customer_id,
            domain=settings.REPLY_EMAIL_DOMAIN,
            now=message.created_at,
        )
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        headers=headers,
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for item in message.attachments:
        email.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentSendError(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentSendError(error) from exc
        raise TransientSendError(error) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientSendError(f"SMTP: {exc}") from exc
    return headers["Message-ID"]


# --- Consent and suppression ----------------------------------------------------------------


def consent_record(
    *,
    channel: Channel,
    address: str,
    granted: bool,
    source: str,
    wording: str,
    customer_id: int | None = None,
    location: Location | None = None,
) -> Consent:
    """Record marketing consent (granted or withdrawn) for one address, with the wording shown
    and the source. The latest decision counts; earlier ones stay as the audit trail. Does not
    lift a suppression (only the customer's own START / preference page does that)."""
    region = location.country if location else settings.MESSAGING_DEFAULT_REGION
    consent = Consent(
        channel=channel,
        address=normalise_address(channel, address, default_region=region),
        granted=granted,
        source=source,
        wording=wording,
        customer_id=customer_id,
        location=location,
    )
    consent.full_clean()
    consent.save()
    return consent


def suppression_add(*, channel: str, address: str, reason: str, detail: str = "") -> bool:
    """Suppress an address on one channel. True if it was not suppressed before."""
    _row, created = Suppression.objects.get_or_create(
        channel=channel,
        address=address,
        defaults={"reason": reason, "detail": detail[:255]},
    )
    return created


def suppression_lift(*, channel: str, address: str) -> bool:
    deleted, _rows = Suppression.objects.filter(
        Q(address__iexact=address) | Q(address=address_hash(channel, address)), channel=channel
    ).delete()
    return bool(deleted)


def suppression_pseudonymise(*, channel: str, address: str) -> bool:
    """Keep an address's suppression as a salted hash instead of the address (erasure).

    The outbox's checks (`suppressed_addresses`, `consent_state`) match the hash, so an erased
    person who opted out still gets nothing if the address comes back. Idempotent; True if a
    row was rewritten."""
    hashed = address_hash(channel, address)
    rows = Suppression.objects.filter(channel=channel, address__iexact=address)
    if Suppression.objects.filter(channel=channel, address=hashed).exists():
        return bool(rows.delete()[0])
    return bool(rows.update(address=hashed, detail=""))


def _address_language_module():
    # The customers behind an address live in an app above this one: the setting names the
    # module (leads.languages), so the import arrows still point down.
    path = getattr(settings, "MESSAGING_ADDRESS_LANGUAGE", "")
    if not path:
        return None
    from django.utils.module_loading import import_module

    return import_module(path)


def address_language(*, channel: str, address: str) -> str:
    """The language the customer(s) at this address chose ("" when none is stored)."""
    module = _address_language_module()
    return module.address_language(channel=channel, address=address) if module else ""


def address_language_set(*, channel: str, address: str, language: str) -> int:
    """Store the language the customer chose on the preference page; how many changed."""
    module = _address_language_module()
    if module is None:
        return 0
    return module.address_language_set(channel=channel, address=address, language=language)


def email_unsubscribe_one_click(*, address: str) -> None:
    """RFC 8058 one-click: withdraw marketing consent for the address. Idempotent."""
    consent_record(
        channel=Channel.EMAIL,
        address=address,
        granted=False,
        source="one-click unsubscribe (RFC 8058)",
        wording="List-Unsubscribe=One-Click",
    )


# --- Inbound SMS and delivery receipts ------------------------------------------------------

STOP_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_KEYWORDS = {"START", "UNSTOP"}
HELP_KEYWORDS = {"HELP", "INFO"}
COMPLIANCE_TEMPLATES = {"messaging.sms_stopped", "messaging.sms_started", "messaging.sms_help"}


def sms_keyword(body: str) -> str:
    """STOP / START / HELP, or "" for anything else. Case, spaces and punctuation don't matter
    ("  Stop! ", "opt-out", "Opt Out." all count); the keyword must be the whole message."""
    letters = re.sub(r"[^A-Z]", "", (body or "").upper())
    if letters in STOP_KEYWORDS:
        return "STOP"
    if letters in START_KEYWORDS:
        return "START"
    if letters in HELP_KEYWORDS:
        return "HELP"
    return ""


def sms_inbound_handle(*, provider_id: str, sender: str, body: str) -> InboundSms | None:
    """Act on a customer's SMS. STOP suppresses the number at once (this channel only) and
    withdraws marketing consent; START lifts the suppression; HELP answers with the contact.
    Each keyword gets one reply; a redelivered webhook (same provider id) does nothing."""
    try:
        address = normalise_address(
            Channel.SMS, sender, default_region=settings.MESSAGING_DEFAULT_REGION
        )
    except ValidationError:
        return None
    keyword = sms_keyword(body)
    with transaction.atomic():
        inbound, created = InboundSms.objects.get_or_create(
            provider_id=provider_id,
            defaults={"sender": address, "body": body[:2000], "keyword": keyword},
        )
        if created:
            transaction.on_commit(_inbound_sms_hook)
        if not created or not keyword:
            return inbound
        last = (
            OutboxMessage.objects.filter(channel=Channel.SMS, to=address, location__isnull=False)
            .select_related("location")
            .first()
        )
        location = last.location if last else None
        reply = None
        if keyword == "STOP":
            newly = suppression_add(
                channel=Channel.SMS,
                address=address,
                reason=Suppression.Reason.SMS_STOP,
                detail=body[:255],
            )
            consent_record(
                channel=Channel.SMS,
                address=address,
                granted=False,
                source="SMS reply",
                wording=body[:2000],
            )
            reply = "messaging.sms_stopped" if newly else None
        elif keyword == "START":
            suppression_lift(channel=Channel.SMS, address=address)
            reply = "messaging.sms_started"
        else:
            reply = "messaging.sms_help"
        if reply:
            message_enqueue(
                channel=Channel.SMS,
                purpose=Purpose.TRANSACTIONAL,
                to=address,
                template_key=reply,
                context=_contact_context(location),
                dedupe_key=f"sms-inbound:{inbound.pk}:reply",
                location=location,
                ignore_suppression=True,
                ignore_quiet_hours=True,
            )
    return inbound


def _inbound_sms_hook() -> None:
    # The app that shows SMS in the customer's thread sits above this one: the setting names
    # its function, so the import arrows still point down. Its periodic job is the safety net,
    # so a failing hook (a broker outage) must not turn the webhook's answer into an error.
    path = getattr(settings, "MESSAGING_INBOUND_SMS_HOOK", "")
    if not path:
        return
    from django.utils.module_loading import import_string

    try:
        import_string(path)()
    except Exception:
        logger.exception("inbound SMS hook %s failed; the periodic job attaches it", path)


def _contact_context(location: Location | None) -> dict:
    if location is None:
        return {"name": settings.SHOWROOM_NAME, "phone": settings.MESSAGING_HELP_PHONE, "email": ""}
    # As the location's customers dial it ("0341 5550100" in Leipzig).
    phone = phone_local(location.phone, location)
    return {"name": location.name, "phone": phone, "email": location.email}


def sms_receipt_record(*, provider_message_id: str, delivered: bool, error: str = "") -> int:
    """A gateway's delivery receipt: SENT becomes DELIVERED, or FAILED with the reason."""
    if not provider_message_id:
        return 0
    qs = OutboxMessage.objects.filter(
        channel=Channel.SMS,
        provider_message_id=provider_message_id,
        status__in=(Status.SENT, Status.DELIVERED),
    )
    now = timezone.now()
    if delivered:
        return qs.filter(status=Status.SENT).update(
            status=Status.DELIVERED, delivered_at=now, updated_at=now
        )
    return qs.update(
        status=Status.FAILED, last_error=(error or _("Not delivered"))[:2000], updated_at=now
    )
