"""Reachability checks for /healthz: each answers "ok", "not configured" or the error."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return "not configured"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    finally:
        client.close()
    return "ok"


def cache_status() -> str:
    """The shared cache (Redis); a per-process cache is "not configured" (nothing to reach)."""
    ping = getattr(cache, "ping", None)
    if ping is None:
        return "not configured"
    import redis

    try:
        ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"
