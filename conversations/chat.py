"""Live chat: the visitor's and the consultants' writes and reads.

A chat (ChatSession) starts with the visitor's first message. It waits for a consultant of
its location, unless the location is closed or nobody is on duty: then it is offline at once.
The first consultant to accept owns it (one conditional UPDATE: two clicks, one winner).
Nobody accepted within CHAT_ACCEPT_TIMEOUT seconds: offline (chat_timeouts_run, every 30 s).
Offline, the visitor is asked for a name and a phone or email; given, the chat becomes a lead
with the transcript (leads' lead_create: the usual assignment rules).

Every event is published after commit (conversations/events.py); bodies travel as plain text
and every page and script inserts them as text, never as HTML.
"""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from dealership.accounts.selectors import location_list_for_user
from dealership.messaging.models import Channel as OutboxChannel
from dealership.messaging.models import OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue
from leads.models import Customer, Lead
from leads.services import customer_get_or_create_from_contact, lead_create
from leads.services.assignment import consultants_on_duty

from .events import location_group, publish, session_group
from .models import ChatSession, Message

MAX_CHAT_BODY = 2000
Status = ChatSession.Status


def staff_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.first_name or user.get_full_name() or user.get_username()


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > MAX_CHAT_BODY:
        raise ValidationError(
            {"body": _("A message has at most %(max)d characters.") % {"max": MAX_CHAT_BODY}}
        )
    return body


def line_event(message: Message) -> dict:
    return {
        "kind": "line",
        "chat": message.chat_session_id,
        "id": message.pk,
        "direction": message.direction,
        "body": message.body,
        "author": staff_name(message.author) if message.author_id else "",
        "at": message.created_at.isoformat(),
    }


def status_event(session: ChatSession) -> dict:
    return {
        "kind": "status",
        "chat": session.pk,
        "status": session.status,
        "consultant": staff_name(session.accepted_by) if session.accepted_by_id else "",
        "has_details": session.customer_id is not None,
    }


# --- Reads ----------------------------------------------------------------------------------


def chat_for_visitor(*, token: str) -> ChatSession | None:
    if not token:
        return None
    return (
        ChatSession.objects.select_related("location", "vehicle", "accepted_by")
        .filter(visitor_token=token)
        .first()
    )


def chat_list_for_user(*, user: User) -> QuerySet[ChatSession]:
    """The chats of the locations the user may see (conversations' access rule)."""
    return ChatSession.objects.filter(location__in=location_list_for_user(user=user).values("pk"))


def chat_for_user(*, user: User, pk: int) -> ChatSession:
    """A chat of a location the user may see, or 404."""
    return get_object_or_404(
        chat_list_for_user(user=user).select_related(
            "location", "vehicle", "accepted_by", "customer", "lead"
        ),
        pk=pk,
    )


def chat_visible_to(*, user: User, pk: int) -> bool:
    return chat_list_for_user(user=user).filter(pk=pk).exists()


def chat_board_for_user(*, user: User, limit: int = 50) -> dict[str, list[ChatSession]]:
    """The staff chat page: waiting chats (oldest first), the user's own open chats, and the
    location's other recent chats (taken by a colleague, offline)."""
    first_body = (
        Message.objects.filter(chat_session=OuterRef("pk"))
        .order_by("created_at", "pk")
        .values("body")
    )
    qs = (
        chat_list_for_user(user=user)
        .select_related("location", "vehicle", "accepted_by")
        .annotate(first_body=Subquery(first_body[:1]))
    )
    waiting = list(qs.filter(status=Status.WAITING).order_by("created_at", "pk")[:limit])
    mine = list(qs.filter(status=Status.ACTIVE, accepted_by=user).order_by("-accepted_at")[:limit])
    since = timezone.now() - datetime.timedelta(hours=24)
    others = list(
        qs.filter(created_at__gte=since)
        .exclude(status=Status.WAITING)
        .exclude(status=Status.ACTIVE, accepted_by=user)
        .order_by("-created_at", "-pk")[:limit]
    )
    return {"waiting": waiting, "mine": mine, "others": others}


