"""Backup and restore round trip: dump the test database, restore it into a fresh one."""

import time

import pytest
from django.core.management import CommandError, call_command
from psycopg import sql

from dealership.accounts.models import AuditEvent, Location
from dealership.accounts.services import audit_record
from dealership.ops.backup import Database, table_counts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RESTORE_DB = "showroom_restore_check"


@pytest.fixture
def fresh_database():
    source = Database.from_settings()
    admin = Database(**{**source.__dict__, "name": "postgres"})
    with admin.connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(RESTORE_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(RESTORE_DB)))
    yield Database(**{**source.__dict__, "name": RESTORE_DB})
    with admin.connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RESTORE_DB))
        )


def _url(database: Database) -> str:
    return f"postgres://{database.user}@{database.host}:{database.port}/{database.name}"


def test_backup_restores_into_a_fresh_database_with_the_same_counts(
    tmp_path, settings, fresh_database, capsys
):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "vehicles").mkdir(parents=True)
    (settings.MEDIA_ROOT / "vehicles" / "golf.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    call_command("seed_demo")
    seeded_events = AuditEvent.objects.count()  # the demo's customers are created audited
    audit_record(
        actor=None, action="update", obj=Location.objects.first(), changes={"name": ["a", "b"]}
    )
    source_counts = table_counts(Database.from_settings())

    started = time.monotonic()
    call_command("backup", output=tmp_path / "backup")
    call_command(
        "restore",
        tmp_path / "backup",
        database_url=_url(fresh_database),
        media_root=tmp_path / "restored-media",
    )
    elapsed = time.monotonic() - started

    restored = table_counts(fresh_database)
    assert restored == source_counts
    assert restored["accounts_location"] == 3
    assert restored["accounts_user"] == 8
    assert restored["accounts_auditevent"] == seeded_events + 1
    assert (tmp_path / "restored-media" / "vehicles" / "golf.jpg").read_bytes() == (
        b"\xff\xd8 not really a jpeg"
    )
    # The photo above and the demo's stored files (its delivered orders' signed contracts).
    media = sorted(
        p.relative_to(settings.MEDIA_ROOT) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()
    )
    assert (
        sorted(
            p.relative_to(tmp_path / "restored-media")
            for p in (tmp_path / "restored-media").rglob("*")
            if p.is_file()
        )
        == media
    )
    output = capsys.readouterr().out
    assert f"{len(media)} media files." in output
    assert f"Restored {tmp_path / 'backup'} into {RESTORE_DB}." in output
    print(f"\nbackup round trip: {elapsed:.2f} s for {sum(restored.values())} rows")


def test_restore_notices_a_missing_table(tmp_path, settings, fresh_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo")
    call_command("backup", output=tmp_path / "backup")
    manifest = tmp_path / "backup" / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace('"accounts_location": 3', '"accounts_location": 4')
    )

    with pytest.raises(CommandError) as error:
        call_command(
            "restore", tmp_path / "backup", database_url=_url(fresh_database), no_media=True
        )

    assert str(error.value) == ("Restore incomplete: accounts_location: 4 expected, 3 restored")


def test_backup_refuses_a_directory_in_use(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "database.dump").write_text("previous backup")

    with pytest.raises(CommandError) as error:
        call_command("backup", output=tmp_path / "old")

    assert "is not empty: choose a new directory for each backup." in str(error.value)
    assert (tmp_path / "old" / "database.dump").read_text() == "previous backup"
    assert not AuditEvent.objects.exists()
