"""The orders panel's indexes: placed orders by location and day with every column the
panel groups and sums (an index-only scan bounded by the period), and cancelled orders by
when they were cancelled with the reason."""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS order_report_placed ON orders_order (location_id, created_at) INCLUDE (status, payment_type, deal_total, consultant_id) WHERE status <> 'draft'",
    "CREATE INDEX IF NOT EXISTS order_report_cancelled ON orders_order (location_id, status_changed_at) INCLUDE (cancel_reason, consultant_id) WHERE status = 'cancelled'",
]
DROP = [
    "DROP INDEX IF EXISTS order_report_placed",
    "DROP INDEX IF EXISTS order_report_cancelled",
]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_deal_total")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
