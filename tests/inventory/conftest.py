import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    # Facets and rate limits live in the cache: every test starts without them.
    cache.clear()
    yield
    cache.clear()
