"""Backup and restore round trip on a database holding a million audit events.

The floor is a `SELECT count(*)` of every table (the check the restore itself ends with),
so the ratio shows what pg_dump + pg_restore cost on top of reading the data once.
"""

import tempfile
import time
from pathlib import Path

from psycopg import sql

from bench.bench_audit import seed
from bench.common import Timing, report
from dealership.ops.backup import Database, backup_create, backup_restore, table_counts

TARGET = "showroom_bench_restore"


def main() -> None:
    seed()
    source = Database.from_settings()
    admin = Database(**{**source.__dict__, "name": "postgres"})
    target = Database(**{**source.__dict__, "name": TARGET})
    floor, backups, restores = [], [], []
    for _ in range(3):
        with admin.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(TARGET)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TARGET)))
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            counts = table_counts(source)
            floor.append(time.perf_counter() - started)
            started = time.perf_counter()
            backup_create(directory=Path(tmp) / "backup", database=source)
            backups.append(time.perf_counter() - started)
            started = time.perf_counter()
            mismatches = backup_restore(
                directory=Path(tmp) / "backup", database=target, media_root=Path(tmp) / "media"
            )
            restores.append(time.perf_counter() - started)
            assert mismatches == {}, mismatches
    with admin.connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TARGET))
        )
    print(f"{sum(counts.values())} rows in {len(counts)} tables", flush=True)
    floor_timing = Timing("floor: count(*) of every table", floor)
    report(floor_timing)
    report(Timing("backup (pg_dump + media + manifest)", backups), floor_timing)
    report(Timing("restore (pg_restore + media + recount)", restores), floor_timing)
