"""The one rate limit of the project: a fixed window counted in the shared cache, the same on
every web process (Redis in production).

`rate_limited(request, …)` counts per client address (behind TRUSTED_PROXY_COUNT proxies, the
login lockout's rule: behind a proxy REMOTE_ADDR is the proxy and would put every visitor in
one bucket); `rate_limit_hit(…)` counts per any key (an email, an address). Keys are hashed,
so what a client sends never becomes part of a cache key as typed.

With the cache down (Redis unreachable) it lets requests through: a form that still works
beats a form that is safe from spam but broken for everyone.
"""

import hashlib
import time

from django.core.cache import cache

from .client_ip import client_ip


def rate_limit_hit(*, scope: str, key: str, limit: int, period: int) -> bool:
    """Count one request by `key` (an IP address, an email…) in `scope`; True if over `limit`
    within the current `period` seconds."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    window = int(time.time() // period)
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    if cache.add(cache_key, 1, period * 2):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is unreachable
        return False
    return count > limit


def rate_limited(request, *, scope: str, limit: int, period: int = 60) -> bool:
    """True once this client made more than `limit` requests to `scope` in the window."""
    return rate_limit_hit(
        scope=scope, key=client_ip(request) or "unknown", limit=limit, period=period
    )
