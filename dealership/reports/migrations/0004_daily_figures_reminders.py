"""The after-sales reminder figures join the daily rollup. Past days get them from
`manage.py reports_backfill` after deploying (the periodic job fills new days).

The after-sales panel sums the reminder rows alone (a few per location and day), through a
partial covering index, instead of every sales row of the year."""

from django.db import migrations, models

CREATE = [
    """CREATE INDEX IF NOT EXISTS daily_figures_reminders ON reports_dailyfigures
       (day, location_id) INCLUDE (reminders_sent, reminders_booked)
       WHERE reminders_sent > 0""",
]
DROP = ["DROP INDEX IF EXISTS daily_figures_reminders"]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_response_minutes_monthly")]

    operations = [
        migrations.AddField(
            model_name="dailyfigures",
            name="reminders_sent",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyfigures",
            name="reminders_booked",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
