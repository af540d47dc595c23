"""Service appointments get updated_at (every save stamps it): the reports' rollup finds the
reminder days a booking's cancellation changed through it. Existing rows take their booking
time (created_at); the reminder figures of older days come from `manage.py reports_backfill`."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("aftersales", "0002_report_indexes")]

    operations = [
        migrations.AddField(
            model_name="serviceappointment",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, default=django.utils.timezone.now, verbose_name="updated"
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE aftersales_serviceappointment SET updated_at = created_at",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="serviceappointment",
            index=models.Index(fields=["updated_at"], name="appointment_updated_idx"),
        ),
    ]
