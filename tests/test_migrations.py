"""Zero-downtime migrations: an index on a table that grows (leads, the outbox, reminders,
page views) is built CONCURRENTLY, in a non-atomic migration, so the table keeps taking
writes while it builds. A plain AddIndex (or a raw CREATE INDEX) there would hold a lock
that blocks every insert and update for the whole build.

An index declared in the same migration as its table's CreateModel is fine: the table is new
and empty."""

import inspect
import re

import pytest
from django.apps import apps
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader

# app_label.model_name of the tables that grow without bound.
BIG_TABLES = frozenset(
    {
        "leads.customer",
        "leads.lead",
        "leads.leadstatuschange",
        "leads.leadassignment",
        "leads.cadencerun",
        "leads.activity",
        "leads.task",
        "leads.adfdocument",
        "messaging.outboxmessage",
        "messaging.consent",
        "messaging.inboundsms",
        "aftersales.servicereminder",
        "testdrives.booking",
        "inventory.vehicledailyviews",
    }
)

RAW_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(\w+)\s+ON\s+(?:ONLY\s+)?\"?(\w+)\"?",
    re.IGNORECASE,
)


def _big_db_tables() -> dict[str, str]:
    return {apps.get_model(label)._meta.db_table: label for label in BIG_TABLES}


def _raw_indexes(migration) -> list[tuple[bool, str, str]]:
    """(concurrently?, index, table) of every CREATE INDEX in the migration's module: its
    RunSQL strings and the statements its RunPython functions execute."""
    texts = []
    for op in migration.operations:
        if isinstance(op, migrations.RunSQL):
            texts += [op.sql] if isinstance(op.sql, str) else [str(sql) for sql in op.sql]
        elif isinstance(op, migrations.RunPython):
            texts.append(inspect.getsource(inspect.getmodule(type(migration))))
    found = {
        (bool(m.group(1)), m.group(2), m.group(3))
        for text in texts
        for m in RAW_INDEX.finditer(text)
    }
    return sorted(found)


def blocking_index_builds(migration, app_label: str) -> list[str]:
    """What in one migration would lock a big table while an index builds, as messages
    naming the migration."""
    where = f"{app_label}.{migration.name}"
    created = {
        op.name_lower for op in migration.operations if isinstance(op, migrations.CreateModel)
    }
    problems = []
    for op in migration.operations:
        if not isinstance(op, migrations.AddIndex):
            continue
        label = f"{app_label}.{op.model_name_lower}"
        if isinstance(op, AddIndexConcurrently):
            if migration.atomic:
                problems.append(f"{where}: AddIndexConcurrently needs atomic = False")
        elif label in BIG_TABLES and op.model_name_lower not in created:
            problems.append(
                f"{where}: plain AddIndex {op.index.name} on {label}: use AddIndexConcurrently "
                "in a migration with atomic = False"
            )
    big = _big_db_tables()
    for concurrently, index, table in _raw_indexes(migration):
        if table in big and not concurrently:
            problems.append(
                f"{where}: CREATE INDEX {index} on {table} without CONCURRENTLY "
                "(and atomic = False)"
            )
        if concurrently and migration.atomic:
            problems.append(f"{where}: CREATE INDEX CONCURRENTLY {index} needs atomic = False")
    return problems


def _disk_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(loader.disk_migrations.items())


def test_every_migration_builds_big_tables_indexes_concurrently():
    problems = [
        problem
        for (app_label, _name), migration in _disk_migrations()
        for problem in blocking_index_builds(migration, app_label)
    ]

    assert problems == []


def test_the_check_names_a_plain_add_index_on_a_big_table():
    class Migration(migrations.Migration):
        operations = [
            migrations.AddIndex(
                model_name="lead", index=models.Index(fields=["status"], name="lead_status_x")
            ),
            # A small table may still take a plain AddIndex.
            migrations.AddIndex(
                model_name="assignmentrule",
                index=models.Index(fields=["priority"], name="rule_priority_x"),
            ),
        ]

    assert blocking_index_builds(Migration("0099_lead_status", "leads"), "leads") == [
        "leads.0099_lead_status: plain AddIndex lead_status_x on leads.lead: use "
        "AddIndexConcurrently in a migration with atomic = False"
    ]


