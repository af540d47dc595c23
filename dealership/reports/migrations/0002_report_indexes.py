"""Indexes the dashboards' live part needs on other apps' tables (the days not in the summary
yet, and the unanswered leads). They belong to the reports' queries, so they live here: the
other apps' models stay as they are (partial and covering indexes)."""

import re

from django.db import migrations

CREATE = [
    # Unanswered leads now, and the period's overdue ones: an index-only scan of a few rows.
    """CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_lead_unanswered ON leads_lead
       (location_id, created_at) INCLUDE (status, response_due_at, source, assigned_to_id)
       WHERE first_response_at IS NULL""",
    # Deliveries of the last days.
    """CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_order_delivered ON orders_order (delivered_at)
       WHERE status = 'delivered'""",
    # Survey answers of the last days.
    """CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_invitation_answered ON surveys_invitation
       (submitted_at) WHERE nps_score IS NOT NULL""",
]
DROP = [
    "DROP INDEX CONCURRENTLY IF EXISTS reports_lead_unanswered",
    "DROP INDEX CONCURRENTLY IF EXISTS reports_order_delivered",
    "DROP INDEX CONCURRENTLY IF EXISTS reports_invitation_answered",
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

    dependencies = [
        ("reports", "0001_initial"),
        ("leads", "0004_reports_fields"),
        ("orders", "0001_initial"),
        ("surveys", "0001_initial"),
    ]

    operations = [migrations.RunPython(_create(CREATE), _run(DROP))]
