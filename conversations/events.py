"""Live-chat events on the channel layer: what the WebSockets (conversations/consumers.py)
pass on to the browsers. Published after the transaction commits, so a rolled-back write
announces nothing; a channel layer that is down (Redis unreachable) loses the live push, not
the message (the pages read the database)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

EVENT_TYPE = "chat.event"  # the consumers' handler: chat_event


def location_group(location_id: int) -> str:
    """The staff of a location: new chats, chats taken, chats gone offline."""
    return f"chat.location.{location_id}"


def session_group(session_id: int) -> str:
    """One chat: its visitor and the staff watching it (lines, status)."""
    return f"chat.session.{session_id}"


def send_now(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": EVENT_TYPE, "event": event})
    except Exception:  # the push is best effort; the database has the truth
        logger.exception("chat: could not publish %s to %s", event.get("kind"), group)


def publish(group: str, event: dict) -> None:
    transaction.on_commit(lambda: send_now(group, event))
