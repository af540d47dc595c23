"""Flush N queued SMS (default 100,000; OUTBOX_BENCH_SIZE) through the console backend with a
real Celery worker of 2 processes on PostgreSQL and Redis, against the floor of one bulk
UPDATE marking the same rows sent. Prints messages per second and the ratio to the floor.

The flush does per message what the floor cannot: lock the batch (SKIP LOCKED), check
suppression, consent and quiet hours, call the backend, and mark each row with its provider id.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection
from django.utils import timezone

from bench.common import Timing, report

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("OUTBOX_BENCH_SIZE", "100000"))
WORKER_PROCESSES = 2


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _fill(location_id: int, size: int) -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE messaging_outboxmessage")
        cursor.execute(
            """
            INSERT INTO messaging_outboxmessage (
                channel, purpose, "to", location_id, template_key, language, context, subject,
                body, body_html, attachments, status, send_after, attempts, last_error,
                provider_message_id, dedupe_key, created_at, updated_at, cancelled_reason)
            SELECT 'sms', 'transactional', '+49151' || lpad(n::text, 8, '0'), %s,
                   'bench.notice', '', '{}', '', 'Bench message ' || n, '', '[]', 'queued',
                   now() - interval '1 minute', 0, '', '', 'bench:' || n || ':sms', now(), now(), ''
            FROM generate_series(1, %s) AS n
            """,
            [location_id, size],
        )
        cursor.execute("ANALYZE messaging_outboxmessage")
    return time.perf_counter() - start


def _pending() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM messaging_outboxmessage WHERE status IN ('queued', 'scheduled')"
        )
        return cursor.fetchone()[0]


def _start_worker() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MESSAGING_SMS_BACKEND": "dealership.messaging.backends.ConsoleSmsBackend",
        "MESSAGING_FLUSH_SECONDS": "3600",
        "CELERY_TASK_SOFT_TIME_LIMIT": "3600",
        "CELERY_TASK_TIME_LIMIT": "3700",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dealership",
            "worker",
            f"--concurrency={WORKER_PROCESSES}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # the console backend prints every SMS
        stderr=subprocess.DEVNULL,
    )


def _wait_until_ready(app) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not start within 60 s")


def _floor(repeat: int = 3) -> Timing:
    samples = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            cursor.execute(
                "UPDATE messaging_outboxmessage SET status = 'queued', sent_at = NULL, "
                "provider_message_id = '', attempts = 0"
            )
            start = time.perf_counter()
            cursor.execute(
                "UPDATE messaging_outboxmessage SET status = 'sent', sent_at = now(), "
                "provider_message_id = 'console:' || dedupe_key, attempts = attempts + 1, "
                "updated_at = now() WHERE status IN ('queued', 'scheduled') AND send_after <= now()"
            )
            samples.append(time.perf_counter() - start)
    return Timing(f"floor: one bulk UPDATE of {SIZE:,} rows", samples)


def main() -> None:
    from dealership.accounts.models import Location
    from dealership.celery import app
    from dealership.messaging.models import OutboxMessage, QuietHours

    if not os.environ.get("REDIS_URL"):
        print("bench_outbox needs Redis (REDIS_URL); skipped")
        return
    app.conf.broker_url = os.environ["REDIS_URL"]
    app.conf.task_always_eager = False
    location, _ = Location.objects.get_or_create(
        slug="bench",
        defaults={
            "name": "Bench",
            "street": "-",
            "postal_code": "-",
            "city": "-",
            "country": "DE",
            "phone": "+49 341 555 0100",
            "email": "bench@example.com",
            "time_zone": "Europe/Berlin",
            "sales_tax_rate": 19,
        },
    )
    # No quiet hours, so the run does not depend on the time of day.
    QuietHours.objects.update_or_create(
        location=location, defaults={"start": "00:00", "end": "00:00"}
    )

    fill = _fill(location.id, SIZE)
    print(f"generated {SIZE:,} queued messages in {fill:.1f} s", flush=True)
    claim = OutboxMessage.objects.filter(
        status__in=OutboxMessage.PENDING_STATUSES, send_after__lte=timezone.now()
    ).order_by("send_after", "id")[:50]
    plan = claim.explain()
    print("claim query plan:\n  " + plan.replace("\n", "\n  "), flush=True)

    worker = _start_worker()
    try:
        _wait_until_ready(app)
        start = time.perf_counter()
        for _ in range(WORKER_PROCESSES):
            app.send_task("messaging.flush")
        while _pending():
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    sent = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count()
    print(
        f"flushed {sent:,} of {SIZE:,} with {WORKER_PROCESSES} worker processes in "
        f"{elapsed:.1f} s: {sent / elapsed:,.0f} messages/s",
        flush=True,
    )
    floor = _floor()
    report(floor)
    report(Timing(f"flush {SIZE:,} via Celery ({WORKER_PROCESSES} processes)", [elapsed]), floor)
    print(f"floor: {SIZE / floor.p50:,.0f} rows/s", flush=True)
