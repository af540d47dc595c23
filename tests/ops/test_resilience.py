"""The site degrades, not dies: a dead Redis (cache or broker) costs speed, never a page."""

import logging
import os
import time

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from dealership.accounts.ratelimit import rate_limit_hit
from dealership.celery import app as celery_app
from dealership.ops.models import JobHeartbeat
from dealership.ops.tasks import heartbeat

# Port 9 on loopback: nothing listens, so connections are refused at once.
DEAD_REDIS = "redis://127.0.0.1:9/1"


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "dealership.ops.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_every_task_has_a_time_limit():
    from django.conf import settings

    ours = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}

    assert ours, "no tasks registered"
    for name, task in ours.items():
        hard = task.time_limit or celery_app.conf.task_time_limit
        soft = task.soft_time_limit or celery_app.conf.task_soft_time_limit
        assert hard == settings.CELERY_TASK_TIME_LIMIT == 300, name
        assert soft == settings.CELERY_TASK_SOFT_TIME_LIMIT == 240, name
        assert soft < hard, name


def test_settings_turn_a_redis_cache_url_into_the_resilient_backend():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "c = settings.CACHES['default']; print(c['BACKEND'], c['OPTIONS'])",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "dealership.settings",
            "DEBUG": "true",
            "CACHE_URL": "redis://127.0.0.1:6379/1",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.stdout.strip() == (
        "dealership.ops.cache.ResilientRedisCache "
        "{'socket_connect_timeout': 0.5, 'socket_timeout': 0.5}"
    ), result.stderr


@pytest.mark.django_db
def test_pages_render_and_logins_work_with_the_cache_down(client, consultant, caplog):
    with override_settings(CACHES=redis_cache(DEAD_REDIS)):
        started = time.monotonic()
        assert cache.get("anything", "default") == "default"
        cache.set("key", "value")  # dropped, not raised
        assert cache.add("key", "value") is False
        assert cache.get_many(["a", "b"]) == {}
        with pytest.raises(ValueError, match="cache unavailable"):
            cache.incr("counter")
        # Rate limits open up rather than lock everyone out of the public forms.
        hits = [
            rate_limit_hit(scope="test", key="203.0.113.9", limit=1, period=60) for _ in range(3)
        ]
        reset = client.post("/staff/accounts/password-reset/", {"email": consultant.email})
        home = client.get("/")
        login = client.post(
            "/staff/accounts/login/",
            {"username": consultant.username, "password": "correct horse battery"},
        )
        staff = client.get("/staff/")
        health = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert hits == [False, False, False]
    assert reset.status_code == 302
    assert home.status_code == 200
    assert login.status_code == 302
    assert staff.status_code == 200
    assert health.status_code == 503
    assert health.json()["cache"] == "error: ConnectionError"
    assert health.json()["database"] == "ok"
    assert "Cache get failed, carrying on without the cache" in caplog.text
    assert elapsed < 10  # refused connections fail fast; no request hangs on the cache


@pytest.mark.redis
@pytest.mark.django_db
def test_the_cache_works_and_healthz_says_so_with_redis_up(client, settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/3"
    with override_settings(CACHES=redis_cache(url)):
        cache.set("greeting", "hello", 30)
        assert cache.get("greeting") == "hello"
        response = client.get("/healthz")
        cache.clear()

    assert response.status_code == 200
    assert response.json()["cache"] == "ok"


@pytest.fixture
def dead_broker(monkeypatch):
    # Celery caches its broker connections: give the test fresh ones to the dead broker and
    # put the real ones back afterwards.
    saved = celery_app._pool, celery_app.amqp._producer_pool
    celery_app._pool = celery_app.amqp._producer_pool = None
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:9/0")
    yield
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool, celery_app.amqp._producer_pool = saved


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("dead_broker")
def test_a_dead_broker_does_not_break_the_request_that_enqueues(caplog):
    caplog.set_level(logging.ERROR)

    started = time.monotonic()
    with transaction.atomic():
        JobHeartbeat.objects.create(name="saved-before-enqueue", last_run_at="2026-11-23T10:00Z")
        heartbeat.delay_on_commit(name="never-delivered")
    elapsed = time.monotonic() - started

    # The change is saved, the failed publish is logged, and it took seconds, not minutes.
    assert JobHeartbeat.objects.filter(name="saved-before-enqueue").exists()
    assert not JobHeartbeat.objects.filter(name="never-delivered").exists()
    assert "Error calling ops.heartbeat.apply_async in on_commit()" in caplog.text
    assert elapsed < 15
