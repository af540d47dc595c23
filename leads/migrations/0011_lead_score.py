# Lead score columns (written by the scoring app). Indexes in 0012, built concurrently.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_use_admin_permission'),
        ('inventory', '0005_vehicle_margin_scheme'),
        ('leads', '0010_source_sms'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='score',
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='score'),
        ),
        migrations.AddField(
            model_name='lead',
            name='score_changed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='score changed'),
        ),
        migrations.AddField(
            model_name='lead',
            name='score_reasons',
            field=models.JSONField(blank=True, default=list, editable=False, verbose_name='score reasons'),
        ),
    ]
