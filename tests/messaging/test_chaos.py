"""Chaos: a real worker killed with SIGKILL mid-flush loses nothing and sends nothing twice.

The flush marks rows sent in the transaction that holds their lock, so a killed worker's
batch rolls back and is sent again by the next flush (at-least-once); the provider sees the
dedupe key as idempotency key and delivers each message once. FileSmsBackend behaves like
such a provider and also logs every request, so repeats are counted separately.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from dealership.celery import app as celery_app
from dealership.messaging.models import Channel, OutboxMessage, Purpose, QuietHours
from dealership.messaging.services import messages_flush
from dealership.messaging.tasks import messages_flush_task
from tests.accounts.factories import LocationFactory

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 10_000
FILE_BACKEND = "dealership.messaging.backends.FileSmsBackend"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def start_worker(folder: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MESSAGING_SMS_BACKEND": FILE_BACKEND,
        "MESSAGING_SMS_FILE_PATH": str(folder),
        "MESSAGING_FLUSH_SECONDS": "600",
    }
    return subprocess.Popen(
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
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def delivered(folder: Path) -> int:
    return sum(1 for p in folder.glob("*.json"))


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def pending() -> int:
    return OutboxMessage.objects.filter(status__in=OutboxMessage.PENDING_STATUSES).count()


def test_a_worker_killed_mid_flush_loses_nothing_and_duplicates_nothing(
    tmp_path, settings, monkeypatch
):
    folder = tmp_path / "sms"
    worker_log = tmp_path / "worker.log"
    settings.MESSAGING_SMS_BACKEND = FILE_BACKEND
    settings.MESSAGING_SMS_FILE_PATH = folder
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", os.environ["REDIS_URL"])
    location = LocationFactory()
    QuietHours.objects.create(location=location, start="00:00", end="00:00")  # none
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=Channel.SMS,
                purpose=Purpose.TRANSACTIONAL,
                to=f"+49151{n:08d}",
                location=location,
                template_key="tests.chaos",
                body=f"Message {n}\n",
                status=OutboxMessage.Status.QUEUED,
                send_after=now,
                dedupe_key=f"chaos:{n}:sms",
            )
            for n in range(TOTAL)
        ],
        batch_size=2000,
    )

    # Given a worker flushing 10,000 due messages, killed with SIGKILL partway.
    worker = start_worker(folder, worker_log)
    try:
        messages_flush_task.apply_async()
        wait_for(lambda: delivered(folder) >= 1500, timeout=120, what="the first sends")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    sent_when_killed = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count()
    assert 0 < sent_when_killed < TOTAL, worker_log.read_text()

    # When a new worker flushes, and this process flushes twice more, then twice at once.
    worker = start_worker(folder, worker_log)
    try:
        messages_flush_task.apply_async()
        messages_flush(time_budget=600)
        messages_flush(time_budget=600)
        errors = []

        def concurrent_flush():
            try:
                messages_flush(time_budget=600)
            except Exception as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=concurrent_flush) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        wait_for(lambda: pending() == 0, timeout=300, what="the outbox to drain")
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    # Then the provider delivered every message exactly once.
    requests = (folder / "requests.log").read_text().split()
    delivered_keys = sorted(p.stem for p in folder.glob("*.json"))
    expected_keys = sorted(f"chaos:{n}:sms" for n in range(TOTAL))
    assert errors == []
    assert len(delivered_keys) == TOTAL
    assert delivered_keys == expected_keys  # 0 missing, 0 duplicates
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == TOTAL
    # Only the batch in flight when the worker died may have been asked for twice.
    repeats = len(requests) - len(set(requests))
    assert repeats <= settings.MESSAGING_FLUSH_BATCH_SIZE
    assert set(requests) == set(expected_keys)
    print(
        f"chaos: sent before the kill {sent_when_killed}, provider requests {len(requests)}, "
        f"repeats absorbed by the idempotency key {repeats}"
    )
