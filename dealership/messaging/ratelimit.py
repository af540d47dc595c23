"""A fixed-window request limit per client address, kept in the shared cache."""

import time

from django.core.cache import cache

from dealership.accounts.client_ip import client_ip as _client_ip


def client_ip(request) -> str:
    """The client's address behind TRUSTED_PROXY_COUNT reverse proxies (the login lockout's
    rule): behind a proxy, REMOTE_ADDR is the proxy and would put every visitor in one bucket."""
    return _client_ip(request) or "unknown"


def rate_limited(request, *, scope: str, limit: int, period: int = 60) -> bool:
    """True once this client made more than `limit` requests to `scope` in the window."""
    key = f"ratelimit:{scope}:{client_ip(request)}:{int(time.time() // period)}"
    cache.add(key, 0, timeout=period * 2)
    try:
        return cache.incr(key) > limit
    except ValueError:
        cache.add(key, 1, timeout=period * 2)
        return False
