"""Never double-booked: exclusion constraints on (vehicle, time) and (consultant, time) for
active bookings (btree_gist)."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ACTIVE = "('requested', 'confirmed', 'checked_in', 'completed')"

CREATE = [
    f"""ALTER TABLE testdrives_booking ADD CONSTRAINT booking_vehicle_no_overlap
        EXCLUDE USING gist (vehicle_id WITH =, tstzrange(start_at, busy_until, '[)') WITH &&)
        WHERE (status IN {ACTIVE})""",
    f"""ALTER TABLE testdrives_booking ADD CONSTRAINT booking_consultant_no_overlap
        EXCLUDE USING gist (consultant_id WITH =, tstzrange(start_at, busy_until, '[)') WITH &&)
        WHERE (status IN {ACTIVE} AND consultant_id IS NOT NULL)""",
]
DROP = [
    "ALTER TABLE testdrives_booking DROP CONSTRAINT IF EXISTS booking_vehicle_no_overlap",
    "ALTER TABLE testdrives_booking DROP CONSTRAINT IF EXISTS booking_consultant_no_overlap",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("testdrives", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
