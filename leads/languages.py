"""The language a customer chose, by the address messages go to: read and written by the
email preference page (dealership.messaging sits below leads, so the setting
MESSAGING_ADDRESS_LANGUAGE names these functions, and the page resolver imports them)."""

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Customer


def _customers(*, channel: str, address: str):
    if not address:
        return Customer.objects.none()
    if channel == "email":
        condition = Q(email__iexact=address)
    else:
        condition = Q(mobile_phone=address) | Q(other_phone=address)
    return Customer.objects.filter(condition, merged_into__isnull=True)


def address_language(*, channel: str, address: str) -> str:
    """The stored language of the newest live customer with this address ("" for none)."""
    found = (
        _customers(channel=channel, address=address)
        .exclude(language="")
        .order_by("-updated_at", "-pk")
        .values_list("language", flat=True)
        .first()
    )
    return found or ""


def address_language_set(*, channel: str, address: str, language: str) -> int:
    """Store ``language`` on every live customer with this address; how many changed."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return 0
    return (
        _customers(channel=channel, address=address)
        .exclude(language=language)
        .update(language=language, updated_at=timezone.now())
    )
