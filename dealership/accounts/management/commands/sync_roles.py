from django.core.management.base import BaseCommand

from dealership.accounts.services import roles_sync


class Command(BaseCommand):
    help = "Grant each staff role (group) its admin permissions. Safe to run any number of times."

    def handle(self, *args, **options):
        for role, count in roles_sync().items():
            self.stdout.write(f"{role}: {count} permissions")
