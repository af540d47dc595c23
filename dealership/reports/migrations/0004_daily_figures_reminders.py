"""The after-sales reminder figures join the daily rollup. Past days get them from
`manage.py reports_backfill` after deploying (the periodic job fills new days)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0003_response_minutes_monthly'),
    ]

    operations = [
        migrations.AddField(
            model_name='dailyfigures',
            name='reminders_booked',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dailyfigures',
            name='reminders_sent',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='dailyfigures',
            index=models.Index(condition=models.Q(('reminders_sent__gt', 0)), fields=['day', 'location_id'], include=('reminders_sent', 'reminders_booked'), name='daily_figures_reminders'),
        ),
    ]
