"""The WebSocket paths' part of the route matrix: every path in conversations/routing.py is
classified in dealership/route_access.py WEBSOCKET_ROUTES, refuses a connection without its
credentials and accepts one with them."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from conversations.routing import websocket_urlpatterns
from dealership.asgi import application
from dealership.route_access import WEBSOCKET_ROUTES, SocketAccess
from tests.conversations.chat_helpers import consultant_at, open_location

ORIGIN = (b"origin", b"http://localhost")  # ALLOWED_HOSTS as dealership.asgi read it
IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
PATHS = {pattern.name: "/" + str(pattern.pattern) for pattern in websocket_urlpatterns}


def test_every_websocket_path_is_classified_and_none_is_stale():
    assert set(PATHS) == set(WEBSOCKET_ROUTES)


def _connect(path, cookie=b""):
    async def attempt():
        headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected, code

    # In a thread of its own: Playwright's sync API (the browser tests, earlier in a full run)
    # keeps an event loop in the main thread, where async_to_sync refuses to run.
    with override_settings(CHANNEL_LAYERS=IN_MEMORY), ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, attempt()).result()


def _credentials(access: SocketAccess) -> bytes:
    location = open_location()
    client = Client()
    if access == SocketAccess.STAFF:
        client.force_login(consultant_at(location))
        return f"sessionid={client.cookies['sessionid'].value}".encode()
    response = client.post("/chat/start/", {"body": "Hello", "location": location.pk})
    assert response.status_code == 201
    return f"showroom_chat={client.cookies['showroom_chat'].value}".encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(WEBSOCKET_ROUTES))
def test_each_socket_refuses_strangers_and_accepts_its_visitors(name):
    access = WEBSOCKET_ROUTES[name]
    path = PATHS[name]
    other = SocketAccess.VISITOR if access == SocketAccess.STAFF else SocketAccess.STAFF

    assert _connect(path) == (False, 4401)
    assert _connect(path, _credentials(other)) == (False, 4401)
    connected, _code = _connect(path, _credentials(access))
    assert connected
