import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from dealership.celery import app as celery_app
from dealership.ops.models import JobHeartbeat
from dealership.ops.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_heartbeat_task_runs_eagerly_and_counts_runs():
    heartbeat.delay(name="eager")
    heartbeat.delay(name="eager")

    row = JobHeartbeat.objects.get(name="eager")
    assert row.runs == 2
    assert JobHeartbeat.objects.count() == 1


def _database_url_for_worker() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_heartbeat_task_runs_through_a_real_worker_and_redis(monkeypatch):
    """The task goes through Redis to a separate worker process that writes to the test DB."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dealership",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", os.environ["REDIS_URL"])
    try:
        heartbeat.apply_async(kwargs={"name": "through-redis"})
        deadline = time.monotonic() + 60
        row = None
        while time.monotonic() < deadline and row is None:
            row = JobHeartbeat.objects.filter(name="through-redis").first()
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()

    assert row is not None, f"the worker never ran the task:\n{output}"
    assert row.runs == 1
