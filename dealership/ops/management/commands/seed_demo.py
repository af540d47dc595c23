from django.conf import settings
from django.core.management.base import BaseCommand

from dealership.accounts.services import roles_sync
from dealership.ops.demo import DEMO_PASSWORD, STAFF, seed_all


class Command(BaseCommand):
    help = "Fill the database with a believable demo dealership. Safe to run twice."

    def handle(self, *args, **options):
        roles_sync()
        counts = seed_all()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary}."))
        self.stdout.write("Demo logins (staff UI at /staff/, admin at /admin/):")
        for username, _first, _last, role, _slugs in STAFF:
            self.stdout.write(f"  {username:<16} {DEMO_PASSWORD}   {role.label}")
        roles = " and ".join(settings.TWO_FACTOR_REQUIRED_ROLES)
        if settings.TWO_FACTOR_DEMO_SKIP:
            self.stdout.write(
                f"Two-factor authentication, required for {roles}, is skipped for this demo "
                "(TWO_FACTOR_DEMO_SKIP, honoured only with DEBUG on). Anyone can still turn it "
                "on at /staff/accounts/two-factor/."
            )
        else:
            self.stdout.write(
                f"{roles} set up two-factor authentication (an authenticator app) at their "
                "first login."
            )
