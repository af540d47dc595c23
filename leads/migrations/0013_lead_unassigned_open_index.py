# The manager's Today page lists and counts open unassigned leads: at 1,000,000 leads that
# walked the whole created_at index (bench/bench_today.py). Built CONCURRENTLY.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0012_lead_score_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("assigned_to__isnull", True))
                & ~models.Q(("status__in", ["won", "lost"])),
                fields=["created_at", "id"],
                name="lead_unassigned_open",
            ),
        ),
    ]
