"""Conversations' reads. Every staff query goes through leads' customer_list_for_user, so a
consultant never reads a thread of a location they may not see (404)."""

import dataclasses
import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import User
from dealership.accounts.roles import MANAGER_ROLES, Role
from dealership.core import caching
from dealership.messaging import quiet_hours as qh
from dealership.messaging.addresses import address_hash
from dealership.messaging.models import Channel as OutboxChannel
from dealership.messaging.models import OutboxMessage, Suppression
from dealership.messaging.selectors import quiet_hours_for
from leads.models import OPEN_STATUSES, Customer, Lead
from leads.selectors import customer_list_for_user

from .models import Message, MessageAttachment, ReplyTemplate

OutboxStatus = OutboxMessage.Status

# The outbox's status as the thread shows it: queued, sent, delivered or failed.
DELIVERY_STATES = {
    OutboxStatus.SCHEDULED: "queued",
    OutboxStatus.QUEUED: "queued",
    OutboxStatus.SENDING: "queued",
    OutboxStatus.SENT: "sent",
    OutboxStatus.DELIVERED: "delivered",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.SUPPRESSED: "failed",
    OutboxStatus.CANCELLED: "failed",
}


def customer_for_user(*, user: User, pk: int) -> Customer:
    """The customer whose thread the user may open, or 404 (another location's: 404 too)."""
    return get_object_or_404(
        customer_list_for_user(user=user).select_related(
            "location", "location__quiet_hours", "owner"
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class ThreadEntry:
    """One line of the thread: a conversation message or a system message of the outbox."""

    at: datetime.datetime
    direction: str  # "in", "out" or "system"
    channel: str
    channel_label: str
    body: str
    subject: str
    sender: str
    delivery: str  # "", "queued", "sent", "delivered", "failed"
    delivery_label: str
    sort_key: tuple
    attachments: tuple = ()  # an inbound email's MessageAttachment rows

    @property
    def is_system(self) -> bool:
        return self.direction == "system"


def _thread_rows(customer: Customer):
    """One UNION query: the customer's conversation messages (with their outbox row's subject
    and status, and the author's name) and the outbox's system messages to them."""
    blank = Value("", output_field=CharField())
    messages = (
        Message.objects.filter(customer=customer)
        .annotate(
            kind=Value("message", output_field=CharField()),
            subject=Coalesce(F("outbox_message__subject"), blank),
            status=Coalesce(F("outbox_message__status"), blank),
            author_first=Coalesce(F("author__first_name"), blank),
            author_last=Coalesce(F("author__last_name"), blank),
            author_username=Coalesce(F("author__username"), blank),
            author_present=Coalesce(F("author_id"), Value(0)),
            unread=F("read_at"),
            attached=Exists(MessageAttachment.objects.filter(message_id=OuterRef("pk"))),
        )
        .values_list(
            "kind",
            "pk",
            "created_at",
            "direction",
            "channel",
            "body",
            "subject",
            "status",
            "author_first",
            "author_last",
            "author_username",
            "author_present",
            "unread",
            "attached",
        )
    )
    system = (
        OutboxMessage.objects.filter(customer_id=customer.pk, conversation_message__isnull=True)
        .annotate(
            kind=Value("system", output_field=CharField()),
            direction_=Value("system", output_field=CharField()),
            author_first=blank,
            author_last=blank,
            author_username=blank,
            author_present=Value(0),
            unread=Value(None, output_field=DateTimeField()),
            attached=Value(False, output_field=BooleanField()),
        )
        .values_list(
            "kind",
            "pk",
            "created_at",
            "direction_",
            "channel",
            "body",
            "subject",
            "status",
            "author_first",
            "author_last",
            "author_username",
            "author_present",
            "unread",
            "attached",
        )
    )
    suppressions = (
        Suppression.objects.filter(_suppression_condition(customer))
        .annotate(
            kind=Value("suppression", output_field=CharField()),
            direction_=blank,
            subject_=blank,
            status_=blank,
            author_first=blank,
            author_last=blank,
            author_username=blank,
            author_present=Value(0),
            unread=Value(None, output_field=DateTimeField()),
            attached=Value(False, output_field=BooleanField()),
        )
        .values_list(
            "kind",
            "pk",
            "created_at",
            "direction_",
            "channel",
            "reason",
            "subject_",
            "status_",
            "author_first",
            "author_last",
            "author_username",
            "author_present",
            "unread",
            "attached",
        )
    )
    return messages.union(system, suppressions, all=True)


@dataclass
class Thread:
    entries: list[ThreadEntry]
    has_unread: bool
    suppressed: dict[str, str]  # {channel: Suppression.Reason} of the customer's addresses


def thread_for_customer(*, customer: Customer) -> Thread:
    """The customer's whole thread, oldest first: their conversation messages and the
    outbox's system messages to them, and (for the composer, in the same round trip) which of
    their addresses are suppressed. One query, whatever the length."""
    entries = []
    with_attachments = []
    has_unread = False
    suppressed = {}
    name = customer.full_name or str(customer)
    # Translated once per thread, not once per row.
    statuses = {value: str(label) for value, label in OutboxStatus.choices}
    channels = {value: str(label) for value, label in Message.Channel.choices}
    for row in _thread_rows(customer):
        (kind, pk, at, direction, channel, body, subject, status) = row[:8]
        first, last, username, has_author, read_at, attached = row[8:]
        if kind == "suppression":
            suppressed[channel] = body
            continue
        if kind == "system":
            sender = _("System")
        elif direction == Message.Direction.IN:
            sender = name
            has_unread = has_unread or read_at is None
        elif has_author:
            sender = f"{first} {last}".strip() or username
        else:
            sender = _("Staff")
        if attached:
            with_attachments.append(pk)
        state = DELIVERY_STATES.get(status, "queued") if status else ""
        entries.append(
            ThreadEntry(
                at=at,
                direction=direction,
                channel=channel,
                channel_label=channels.get(channel, channel),
                body=body,
                subject=subject,
                sender=sender,
                delivery=state,
                delivery_label=statuses.get(status, "") if status else "",
                sort_key=(at, 0 if kind == "message" else 1, pk),
            )
        )
    entries.sort(key=lambda e: e.sort_key)
    entries = _with_attachments(entries, with_attachments)
    return Thread(entries=entries, has_unread=has_unread, suppressed=suppressed)


def _with_attachments(entries: list[ThreadEntry], message_ids: list[int]) -> list[ThreadEntry]:
    """The attachments of the thread's messages that have any (the thread's query says which):
    one more query, only then."""
    if not message_ids:
        return entries
    by_message: dict[int, list] = {}
    for attachment in MessageAttachment.objects.filter(message_id__in=message_ids).order_by("pk"):
        by_message.setdefault(attachment.message_id, []).append(attachment)
    return [
        dataclasses.replace(e, attachments=tuple(by_message[e.sort_key[2]]))
        if e.sort_key[1] == 0 and e.sort_key[2] in by_message  # a message, not a system row
        else e
        for e in entries
    ]


# --- Composer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelOption:
    channel: str
    label: str
    address: str
    available: bool
    reason: str = ""  # why it is unavailable
    note: str = ""  # something to know although it is available (quiet hours)


SUPPRESSION_REASONS = {
    Suppression.Reason.SMS_STOP: lambda: _("This customer texted STOP."),
    Suppression.Reason.UNSUBSCRIBED: lambda: _("This customer unsubscribed from all emails."),
    Suppression.Reason.BOUNCED: lambda: _("Messages to this address could not be delivered."),
    Suppression.Reason.MANUAL: lambda: _("Staff suppressed this address."),
}


def _suppression_condition(customer: Customer) -> Q:
    """The customer's addresses' suppressions, matched as the outbox matches them (the
    address itself, or its salted hash after an erasure)."""
    condition = Q(pk__in=[])
    for channel, address in (
        (OutboxChannel.SMS, customer.mobile_phone),
        (OutboxChannel.EMAIL, (customer.email or "").lower()),
    ):
        if address:
            condition |= Q(channel=channel, address__in={address, address_hash(channel, address)})
    return condition


def _suppression_reasons(customer: Customer) -> dict[str, str]:
    """{channel: reason} for the customer's suppressed addresses (one query)."""
    rows = Suppression.objects.filter(_suppression_condition(customer))
    return dict(rows.values_list("channel", "reason"))


def _explain(reason: str) -> str:
    explain = SUPPRESSION_REASONS.get(reason)
    return explain() if explain else _("This address receives no messages (opted out).")


def composer_channels(
    *,
    customer: Customer,
    now: datetime.datetime | None = None,
    suppressed: dict[str, str] | None = None,
) -> list[ChannelOption]:
    """SMS and email, each available or not with the reason: an address on file and not
    suppressed (a reply is transactional: marketing consent is not needed, as the outbox's
    ConsentState.may_send_transactional says). An SMS in the location's quiet hours is held
    back by the outbox until they end: the composer says so in a note."""
    now = now or timezone.now()
    if suppressed is None:
        suppressed = _suppression_reasons(customer)
    options = []
    if not customer.mobile_phone:
        options.append(ChannelOption("sms", _("SMS"), "", False, _("No mobile number on file.")))
    elif "sms" in suppressed:
        options.append(
            ChannelOption(
                "sms", _("SMS"), customer.mobile_phone, False, _explain(suppressed["sms"])
            )
        )
    else:
        tz, start, end = quiet_hours_for(customer.location)
        note = ""
        if qh.is_quiet(now, tz=tz, start=start, end=end):
            at = qh.next_allowed(now, tz=tz, start=start, end=end).astimezone(tz)
            note = _("Quiet hours: the SMS goes out at %(time)s %(zone)s.") % {
                "time": at.strftime("%H:%M"),
                "zone": customer.location.time_zone,
            }
        options.append(ChannelOption("sms", _("SMS"), customer.mobile_phone, True, note=note))
    if not customer.email:
        options.append(
            ChannelOption("email", _("Email"), "", False, _("No email address on file."))
        )
    elif "email" in suppressed:
        options.append(
            ChannelOption("email", _("Email"), customer.email, False, _explain(suppressed["email"]))
        )
    else:
        options.append(ChannelOption("email", _("Email"), customer.email, True))
    return options


REPLY_TEMPLATES_CACHE_KEY = caching.REPLY_TEMPLATES.prefix


@dataclass(frozen=True)
class ReplyTemplateChoice:
    pk: int
    name: str
    channel: str
    channel_label: str
    body: str


def reply_templates() -> list[ReplyTemplateChoice]:
    """The active reply templates, cached (every thread shows them; the admin clears the
    cache when a manager saves or deletes one: conversations/admin.py)."""
    cached = cache.get(REPLY_TEMPLATES_CACHE_KEY)
    if cached is None:
        cached = [
            (t.pk, t.name, t.channel, t.body)
            for t in ReplyTemplate.objects.filter(is_active=True).order_by("channel", "name")
        ]
        cache.set(REPLY_TEMPLATES_CACHE_KEY, cached, caching.REPLY_TEMPLATES.seconds)
    labels = dict(ReplyTemplate.Channel.choices)
    return [
        ReplyTemplateChoice(pk, name, channel, str(labels.get(channel, channel)), body)
        for pk, name, channel, body in cached
    ]


def reply_templates_changed() -> None:
    cache.delete(REPLY_TEMPLATES_CACHE_KEY)


def latest_open_lead(*, customer: Customer) -> Lead | None:
    return (
        Lead.objects.filter(customer=customer, status__in=OPEN_STATUSES)
        .select_related("vehicle")
        .order_by("-created_at", "-id")
        .first()
    )


# --- The conversations list and the unread count -------------------------------------------

LIST_SCOPES = ("mine", "unassigned", "location")


def conversation_scopes_for(user: User) -> tuple[str, ...]:
    return LIST_SCOPES


def _scope_q(user: User, scope: str) -> Q:
    if scope == "mine":
        # Owned, or with a lead assigned to them: two indexed look-ups (customer.owner_id,
        # lead_assignee_created) in a UNION; an OR of the two made PostgreSQL scan every
        # customer of the location.
        owned = Customer.objects.filter(owner=user).values("pk").order_by()
        assigned = Lead.objects.filter(assigned_to=user).values("customer_id").order_by()
        return Q(pk__in=owned.union(assigned))
    if scope == "unassigned":
        return Q(owner__isnull=True) & ~Q(
            pk__in=Lead.objects.filter(assigned_to__isnull=False).values("customer_id")
        )
    return Q()


def _scoped_customers(user: User, scope: str) -> QuerySet[Customer]:
    return customer_list_for_user(user=user).filter(_scope_q(user, scope))


def conversation_list_for_user(
    *, user: User, scope: str = "mine", channel: str = ""
) -> QuerySet[Customer]:
    """Customers with a conversation, unread first, then the latest message first; each
    annotated with `last_message_at` and `unread`.

    Per customer, not one GROUP BY over every message of the scope: the latest message is one
    step down the (customer, created_at) index, the unread count a look at the partial
    conv_msg_unread index, and "has a conversation" an EXISTS on the same index."""
    qs = _scoped_customers(user, scope if scope in LIST_SCOPES else "mine")
    messages = Message.objects.filter(customer=OuterRef("pk"))
    if channel in Message.Channel.values:
        messages = messages.filter(channel=channel)
    last = messages.order_by("-created_at").values("created_at")[:1]
    unread = (
        messages.filter(direction=Message.Direction.IN, read_at__isnull=True)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return (
        qs.filter(Exists(messages))
        .annotate(
            last_message_at=Subquery(last, output_field=DateTimeField()),
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
        )
        .select_related("location", "owner")
        .order_by(
            ExpressionWrapper(Q(unread__gt=0), output_field=BooleanField()).desc(),
            "-last_message_at",
            "-pk",
        )
    )


def _unread_customers(user: User) -> QuerySet[Customer]:
    """Whose unread messages count for the user: a consultant's own customers and their
    location's unassigned ones; managers and administrators: every one they may see."""
    if user.has_role(*MANAGER_ROLES, Role.ADMINISTRATOR) or user.is_superuser:
        return customer_list_for_user(user=user)
    return customer_list_for_user(user=user).filter(
        _scope_q(user, "mine") | _scope_q(user, "unassigned")
    )


def unread_count_for_user(*, user: User) -> int:
    """Unread customer messages in the user's conversations (the navigation's badge)."""
    unread = Message.objects.filter(direction=Message.Direction.IN, read_at__isnull=True)
    return unread.filter(customer__in=_unread_customers(user).values("pk")).count()


def unread_customers_for_user(*, user: User, limit: int = 5) -> list[Customer]:
    """The customers behind the badge's count, newest unread message first, at most `limit`;
    each annotated with `unread` (how many) and `last_unread_at`. One query."""
    unread = Q(
        conversation_messages__direction=Message.Direction.IN,
        conversation_messages__read_at__isnull=True,
    )
    return list(
        _unread_customers(user)
        .filter(unread)
        .annotate(
            unread=Count("conversation_messages"),
            last_unread_at=Max("conversation_messages__created_at"),
        )
        .select_related("location")
        .order_by("-last_unread_at", "-pk")[:limit]
    )
