"""The live chat's WebSockets. They carry events from the server to the browser (new chat,
a line, taken, offline); every write goes through the HTTP views (CSRF, rate limits, forms),
so a socket can only listen, and only to what its owner may see.

- /ws/chat/: the visitor; needs the signed chat cookie (conversations/visitor.py), joins
  that one chat's group.
- /ws/staff/chats/: staff with a session (second factor passed where required); joins the
  groups of the locations they may see, and on {"type": "watch", "chat": id} that chat's
  group, only for a chat of those locations (else the socket is closed, code 4403).
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import location_group, session_group

UNAUTHORISED = 4401
FORBIDDEN = 4403


class _EventConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except (TypeError, ValueError):
            return None  # not JSON: ignored, the socket stays open

    async def chat_event(self, message):
        await self.send_json(message["event"])

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "pong"})


@database_sync_to_async
def _visitor_session_id(cookies: dict) -> int | None:
    from .chat import chat_for_visitor
    from .visitor import token_from_cookies

    session = chat_for_visitor(token=token_from_cookies(cookies))
    return session.pk if session is not None else None


class VisitorChatConsumer(_EventConsumer):
    async def connect(self):
        self.groups_joined = []
        session_id = await _visitor_session_id(self.scope.get("cookies", {}))
        if session_id is None:
            await self.close(code=UNAUTHORISED)
            return
        await self._join(session_group(session_id))
        await self.accept()


@database_sync_to_async
def _staff_location_ids(user, session) -> list[int] | None:
    """The ids of the locations a logged-in staff member may see, or None when the socket's
    session is not a staff session that passed its second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    from dealership.accounts.middleware import two_factor_needed
    from dealership.accounts.selectors import location_list_for_user

    if not (user.is_authenticated and user.is_active and user.is_staff):
        return None
    if two_factor_needed(user):
        persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
        device = Device.from_persistent_id(persistent_id) if persistent_id else None
        if device is None or device.user_id != user.pk or not device.confirmed:
            return None
    return list(location_list_for_user(user=user).values_list("pk", flat=True))


@database_sync_to_async
def _may_watch(user, pk) -> bool:
    from .chat import chat_visible_to

    return chat_visible_to(user=user, pk=pk)


class StaffChatConsumer(_EventConsumer):
    async def connect(self):
        self.groups_joined = []
        self.user = self.scope.get("user")
        locations = None
        if self.user is not None:
            locations = await _staff_location_ids(self.user, self.scope.get("session"))
        if locations is None:
            await self.close(code=UNAUTHORISED)
            return
        for location_id in locations:
            await self._join(location_group(location_id))
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "watch":
            chat = content.get("chat")
            if not isinstance(chat, int) or isinstance(chat, bool):
                await self.send_json({"kind": "error", "error": "bad chat id"})
                return
            if not await _may_watch(self.user, chat):
                await self.close(code=FORBIDDEN)
                return
            group = session_group(chat)
            if group not in self.groups_joined:
                await self._join(group)
            await self.send_json({"kind": "watching", "chat": chat})
            return
        await super().receive_json(content, **kwargs)
