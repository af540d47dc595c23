"""The after-sales panel's indexes: reminders by when their messages went out with the car,
and each car's bookings (not cancelled) by when made, for the reminder -> booking semi-join."""

import re

from django.db import migrations

CREATE = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS reminder_report_queued ON aftersales_servicereminder (queued_at) INCLUDE (owned_vehicle_id) WHERE queued_at IS NOT NULL",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS appointment_report_booked ON aftersales_serviceappointment (owned_vehicle_id, created_at) WHERE status <> 'cancelled'",
]
DROP = [
    "DROP INDEX CONCURRENTLY IF EXISTS reminder_report_queued",
    "DROP INDEX CONCURRENTLY IF EXISTS appointment_report_booked",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


def _create(statements):
    """CREATE INDEX CONCURRENTLY IF NOT EXISTS would keep an index a crashed build left
    INVALID: drop that one first, so running the migration again builds it for real."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            name = re.search(r"IF NOT EXISTS (\w+)", statement).group(1)
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    " WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)",
                    [name],
                )
                row = cursor.fetchone()
            if row and row[0]:
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY: the tables keep taking writes while the indexes build.
    atomic = False

    dependencies = [("aftersales", "0001_initial")]

    operations = [migrations.RunPython(_create(CREATE), _run(DROP))]
