"""The audit trail at a realistic size: one million events over 100,000 records.

Measures writing an event (audit_record, with full_clean) against the floor of a bare
INSERT, and reading one record's trail (the index on type, id, time) against the floor of a
primary-key lookup. Prints the EXPLAIN of the trail query.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from bench.common import measure, report
from dealership.accounts.models import AuditEvent, Location, User
from dealership.accounts.selectors import audit_event_list_for_object
from dealership.accounts.services import audit_record

EVENTS = 1_000_000
RECORDS = 100_000


def seed() -> tuple[Location, User]:
    location, _ = Location.objects.get_or_create(
        slug="bench-audit",
        defaults={
            "name": "Bench",
            "street": "x",
            "postal_code": "1",
            "city": "x",
            "country": "DE",
            "phone": "+49",
            "email": "b@example.com",
            "time_zone": "Europe/Berlin",
            "sales_tax_rate": 19,
        },
    )
    user, _ = User.objects.get_or_create(username="bench-auditor")
    content_type = ContentType.objects.get_for_model(Location)
    if AuditEvent.objects.count() < EVENTS:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO accounts_auditevent
                    (created_at, actor_id, actor_name, action, target_type_id, target_id,
                     target_repr, changes)
                SELECT now() - (n || ' seconds')::interval, %s, 'bench-auditor', 'update', %s,
                       (n %% %s)::text, 'record ' || (n %% %s),
                       jsonb_build_object('price', jsonb_build_array(n, n + 1))
                FROM generate_series(1, %s) AS n
                """,
                [user.pk, content_type.pk, RECORDS, RECORDS, EVENTS],
            )
            cursor.execute("ANALYZE accounts_auditevent")
    return location, user


def main() -> None:
    location, user = seed()
    print(f"{AuditEvent.objects.count()} audit events", flush=True)

    def bare_insert():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_auditevent (created_at, actor_id, actor_name, action, "
                "target_type_id, target_id, target_repr, changes) "
                "VALUES (now(), %s, 'x', 'update', %s, %s, 'x', '{}')",
                [user.pk, ContentType.objects.get_for_model(Location).pk, str(location.pk)],
            )

    floor_write = measure("floor: bare INSERT", bare_insert, repeat=300)
    write = measure(
        "audit_record()",
        lambda: audit_record(
            actor=user, action="update", obj=location, changes={"name": ["a", "b"]}
        ),
        repeat=300,
    )
    report(floor_write)
    report(write, floor_write)

    def floor_read():
        list(AuditEvent.objects.filter(pk=1))

    trail = Location(pk=4242, name="record 4242")
    floor = measure("floor: one event by primary key", floor_read, repeat=300)
    read = measure(
        "trail of one record (50 newest of ~10)",
        lambda: list(audit_event_list_for_object(obj=trail)[:50]),
        repeat=300,
    )
    report(floor)
    report(read, floor)
    with connection.cursor() as cursor:
        sql, params = audit_event_list_for_object(obj=trail)[:50].query.sql_with_params()
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        print("\n".join(row[0] for row in cursor.fetchall()), flush=True)
