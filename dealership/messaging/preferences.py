"""The customer's preference page: one switch per purpose, each with its own record.

Every purpose we send email for is listed with its own switch, and turning one switch on or
off writes that purpose's record and nothing else:

- service messages (booking confirmations, reminders, order updates): the address's
  suppression, which stops everything when it is off;
- offers and news by email: the address's marketing consent (``Consent``, channel email);
- offers and news by SMS: the marketing consent of a mobile number on file for the same person
  (the leads app provides these switches);
- the alerts of each saved search, by its name (the inventory app provides these).

Apps above messaging add their switches with ``register`` (from their ``AppConfig.ready``),
so messaging imports none of them. A switch's key is resolved against the switches of the
token's own address, never trusted from the form: a key of anybody else's saved search or
number is not on the page and is refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Channel, Suppression

SOURCE = "preference page"


class Group:
    SERVICE = "service"
    MARKETING = "marketing"
    ALERTS = "alerts"

    # In the order the page shows them.
    TITLES = {
        SERVICE: gettext_lazy("About your bookings and orders"),
        MARKETING: gettext_lazy("Offers and news"),
        ALERTS: gettext_lazy("Alerts you asked for"),
    }


@dataclass(frozen=True)
class Switch:
    """One purpose on the page: ``key`` is what its form posts."""

    key: str
    group: str
    label: str
    enabled: bool
    help_text: str = ""

    @property
    def html_id(self) -> str:
        return "switch-" + "".join(c if c.isalnum() else "-" for c in self.key)


class Provider(Protocol):
    def switches(self, *, address: str) -> Iterable[Switch]: ...

    def apply(self, *, address: str, switch: Switch, enabled: bool) -> None: ...


class _Messaging:
    """The purposes messaging keeps itself: service messages and email offers."""

    def switches(self, *, address: str) -> list[Switch]:
        from .selectors import consent_state

        state = consent_state(channel=Channel.EMAIL, address=address)
        return [
            Switch(
                key="transactional",
                group=Group.SERVICE,
                label=_("Service emails: confirmations, reminders and updates on my orders"),
                help_text=_("Off stops every email from us, offers and alerts included."),
                enabled=not state.suppressed,
            ),
            Switch(
                key="marketing:email",
                group=Group.MARKETING,
                label=_("Send me offers and news by email"),
                enabled=state.granted,
            ),
        ]

    def apply(self, *, address: str, switch: Switch, enabled: bool) -> None:
        from .services import consent_record, suppression_add, suppression_lift

        if switch.key == "transactional":
            if enabled:
                suppression_lift(channel=Channel.EMAIL, address=address)
            else:
                suppression_add(
                    channel=Channel.EMAIL, address=address, reason=Suppression.Reason.UNSUBSCRIBED
                )
        else:
            consent_record(
                channel=Channel.EMAIL,
                address=address,
                granted=enabled,
                source=SOURCE,
                wording=switch.label,
            )


_PROVIDERS: list[Provider] = [_Messaging()]


def register(provider: Provider) -> None:
    """Add an app's switches to the page (idempotent: one provider per class)."""
    if not any(type(p) is type(provider) for p in _PROVIDERS):
        _PROVIDERS.append(provider)


def _all(address: str) -> list[tuple[Provider, Switch]]:
    return [(p, switch) for p in _PROVIDERS for switch in p.switches(address=address)]


def preference_switches(*, address: str) -> list[Switch]:
    """Every switch of one email address, grouped in the page's order."""
    order = list(Group.TITLES)
    switches = [switch for _provider, switch in _all(address)]
    return sorted(switches, key=lambda s: order.index(s.group))


def preference_groups(*, address: str) -> list[tuple[str, list[Switch]]]:
    switches = preference_switches(address=address)
    return [
        (str(title), [s for s in switches if s.group == group])
        for group, title in Group.TITLES.items()
        if any(s.group == group for s in switches)
    ]


def preference_set(*, address: str, key: str, enabled: bool) -> Switch | None:
    """Turn one of the address's switches on or off, recording its wording; nothing else
    changes. None (and nothing written) for a key that is not one of its switches."""
    for provider, switch in _all(address):
        if switch.key == key:
            with transaction.atomic():
                provider.apply(address=address, switch=switch, enabled=enabled)
            return replace(switch, enabled=enabled)
    return None
