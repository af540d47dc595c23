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

    before = _backend_pids()
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
        _end_server_connections(keep=before)


_PIDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid()"
)


def _backend_pids() -> set[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_PIDS)
        return {row[0] for row in cursor.fetchall()}


def _end_server_connections(*, keep: set[int]) -> None:
    """The child's database sessions end with it, but PostgreSQL may still be finishing a
    query of theirs; ended here (only those: sessions older than the server are left alone),
    they cannot deadlock the flush that follows the test."""
    from django.db import connection

    with connection.cursor() as cursor:
        for pid in _backend_pids() - keep:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