def test_the_check_refuses_a_concurrent_index_in_an_atomic_migration():
    class Migration(migrations.Migration):
        operations = [
            AddIndexConcurrently(
                model_name="outboxmessage",
                index=models.Index(fields=["created_at"], name="outbox_created_x"),
            )
        ]

    assert blocking_index_builds(Migration("0099_outbox", "messaging"), "messaging") == [
        "messaging.0099_outbox: AddIndexConcurrently needs atomic = False"
    ]


def test_the_check_allows_indexes_created_with_their_table():
    class Migration(migrations.Migration):
        operations = [
            migrations.CreateModel(
                name="Lead", fields=[("id", models.BigAutoField(primary_key=True))]
            ),
            migrations.AddIndex(
                model_name="lead", index=models.Index(fields=["id"], name="lead_id_x")
            ),
        ]

    assert blocking_index_builds(Migration("0001_initial", "leads"), "leads") == []


def test_the_check_reads_raw_create_index_statements():
    statement = "CREATE INDEX IF NOT EXISTS lead_raw_x ON leads_lead (status)"

    class Migration(migrations.Migration):
        operations = [migrations.RunSQL(statement)]

    problems = blocking_index_builds(Migration("0099_raw", "leads"), "leads")

    assert problems == [
        "leads.0099_raw: CREATE INDEX lead_raw_x on leads_lead without CONCURRENTLY "
        "(and atomic = False)"
    ]


def _concurrent_index_names() -> list[str]:
    names = []
    for _key, migration in _disk_migrations():
        names += [
            op.index.name for op in migration.operations if isinstance(op, AddIndexConcurrently)
        ]
        names += [index for concurrently, index, _table in _raw_indexes(migration) if concurrently]
    return sorted(names)


def _index_state(name: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, i.indisready, t.relname FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
            " WHERE c.relname = %s",
            [name],
        )
        return cursor.fetchone()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_test_database_was_built_with_the_concurrent_indexes_valid():
    names = _concurrent_index_names()

    assert names == [
        "appointment_report_booked",
        "customer_dup_email",
        "customer_dup_mobile",
        "customer_dup_other",
        "lead_created",
        "lead_created_due",
        "lead_created_loc",
        "lead_loc_score",
        "lead_open_score",
        "lead_unassigned_open",
        "reminder_report_queued",
        "reports_invitation_answered",
        "reports_lead_unanswered",
        "reports_order_delivered",
    ]
    assert {name: _index_state(name) for name in names} == {
        "appointment_report_booked": (True, True, "aftersales_serviceappointment"),
        "customer_dup_email": (True, True, "leads_customer"),
        "customer_dup_mobile": (True, True, "leads_customer"),
        "customer_dup_other": (True, True, "leads_customer"),
        "lead_created": (True, True, "leads_lead"),
        "lead_created_due": (True, True, "leads_lead"),
        "lead_created_loc": (True, True, "leads_lead"),
        "lead_loc_score": (True, True, "leads_lead"),
        "lead_open_score": (True, True, "leads_lead"),
        "lead_unassigned_open": (True, True, "leads_lead"),
        "reminder_report_queued": (True, True, "aftersales_servicereminder"),
        "reports_invitation_answered": (True, True, "surveys_invitation"),
        "reports_lead_unanswered": (True, True, "leads_lead"),
        "reports_order_delivered": (True, True, "orders_order"),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_index_migration_unapplies_and_applies_outside_a_transaction():
    """leads 0007's operation, backwards then forwards, on the live test database: DROP and
    CREATE INDEX CONCURRENTLY refuse to run inside a transaction block, so this passes only
    because the migration is non-atomic."""
    loader = MigrationLoader(connection)
    key = ("leads", "0007_lead_created_due_index")
    migration = loader.get_migration(*key)
    (operation,) = migration.operations
    before = loader.project_state(key, at_end=False)
    after = loader.project_state(key, at_end=True)

    with connection.schema_editor(atomic=migration.atomic) as editor:
        operation.database_backwards("leads", editor, after, before)
    gone = _index_state("lead_created_due")
    with connection.schema_editor(atomic=migration.atomic) as editor:
        operation.database_forwards("leads", editor, before, after)

    assert migration.atomic is False
    assert gone is None
    assert _index_state("lead_created_due") == (True, True, "leads_lead")
