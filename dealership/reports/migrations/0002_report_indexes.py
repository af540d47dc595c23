"""Indexes the dashboards' live part needs on other apps' tables (the days not in the summary
yet, and the unanswered leads). They belong to the reports' queries, so they live here: the
other apps' models stay as they are (partial and covering indexes)."""

from django.db import migrations

CREATE = [
    # Unanswered leads now, and the period's overdue ones: an index-only scan of a few rows.
    """CREATE INDEX IF NOT EXISTS reports_lead_unanswered ON leads_lead
       (location_id, created_at) INCLUDE (status, response_due_at, source, assigned_to_id)
       WHERE first_response_at IS NULL""",
    # Deliveries of the last days.
    """CREATE INDEX IF NOT EXISTS reports_order_delivered ON orders_order (delivered_at)
       WHERE status = 'delivered'""",
    # Survey answers of the last days.
    """CREATE INDEX IF NOT EXISTS reports_invitation_answered ON surveys_invitation
       (submitted_at) WHERE nps_score IS NOT NULL""",
]
DROP = [
    "DROP INDEX IF EXISTS reports_lead_unanswered",
    "DROP INDEX IF EXISTS reports_order_delivered",
    "DROP INDEX IF EXISTS reports_invitation_answered",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("leads", "0004_reports_fields"),
        ("orders", "0001_initial"),
        ("surveys", "0001_initial"),
    ]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
