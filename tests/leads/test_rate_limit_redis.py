"""The enquiry form's limit holds across processes when the cache is Redis."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from leads.models import Lead

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

OTHER_PROCESS = """
import django
django.setup()
from django.test import RequestFactory
from dealership.accounts.ratelimit import rate_limited
request = RequestFactory().post("/enquiries/new/", REMOTE_ADDR="203.0.113.7")
print([rate_limited(request, scope="leads-enquiry", limit=3, period=600) for _ in range(3)])
"""


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    cache.clear()
    yield
    cache.clear()


def test_hits_from_another_process_count_against_the_same_ip(
    client, location, redis_cache, settings
):
    settings.LEADS_FORM_RATE_LIMIT = 3
    settings.LEADS_FORM_RATE_PERIOD = 600
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dealership.settings",
        "CACHE_URL": os.environ["REDIS_URL"],
        "DEBUG": "true",
    }
    other = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert other.stdout.strip() == "[False, False, False]"

    response = client.post(
        "/enquiries/new/",
        {
            "type": "general",
            "location": location.pk,
            "first_name": "Lena",
            "last_name": "H",
            "email": "l@example.de",
        },
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 429
    assert Lead.objects.count() == 0
