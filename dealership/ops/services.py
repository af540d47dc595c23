from django.db import models, transaction
from django.utils import timezone

from .models import JobHeartbeat


def heartbeat_record(*, name: str) -> JobHeartbeat:
    """Record that job `name` ran now. Safe under concurrency: one row per name, F() increment."""
    now = timezone.now()
    with transaction.atomic():
        heartbeat, created = JobHeartbeat.objects.get_or_create(
            name=name, defaults={"last_run_at": now, "runs": 1}
        )
        if not created:
            JobHeartbeat.objects.filter(pk=heartbeat.pk).update(
                last_run_at=now, runs=models.F("runs") + 1
            )
            heartbeat.refresh_from_db()
    return heartbeat