def chat_lines(*, session: ChatSession) -> list[Message]:
    return list(
        Message.objects.filter(chat_session=session)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def chat_state(*, session: ChatSession | None) -> dict:
    """What the visitor's widget shows (JSON): status, consultant, lines as plain text."""
    if session is None:
        return {"status": "none", "lines": []}
    state = status_event(session)
    state["lines"] = [line_event(m) for m in chat_lines(session=session)]
    state["vehicle"] = session.vehicle.title if session.vehicle_id else ""
    return state


# --- The visitor's writes -------------------------------------------------------------------


def _nobody_can_answer(location: Location, now: datetime.datetime) -> bool:
    location = Location.objects.prefetch_related("opening_hours").get(pk=location.pk)
    return not location.is_open_at(now) or not consultants_on_duty(location=location).exists()


@transaction.atomic
def chat_start(*, location: Location, body: str, vehicle=None, language: str = "") -> ChatSession:
    """The visitor's first message opens a chat: waiting for the location's consultants, or
    offline at once when the location is closed or nobody is on duty."""
    body = _clean_body(body)
    now = timezone.now()
    offline = _nobody_can_answer(location, now)
    session = ChatSession.objects.create(
        location=location,
        vehicle=vehicle,
        visitor_token=secrets.token_urlsafe(32),
        status=Status.OFFLINE if offline else Status.WAITING,
        language=language[:10],
        created_at=now,
    )
    Message.objects.create(
        chat_session=session,
        location=location,
        direction=Message.Direction.IN,
        channel=Message.Channel.CHAT,
        body=body,
        created_at=now,
    )
    if not offline:
        publish(
            location_group(location.pk),
            {
                "kind": "chat.new",
                "chat": session.pk,
                "preview": body[:120],
                "vehicle": vehicle.title if vehicle is not None else "",
            },
        )
    return session


@transaction.atomic
def chat_visitor_say(*, session: ChatSession, body: str) -> Message:
    body = _clean_body(body)
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status == Status.CLOSED:
        raise ValidationError({"body": _("This chat has ended. Start a new one.")})
    message = Message.objects.create(
        chat_session=session,
        customer_id=session.customer_id,
        location_id=session.location_id,
        direction=Message.Direction.IN,
        channel=Message.Channel.CHAT,
        body=body,
    )
    publish(session_group(session.pk), line_event(message))
    if session.status == Status.WAITING:
        publish(location_group(session.location_id), {"kind": "chat.line", "chat": session.pk})
    return message


def _transcript(session: ChatSession) -> str:
    tz = session.location.tzinfo
    rows = []
    for line in chat_lines(session=session):
        who = staff_name(line.author) if line.direction == Message.Direction.OUT else _("Visitor")
        at = timezone.localtime(line.created_at, tz).strftime("%d.%m.%Y %H:%M")
        rows.append(f"[{at}] {who}: {line.body}")
    return "\n".join(rows)


@transaction.atomic
def chat_leave_details(
    *, session: ChatSession, first_name: str, last_name: str = "", email: str = "", phone: str = ""
) -> Lead:
    """The visitor says who they are: the customer (found or created), every line of the chat
    in their thread, and a lead with the transcript (once; a second call returns it)."""
    session = (
        ChatSession.objects.select_for_update(of=("self",))
        .select_related("location", "vehicle")
        .get(pk=session.pk)
    )
    if session.lead_id is not None:
        return Lead.objects.get(pk=session.lead_id)
    customer, _created = customer_get_or_create_from_contact(
        location=session.location,
        source=Customer.Source.WEBSITE,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        language=session.language,
    )
    lead = lead_create(
        customer=customer,
        source=Lead.Source.CHAT,
        type=Lead.Type.VEHICLE_ENQUIRY if session.vehicle_id else Lead.Type.GENERAL,
        location=session.location,
        vehicle=session.vehicle,
        message=_transcript(session)[:10000],
    )
    session.customer = customer
    session.lead = lead
    session.save(update_fields=["customer", "lead"])
    Message.objects.filter(chat_session=session, customer__isnull=True).update(customer=customer)
    publish(session_group(session.pk), status_event(session))
    return lead


def chat_transcript_send(*, session: ChatSession, email: str) -> OutboxMessage:
    """The transcript by email through the outbox; one per chat and address and length of
    the chat (asking twice sends once)."""
    lines = chat_lines(session=session)
    if not lines:
        raise ValidationError({"email": _("There is nothing to send yet.")})
    tz = session.location.tzinfo
    email = (email or "").strip().lower()
    rows = [
        {
            "at": timezone.localtime(line.created_at, tz).strftime("%d.%m.%Y %H:%M"),
            "who": staff_name(line.author) if line.direction == Message.Direction.OUT else _("You"),
            "body": line.body,
        }
        for line in lines
    ]
    return message_enqueue(
        channel=OutboxChannel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=email,
        template_key="conversations.chat_transcript",
        context={"location": session.location.name, "lines": rows},
        dedupe_key=f"chat-transcript:{session.pk}:{lines[-1].pk}:{email}"[:200],
        location=session.location,
        customer_id=session.customer_id,
        language=session.language,
    )


# --- The consultants' writes ----------------------------------------------------------------


class ChatTaken(Exception):
    """Someone else accepted the chat first (or it is no longer waiting)."""

    def __init__(self, session: ChatSession):
        super().__init__(session.pk)
        self.session = session


def chat_accept(*, session: ChatSession, by: User) -> ChatSession:
    """The first consultant to accept owns the chat: one conditional UPDATE, so of two
    simultaneous accepts exactly one changes the row. The loser gets ChatTaken."""
    now = timezone.now()
    with transaction.atomic():
        won = ChatSession.objects.filter(pk=session.pk, status=Status.WAITING).update(
            status=Status.ACTIVE, accepted_by=by, accepted_at=now
        )
        session = ChatSession.objects.select_related("accepted_by", "location").get(pk=session.pk)
        if not won:
            raise ChatTaken(session)
        publish(
            location_group(session.location_id),
            {"kind": "chat.taken", "chat": session.pk, "by": staff_name(by), "by_id": by.pk},
        )
        publish(session_group(session.pk), status_event(session))
    return session


@transaction.atomic
def chat_staff_say(*, session: ChatSession, by: User, body: str) -> Message:
    """A reply from the consultant who owns the chat (nobody else writes in it)."""
    body = _clean_body(body)
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.accepted_by_id != by.pk or session.status != Status.ACTIVE:
        raise PermissionDenied(_("Only the consultant who accepted this chat can answer it."))
    message = Message.objects.create(
        chat_session=session,
        customer_id=session.customer_id,
        location_id=session.location_id,
        direction=Message.Direction.OUT,
        channel=Message.Channel.CHAT,
        body=body,
        author=by,
    )
    message.author = by
    publish(session_group(session.pk), line_event(message))
    return message


@transaction.atomic
def chat_close(*, session: ChatSession, by: User) -> ChatSession:
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.accepted_by_id != by.pk:
        raise PermissionDenied(_("Only the consultant who accepted this chat can end it."))
    if session.status != Status.CLOSED:
        session.status = Status.CLOSED
        session.closed_at = timezone.now()
        session.save(update_fields=["status", "closed_at"])
        publish(session_group(session.pk), status_event(session))
    return session


# --- Nobody answered ------------------------------------------------------------------------


def chat_timeouts_run(*, now: datetime.datetime | None = None) -> int:
    """Waiting chats older than CHAT_ACCEPT_TIMEOUT go offline; each by a conditional UPDATE,
    so a run twice, or racing a consultant's accept, changes each chat once."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.CHAT_ACCEPT_TIMEOUT)
    due = list(
        ChatSession.objects.filter(status=Status.WAITING, created_at__lte=cutoff).values_list(
            "pk", "location_id"
        )
    )
    changed = 0
    for pk, location_id in due:
        with transaction.atomic():
            if not ChatSession.objects.filter(pk=pk, status=Status.WAITING).update(
                status=Status.OFFLINE
            ):
                continue
            changed += 1
            event = {
                "kind": "status",
                "chat": pk,
                "status": Status.OFFLINE,
                "consultant": "",
                "has_details": False,
            }
            publish(session_group(pk), event)
            publish(location_group(location_id), {"kind": "chat.offline", "chat": pk})
    return changed


def chat_anonymous_purge(*, older_than_days: int = 30) -> int:
    """Chats whose visitor never said who they are are deleted after a month (no customer to
    erase them with)."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    qs = ChatSession.objects.filter(Q(customer__isnull=True), created_at__lt=cutoff)
    deleted, _rows = qs.delete()
    return deleted
