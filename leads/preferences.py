"""The SMS offers switches on the customer's email preference page (see
dealership/messaging/preferences.py): one per mobile number on file for the email address,
each recording that number's own marketing consent."""

from django.utils.translation import gettext as _

from dealership.messaging.models import Channel
from dealership.messaging.preferences import SOURCE, Group, Switch

from .models import Customer

KEY_PREFIX = "marketing:sms:"


def _customers(address: str) -> list[Customer]:
    """Customers with this email and a mobile number, one per number (the oldest record)."""
    seen, found = set(), []
    for customer in (
        Customer.objects.filter(email__iexact=address, merged_into__isnull=True)
        .exclude(mobile_phone="")
        .order_by("pk")
        .only("pk", "mobile_phone", "email")
    ):
        if customer.mobile_phone not in seen:
            seen.add(customer.mobile_phone)
            found.append(customer)
    return found


class SmsOffers:
    def switches(self, *, address: str) -> list[Switch]:
        from dealership.messaging.selectors import consent_state

        if not address:
            return []
        return [
            Switch(
                key=f"{KEY_PREFIX}{customer.pk}",
                group=Group.MARKETING,
                # Only the last digits: the page is reached by a link in an email.
                label=_("Send me offers and news by SMS to my mobile ending in %(digits)s")
                % {"digits": customer.mobile_phone[-3:]},
                enabled=consent_state(channel=Channel.SMS, address=customer.mobile_phone).granted,
            )
            for customer in _customers(address)
        ]

    def apply(self, *, address: str, switch: Switch, enabled: bool) -> None:
        from dealership.messaging.services import consent_record

        pk = int(switch.key.removeprefix(KEY_PREFIX))
        customer = next(c for c in _customers(address) if c.pk == pk)
        consent_record(
            channel=Channel.SMS,
            address=customer.mobile_phone,
            granted=enabled,
            source=SOURCE,
            wording=switch.label,
            customer_id=customer.pk,
        )
