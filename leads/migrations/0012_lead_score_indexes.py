# The inbox sorted by score: built CONCURRENTLY, the lead table keeps taking writes.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('leads', '0011_lead_score'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='lead',
            index=models.Index(fields=['location', '-score', '-created_at', '-id'], name='lead_loc_score'),
        ),
        AddIndexConcurrently(
            model_name='lead',
            index=models.Index(condition=models.Q(('status__in', ['new', 'contacted', 'qualified', 'appointment', 'negotiation'])), fields=['status', '-score', '-created_at', '-id'], name='lead_open_score'),
        ),
    ]
