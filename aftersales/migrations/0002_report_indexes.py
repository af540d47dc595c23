"""The after-sales panel's indexes: reminders by when their messages went out with the car,
and each car's bookings (not cancelled) by when made, for the reminder -> booking semi-join."""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS reminder_report_queued ON aftersales_servicereminder (queued_at) INCLUDE (owned_vehicle_id) WHERE queued_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS appointment_report_booked ON aftersales_serviceappointment (owned_vehicle_id, created_at) WHERE status <> 'cancelled'",
]
DROP = [
    "DROP INDEX IF EXISTS reminder_report_queued",
    "DROP INDEX IF EXISTS appointment_report_booked",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("aftersales", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
