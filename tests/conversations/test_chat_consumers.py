"""The live chat's WebSockets through channels' WebsocketCommunicator: the visitor and the
consultants get each other's lines in real time, and a socket without a valid staff session
or signed visitor cookie, or asking for another location's chat, is closed.

Real transactions (transactional_db): the consumers read the database from their own
threads, and events go out when the writes commit."""

import os

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from conversations.chat import chat_accept, chat_staff_say, chat_start, chat_visitor_say
from conversations.models import ChatSession
from conversations.visitor import COOKIE
from dealership.asgi import application
from tests.conversations.chat_helpers import consultant_at, open_location
from tests.conversations.factories import ChatSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The validator reads ALLOWED_HOSTS once, when dealership.asgi is imported (before the test
# environment adds "testserver"): an origin of the development defaults.
ORIGIN = (b"origin", b"http://localhost")


def staff_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def visitor_cookie(location, body="Hello") -> tuple[bytes, ChatSession]:
    client = Client()
    response = client.post("/chat/start/", {"body": body, "location": location.pk})
    assert response.status_code == 201
    cookie = client.cookies[COOKIE].value
    return f"{COOKIE}={cookie}".encode(), ChatSession.objects.get(pk=response.json()["chat"])


def communicator(path, cookie: bytes = b"", origin=ORIGIN):
    headers = [origin]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.fixture(autouse=True)
def _in_memory_layer():
    from channels.layers import channel_layers

    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        channel_layers.backends.clear()
        yield
        channel_layers.backends.clear()


def test_a_new_chat_reaches_the_consultants_of_its_location_only():
    location, elsewhere = open_location(), open_location()
    mine, other = staff_cookie(consultant_at(location)), staff_cookie(consultant_at(elsewhere))

    async def scenario():
        ours = communicator("/ws/staff/chats/", mine)
        theirs = communicator("/ws/staff/chats/", other)
        assert (await ours.connect())[0]
        assert (await theirs.connect())[0]
        session = await sync_to_async(chat_start)(location=location, body="<b>Golf?</b>")
        event = await ours.receive_json_from(timeout=3)
        assert event == {
            "kind": "chat.new",
            "chat": session.pk,
            "preview": "<b>Golf?</b>",
            "vehicle": "",
        }
        assert await theirs.receive_nothing(timeout=0.3)
        await ours.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


def test_visitor_and_consultant_hear_each_other():
    location = open_location()
    consultant = consultant_at(location, first_name="Anna")
    cookie, session = visitor_cookie(location)
    consultant_cookie = staff_cookie(consultant)

    async def scenario():
        visitor = communicator("/ws/chat/", cookie)
        staff = communicator("/ws/staff/chats/", consultant_cookie)
        assert (await visitor.connect())[0]
        assert (await staff.connect())[0]
        await staff.send_json_to({"type": "watch", "chat": session.pk})
        assert await staff.receive_json_from(timeout=3) == {"kind": "watching", "chat": session.pk}

        await sync_to_async(chat_accept)(session=session, by=consultant)
        taken = await staff.receive_json_from(timeout=3)
        assert (taken["kind"], taken["by"]) == ("chat.taken", "Anna")
        status = await visitor.receive_json_from(timeout=3)
        assert (status["kind"], status["status"], status["consultant"]) == (
            "status",
            "active",
            "Anna",
        )
        await staff.receive_json_from(timeout=3)  # the same status, for the watcher

        await sync_to_async(chat_staff_say)(
            session=session, by=consultant, body="Yes, it is <here>"
        )
        line = await visitor.receive_json_from(timeout=3)
        assert (line["kind"], line["direction"], line["body"], line["author"]) == (
            "line",
            "out",
            "Yes, it is <here>",
            "Anna",
        )
        await staff.receive_json_from(timeout=3)

        await sync_to_async(chat_visitor_say)(session=session, body="Great, thanks")
        line = await staff.receive_json_from(timeout=3)
        assert (line["direction"], line["body"]) == ("in", "Great, thanks")
        await visitor.disconnect()
        await staff.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "cookie",
    [b"", f"{COOKIE}=forged:value:sig".encode(), b"sessionid=not-a-session"],
    ids=["none", "forged", "foreign"],
)
def test_the_visitor_socket_without_a_valid_signed_cookie_is_closed(cookie):
    async def scenario():
        socket = communicator("/ws/chat/", cookie)
        connected, code = await socket.connect()
        assert not connected
        assert code == 4401

    async_to_sync(scenario)()


def test_the_staff_socket_without_a_staff_session_is_closed():
    location = open_location()
    customer_cookie, _session = visitor_cookie(location)
    from tests.accounts.factories import UserFactory

    non_staff = staff_cookie(UserFactory(is_staff=False))

    async def scenario():
        for cookie in (b"", customer_cookie, non_staff):
            socket = communicator("/ws/staff/chats/", cookie)
            connected, code = await socket.connect()
            assert (connected, code) == (False, 4401)

    async_to_sync(scenario)()


def test_a_manager_without_the_second_factor_is_closed():
    from dealership.accounts.roles import Role
    from tests.accounts.factories import UserFactory

    location = open_location()
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[location], username="mgr")
    password_only = Client()
    password_only.post(
        "/staff/accounts/login/", {"username": "mgr", "password": "correct horse battery"}
    )
    cookie = f"sessionid={password_only.cookies['sessionid'].value}".encode()
    assert manager.pk

    async def scenario():
        socket = communicator("/ws/staff/chats/", cookie)
        assert await socket.connect() == (False, 4401)

    async_to_sync(scenario)()


def test_a_socket_from_a_foreign_origin_is_refused():
    cookie = staff_cookie(consultant_at(open_location()))

    async def scenario():
        socket = communicator(
            "/ws/staff/chats/", cookie, origin=(b"origin", b"http://evil.example")
        )
        connected, _code = await socket.connect()
        assert not connected

    async_to_sync(scenario)()


def test_a_consultant_cannot_watch_another_locations_chat():
    cookie = staff_cookie(consultant_at(open_location()))
    theirs = ChatSessionFactory(location=open_location())

    async def scenario():
        socket = communicator("/ws/staff/chats/", cookie)
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "watch", "chat": theirs.pk})
        output = await socket.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": 4403}

    async_to_sync(scenario)()


def test_garbage_on_the_socket_is_ignored():
    location = open_location()
    cookie, _session = visitor_cookie(location)

    async def scenario():
        socket = communicator("/ws/chat/", cookie)
        assert (await socket.connect())[0]
        await socket.send_to(text_data="not json {")
        await socket.send_json_to({"type": "watch", "chat": "1; DROP TABLE"})
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=3) == {"kind": "pong"}
        await socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.redis
def test_events_cross_processes_through_redis():
    """The channel layer docker-compose runs: channels_redis on the harness's Redis."""
    from channels.layers import channel_layers

    location = open_location()
    cookie = staff_cookie(consultant_at(location))
    redis_layer = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": "showroom:chat:test"},
        }
    }
    with override_settings(CHANNEL_LAYERS=redis_layer):
        channel_layers.backends.clear()

        async def scenario():
            staff = communicator("/ws/staff/chats/", cookie)
            assert (await staff.connect())[0]
            session = await sync_to_async(chat_start)(location=location, body="Over Redis")
            event = await staff.receive_json_from(timeout=5)
            assert (event["kind"], event["chat"], event["preview"]) == (
                "chat.new",
                session.pk,
                "Over Redis",
            )
            await staff.disconnect()

        async_to_sync(scenario)()
        assert type(channel_layers["default"]).__name__ == "RedisChannelLayer"
        channel_layers.backends.clear()
