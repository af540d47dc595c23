"""The NPS panel's index: customer survey invitations by location and day sent, with the
touchpoint, score and consultant it groups and counts (an index-only scan by the period)."""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS invitation_report ON surveys_invitation (location_id, created_at) INCLUDE (touchpoint, nps_score, consultant_id) WHERE touchpoint <> 'staff_pulse'",
]
DROP = [
    "DROP INDEX IF EXISTS invitation_report",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
