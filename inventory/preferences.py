"""Each saved search's alerts on the customer's email preference page (see
dealership/messaging/preferences.py): one switch per search, by its name. The saved search is
its own consent record ("alerts for this search"); switching it never touches the general
marketing consent, and switching the marketing consent never touches it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.messaging.preferences import Group, Switch

from .models import SavedSearch

KEY_PREFIX = "alert:"


def _searches(address: str) -> list[SavedSearch]:
    """The address's searches, the latest row of each (a search ended and saved again is one
    switch)."""
    latest: dict[str, SavedSearch] = {}
    for saved in SavedSearch.objects.filter(email=address.strip().lower()).order_by(
        "-created_at", "-id"
    ):
        latest.setdefault(saved.query, saved)
    return sorted(latest.values(), key=lambda s: (s.created_at, s.pk))


class SavedSearchAlerts:
    def switches(self, *, address: str) -> list[Switch]:
        return [
            Switch(
                key=f"{KEY_PREFIX}{saved.pk}",
                group=Group.ALERTS,
                label=_("New cars and price drops for my saved search “%(name)s”")
                % {"name": saved.description or saved.query},
                help_text=_("At most one email a day."),
                enabled=saved.cancelled_at is None,
            )
            for saved in _searches(address)
        ]

    def apply(self, *, address: str, switch: Switch, enabled: bool) -> None:
        pk = int(switch.key.removeprefix(KEY_PREFIX))
        with transaction.atomic():
            saved = SavedSearch.objects.select_for_update().get(
                pk=pk, email=address.strip().lower()
            )
            if enabled and saved.cancelled_at is not None:
                # Alerts again from now on (not a flood of what came meanwhile), with the
                # wording of the switch as this search's consent.
                saved.cancelled_at = None
                saved.last_checked_at = timezone.now()
                saved.consent_wording = switch.label
                saved.save(update_fields=["cancelled_at", "last_checked_at", "consent_wording"])
            elif not enabled and saved.cancelled_at is None:
                saved.cancelled_at = timezone.now()
                saved.save(update_fields=["cancelled_at"])
