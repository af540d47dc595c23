"""A live daphne server (ASGI: HTTP and WebSockets) on the test database, for the browser
tests and the benchmark of the live chat. pytest-django's live_server speaks WSGI only.

The server runs in a forked child process (daphne's own testing helper), which inherits the
settings, the test database's name included; the parent closes its database connections
before the fork so the child never shares a socket with it."""

import contextlib
from functools import partial

from django.db import connections


def _application():
    from channels.routing import get_default_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    return ASGIStaticFilesHandler(get_default_application())


@contextlib.contextmanager
def asgi_live_server(host: str = "127.0.0.1"):
    """Yield the server's base URL ("http://127.0.0.1:PORT") while it runs."""
    from daphne.testing import DaphneProcess

    connections.close_all()
    process = DaphneProcess(host, partial(_application))
    process.start()
    try:
        if not process.ready.wait(30):
            error = "" if process.errors.empty() else process.errors.get(False)[1]
            raise RuntimeError(f"daphne did not start: {error}")
        yield f"http://{host}:{process.port.value}"
    finally:
        process.terminate()
        process.join(10)
