import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded and generated photos go to a temporary directory, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    # Facets and rate limits live in the cache: every test starts without them.
    cache.clear()
    yield
    cache.clear()
