"""Surveys at volume: the results page's aggregates and the trigger's "due without an
invitation" anti-join, each against a floor measured on the same rows in the same run.

Data (set-based SQL): 20,000 customers, 300,000 invitations over 24 months in three
locations (80 % answered), 100,000 won leads of which all but 200 already have an invitation.
"""

import datetime

from django.db import connection
from django.utils import timezone

from bench.common import measure, report

INVITATIONS = 300_000
CUSTOMERS = 20_000
LEADS = 100_000
UNINVITED = 200


def _insert(table: str, values: dict[str, str], rows: int) -> None:
    """INSERT … SELECT generate_series: `values` maps columns to SQL over `n`; every other
    NOT NULL column without a default gets an empty value of its type."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
              AND column_name <> 'id'
            """,
            [table],
        )
        empty = {"jsonb": "'[]'::jsonb", "boolean": "false", "text": "''"}
        for column, data_type in cursor.fetchall():
            if column in values:
                continue
            if data_type in ("integer", "smallint", "bigint"):
                values[column] = "0"
            elif data_type.startswith("timestamp"):
                values[column] = "now()"
            else:
                values[column] = empty.get(data_type, "''")
        columns = ", ".join(values)
        expressions = ", ".join(values.values())
        # Our own constants and column names only, never input: the SQL is built, not bound.
        sql = f"INSERT INTO {table} ({columns}) SELECT {expressions} "  # nosec B608
        cursor.execute(sql + f"FROM generate_series(1, {int(rows)}) AS n")


def _seed():
    from dealership.accounts.models import User
    from dealership.ops.demo import seed_locations
    from surveys.models import Invitation, Survey, Touchpoint
    from surveys.services import survey_create_standard

    if Invitation.objects.count() >= INVITATIONS:
        return
    locations = seed_locations()
    loc_ids = [loc.pk for loc in locations]
    loc_sql = f"(ARRAY{loc_ids})[1 + n % {len(loc_ids)}]"
    purchase = Survey.objects.filter(touchpoint=Touchpoint.PURCHASE, is_active=True).first()
    purchase = purchase or survey_create_standard(name="Bench", touchpoint=Touchpoint.PURCHASE)
    User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    _insert(
        "leads_customer",
        {
            "first_name": "'Bench'",
            "last_name": "'Customer ' || n",
            "email": "'bench' || n || '@example.com'",
            "location_id": loc_sql,
            "source": "'website'",
            "tags": "'[]'::jsonb",
        },
        CUSTOMERS,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM leads_customer WHERE first_name = 'Bench'")
        first_customer = cursor.fetchone()[0]
    customer_sql = f"{first_customer} + n % {CUSTOMERS}"
    created = "now() - (n % 720) * interval '1 day' - (n % 1440) * interval '1 minute'"
    _insert(
        "leads_lead",
        {
            "customer_id": customer_sql,
            "location_id": loc_sql,
            "source": "'website'",
            "type": "'vehicle_enquiry'",
            "status": "'won'",
            "won_at": "now() - interval '1 day' - (n % 14) * interval '1 day' - interval '1 hour'",
            "created_at": "now() - interval '30 days'",
            "updated_at": "now()",
        },
        LEADS,
    )
    _insert(
        "surveys_invitation",
        {
            "survey_id": str(purchase.pk),
            "touchpoint": "'purchase'",
            "source_id": "'x' || n",
            "customer_id": customer_sql,
            "location_id": loc_sql,
            "occurred_at": created,
            "dedupe_key": "'bench:' || n",
            "status": "CASE WHEN n % 5 = 0 THEN 'sent' ELSE 'completed' END",
            "created_at": created,
            "expires_at": created,
            "submitted_at": f"CASE WHEN n % 5 = 0 THEN NULL ELSE {created} END",
            "nps_score": "CASE WHEN n % 5 = 0 THEN NULL ELSE (n * 7) % 11 END",
            "language": "''",
            "skip_reason": "''",
        },
        INVITATIONS,
    )
    with connection.cursor() as cursor:
        # Every won lead but the last UNINVITED already has its invitation.
        cursor.execute(
            """
            INSERT INTO surveys_invitation (survey_id, touchpoint, source_id, customer_id,
              location_id, occurred_at, dedupe_key, status, created_at, expires_at, language,
              skip_reason)
            SELECT %s, 'purchase', l.id::text, l.customer_id, l.location_id,
              l.won_at, 'purchase:' || l.id || ':' || l.customer_id, 'skipped', l.won_at,
              l.won_at, '', 'capped'
            FROM leads_lead l WHERE l.status = 'won'
            ORDER BY l.id LIMIT %s
            """,
            [purchase.pk, LEADS - UNINVITED],
        )
        cursor.execute("ANALYZE")


def main() -> None:
    from dealership.accounts.models import User
    from surveys.selectors import ResultFilters, survey_results
    from surveys.triggers import TRIGGERS

    _seed()
    admin = User.objects.get(username="bench-admin")
    now = timezone.now()
    since = now - datetime.timedelta(days=365)

    def floor_count():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(nps_score) FROM surveys_invitation "
                "WHERE created_at >= %s AND touchpoint <> 'staff_pulse'",
                [since],
            )
            cursor.fetchone()

    floor = measure("floor: count the year's invitations", floor_count, repeat=10)
    page = measure(
        "survey_results (12 months, all locations)",
        lambda: survey_results(user=admin, filters=ResultFilters(months=12)),
        repeat=10,
    )
    report(floor)
    report(page, floor)

    trigger = TRIGGERS["purchase"]

    def floor_won():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM leads_lead WHERE status = 'won' AND won_at > %s AND won_at <= %s",
                [now - datetime.timedelta(days=15), now - datetime.timedelta(days=1)],
            )
            cursor.fetchall()

    floor_due = measure("floor: won leads in the window (no anti-join)", floor_won, repeat=10)
    due = measure(
        "trigger: won, due, without an invitation",
        lambda: trigger.due(now=now, limit=500),
        repeat=10,
    )
    report(floor_due)
    report(due, floor_due)
    print(f"due rows found: {len(trigger.due(now=now, limit=500))} (expected {UNINVITED})")

    from leads.models import Lead
    from surveys.triggers import without_invitation

    qs = without_invitation(
        Lead.objects.filter(
            status="won",
            won_at__gt=now - datetime.timedelta(days=15),
            won_at__lte=now - datetime.timedelta(days=1),
        ),
        "purchase",
    ).values_list("pk")
    plan = qs.explain()
    print("EXPLAIN trigger:", " | ".join(line.strip() for line in plan.splitlines()[:8]))
