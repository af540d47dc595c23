"""Import ADF lead documents from files, directories or a maildir."""

import mailbox
from email.message import Message
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dealership.accounts.models import Location
from leads.services.adf import AdfImportError, adf_import_document


def _adf_payloads(message: Message) -> list[bytes]:
    """The ADF documents in an email: XML attachments, or a plain-text body holding <adf>."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        if b"<adf" in payload.lower():
            start = payload.lower().find(b"<?xml")
            if start < 0:
                start = payload.lower().find(b"<adf")
            found.append(payload[start:])
    return found


class Command(BaseCommand):
    help = (
        "Import ADF/XML leads from files, directories of .xml files, or maildirs (messages are "
        "marked seen once imported). Safe to run twice: a document already imported is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="ADF files, directories or maildirs")
        parser.add_argument(
            "--location",
            required=True,
            help="slug of the location for leads whose vendor is unknown",
        )

    def handle(self, *args, paths, location, **options):
        try:
            default_location = Location.objects.get(slug=location)
        except Location.DoesNotExist:
            raise CommandError(f"no location with slug “{location}”") from None
        totals = {"created": 0, "updated": 0, "rejected": 0, "duplicates": 0}
        for raw_path in paths:
            path = Path(raw_path)
            if (path / "cur").is_dir() and (path / "new").is_dir():
                self._maildir(path, default_location, totals)
            elif path.is_dir():
                for file in sorted(path.glob("*.xml")):
                    self._one(file.read_bytes(), str(file), "file", default_location, totals)
            elif path.is_file():
                self._one(path.read_bytes(), str(path), "file", default_location, totals)
            else:
                raise CommandError(f"{path} does not exist")
        self.stdout.write(
            "{created} leads created, {updated} updated, {duplicates} documents already "
            "imported, {rejected} rejected.".format(**totals)
        )

    def _maildir(self, path, location, totals):
        box = mailbox.Maildir(path, create=False)
        for key, message in box.items():
            if "S" in message.get_flags():
                continue
            for payload in _adf_payloads(message):
                self._one(payload, f"{path}:{key}", "maildir", location, totals)
            message.add_flag("S")
            box[key] = message

    def _one(self, raw, label, channel, location, totals):
        try:
            result = adf_import_document(raw=raw, channel=channel, location=location)
        except AdfImportError as error:
            totals["rejected"] += 1
            self.stderr.write(f"{label}: rejected: {error}")
            return
        if result.duplicate:
            totals["duplicates"] += 1
        totals["created"] += len(result.created)
        totals["updated"] += len(result.updated) if not result.duplicate else 0
        for skipped in result.skipped:
            self.stderr.write(f"{label}: skipped {skipped}")
