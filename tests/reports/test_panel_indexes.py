"""The dashboards' PostgreSQL-only indexes (orders 0003, aftersales 0002, surveys 0002) exist
with their keys, covered columns and conditions, and the NPS scan can use its index."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%_report%"]
        )
        return dict(cursor.fetchall())


def test_the_panels_indexes_exist_with_their_columns_and_conditions():
    found = definitions()

    assert {
        name: found.get(name, "")[found.get(name, "").find(" USING") :]
        for name in (
            "order_report_placed",
            "order_report_cancelled",
            "reminder_report_queued",
            "appointment_report_booked",
            "invitation_report",
        )
    } == {
        "order_report_placed": " USING btree (location_id, created_at) INCLUDE (status, "
        "payment_type, deal_total, consultant_id) WHERE ((status)::text <> 'draft'::text)",
        "order_report_cancelled": " USING btree (location_id, status_changed_at) INCLUDE "
        "(cancel_reason, consultant_id) WHERE ((status)::text = 'cancelled'::text)",
        "reminder_report_queued": " USING btree (queued_at) INCLUDE (owned_vehicle_id) "
        "WHERE (queued_at IS NOT NULL)",
        "appointment_report_booked": " USING btree (owned_vehicle_id, created_at) "
        "WHERE ((status)::text <> 'cancelled'::text)",
        "invitation_report": " USING btree (location_id, created_at) INCLUDE (touchpoint, "
        "nps_score, consultant_id) WHERE ((touchpoint)::text <> 'staff_pulse'::text)",
    }


def test_the_reminder_rows_of_the_daily_figures_have_their_own_index():
    # The after-sales panel reads only the rows with reminders (reports 0004), not the year's
    # sales rows: a partial index over them, covering both figures.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'daily_figures_reminders'"
        )
        (definition,) = cursor.fetchone()

    assert definition[definition.find(" USING") :] == (
        " USING btree (day, location_id) INCLUDE (reminders_sent, reminders_booked) "
        "WHERE (reminders_sent > 0)"
    )
