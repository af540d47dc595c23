import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealership.reports.services import rollup_backfill


class Command(BaseCommand):
    help = "Recompute the dashboards' summary tables for a range of days (default: 400 days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=400, help="Days back from today.")
        parser.add_argument("--first", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--last", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, days, first, last, **options):
        today = timezone.now().astimezone(datetime.UTC).date() + datetime.timedelta(days=1)
        last = last or today
        first = first or last - datetime.timedelta(days=days)
        if first > last:
            raise CommandError("--first must not be after --last.")
        written = rollup_backfill(first=first, last=last)
        self.stdout.write(f"Recomputed {first} to {last}: {written} summary rows.")
