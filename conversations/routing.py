"""The live chat's WebSocket paths (dealership/asgi.py; classified in dealership/route_access.py
WEBSOCKET_ROUTES like every HTTP route)."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/chat/", consumers.VisitorChatConsumer.as_asgi(), name="chat-visitor-socket"),
    path("ws/staff/chats/", consumers.StaffChatConsumer.as_asgi(), name="chat-staff-socket"),
]
