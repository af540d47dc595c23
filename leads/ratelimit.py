"""A fixed-window rate limit in the shared cache.

With CACHE_URL pointing at Redis, `add` and `incr` are atomic on the server, so the limit
holds across web processes; with the local-memory cache it holds per process only.
"""

import time

from django.core.cache import caches


def rate_limit_hit(*, scope: str, ident: str, limit: int, period: int, cache_alias="default"):
    """Count one hit; True when this hit goes over `limit` within the `period` (seconds)."""
    cache = caches[cache_alias]
    window = int(time.time() // period)
    key = f"ratelimit:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period + 1)
        count = 1
    return count > limit


def client_ip(request) -> str:
    # REMOTE_ADDR is the address the proxy (if any) connected from; a trusted proxy setup
    # would set it from X-Forwarded-For before Django sees it.
    return request.META.get("REMOTE_ADDR", "unknown")
