"""A Redis cache that degrades instead of failing: with Redis down, reads miss and writes drop.

The cache only ever holds what can be recomputed (rate-limit counters, rendered fragments),
so an unreachable Redis must cost speed, never a page. Errors are logged, once a minute at
most per process so a long outage does not flood the log.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_LOG_INTERVAL = 60.0


class ResilientRedisCache(RedisCache):
    _last_logged = 0.0

    def _failed(self, operation: str, error: Exception, default=None):
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged > _LOG_INTERVAL:
            ResilientRedisCache._last_logged = now
            logger.warning("Cache %s failed, carrying on without the cache: %r", operation, error)
        return default

    def ping(self) -> None:
        """Raise if Redis cannot be reached (for /healthz: the other methods never raise)."""
        self._cache.get_client(write=True).ping()

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            return self._failed("add", error, False)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            return self._failed("get", error, default)

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            self._failed("set", error)

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            return self._failed("touch", error, False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            return self._failed("delete", error, False)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            return self._failed("get_many", error, {})

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            return self._failed("has_key", error, False)

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError as usual; an unreachable Redis counts as missing
        # too, so rate limiters built on add()+incr() simply stop limiting during an outage.
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self._failed("incr", error)
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from error

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            return self._failed("set_many", error, list(data))

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError as error:
            return self._failed("delete_many", error, False)

    def clear(self):
        try:
            return super().clear()
        except RedisError as error:
            return self._failed("clear", error, False)
