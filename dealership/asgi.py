"""The ASGI entry point (daphne): Django for HTTP, Channels for the live chat's WebSockets.

A WebSocket must come from one of ALLOWED_HOSTS (Origin header) and carries the session
cookie (staff) or the visitor's signed chat cookie; the consumers close it otherwise.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")

# Django first: the apps must be loaded before the consumers' models are imported.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from conversations.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
