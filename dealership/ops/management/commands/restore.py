from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dealership.ops.backup import BackupError, Database, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into a PostgreSQL database (default: this site's; "
        "its tables are replaced) and the media files into MEDIA_ROOT, then check every "
        "table's row count against the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--database-url", help="restore into this database instead (it must exist)"
        )
        parser.add_argument("--media-root", type=Path, help="default: MEDIA_ROOT")
        parser.add_argument("--no-media", action="store_true", help="leave the media files")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask before replacing this site's data"
        )

    def handle(self, *args, directory, database_url, media_root, no_media, yes, **options):
        if not (directory / "manifest.json").is_file():
            raise CommandError(f"{directory} holds no backup (no manifest.json).")
        try:
            database = Database.from_url(database_url) if database_url else Database.from_settings()
        except BackupError as error:
            raise CommandError(str(error)) from error
        if not database_url and not yes and options.get("interactive", True):
            answer = input(f"Replace every table of database {database.name!r}? [y/N] ")
            if answer.strip().lower() != "y":
                raise CommandError("Restore cancelled.")
        target_media = None if no_media else (media_root or Path(settings.MEDIA_ROOT))
        try:
            mismatches = backup_restore(
                directory=directory, database=database, media_root=target_media
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        if mismatches:
            details = ", ".join(
                f"{t}: {e} expected, {r} restored" for t, (e, r) in mismatches.items()
            )
            raise CommandError(f"Restore incomplete: {details}")
        self.stdout.write(self.style.SUCCESS(f"Restored {directory} into {database.name}."))
