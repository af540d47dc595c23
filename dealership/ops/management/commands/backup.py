from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dealership.ops.backup import BackupError, backup_create, default_backup_directory


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump) and the media files into a new directory "
        "(default var/backups/<UTC time>). Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="a new, empty directory")

    def handle(self, *args, output=None, **options):
        directory = output or default_backup_directory()
        try:
            manifest = backup_create(directory=directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup in {directory}: {len(manifest['tables'])} tables, {rows} rows, "
                f"{manifest['media_files']} media files."
            )
        )
