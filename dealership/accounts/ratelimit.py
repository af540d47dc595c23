"""A fixed-window rate limit in the shared cache, for public forms.

With the cache down (Redis unreachable) it lets requests through: a form that still works
beats a form that is safe from spam but broken for everyone.
"""

import hashlib
import time

from django.core.cache import cache


def rate_limit_hit(*, scope: str, key: str, limit: int, period: int) -> bool:
    """Count one request by `key` (an IP address, an email…) in `scope`; True if over `limit`
    within the current `period` seconds."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    window = int(time.time() // period)
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    if cache.add(cache_key, 1, period):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is unreachable
        return False
    return count > limit
