import datetime

import pytest
import time_machine

from dealership.accounts.ratelimit import rate_limit_hit

START = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)


def test_the_limit_counts_per_key_and_resets_with_the_window():
    with time_machine.travel(START, tick=False):
        first = [rate_limit_hit(scope="s", key="a", limit=2, period=60) for _ in range(3)]
        other_key = rate_limit_hit(scope="s", key="b", limit=2, period=60)
        other_scope = rate_limit_hit(scope="t", key="a", limit=2, period=60)
    with time_machine.travel(START + datetime.timedelta(seconds=61), tick=False):
        next_window = rate_limit_hit(scope="s", key="a", limit=2, period=60)

    assert first == [False, False, True]
    assert (other_key, other_scope, next_window) == (False, False, False)


@pytest.mark.redis
def test_the_limit_is_shared_through_redis(settings):
    import os

    from django.core.cache import cache
    from django.test import override_settings

    url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/4"
    caches = {"default": {"BACKEND": "dealership.ops.cache.ResilientRedisCache", "LOCATION": url}}
    with override_settings(CACHES=caches):
        cache.clear()
        hits = [rate_limit_hit(scope="s", key="a", limit=2, period=60) for _ in range(3)]
        cache.clear()

    assert hits == [False, False, True]
