"""Recipient addresses in one canonical form: emails lower-case, phone numbers in E.164."""

import hashlib
import hmac

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import Channel


def normalise_email(value: str) -> str:
    address = (value or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address."),
            code="invalid_email",
            params={"value": value},
        ) from None
    return address


def normalise_phone(value: str, *, default_region: str | None = None) -> str:
    """E.164, parsing national formats (0151 23456789) with the location's country."""
    try:
        number = phonenumbers.parse(value or "", (default_region or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."),
            code="invalid_phone",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_address(channel: str, value: str, *, default_region: str | None = None) -> str:
    if channel == Channel.EMAIL:
        return normalise_email(value)
    return normalise_phone(value, default_region=default_region)


# Suppressions of erased people are kept as this hash instead of the address (see
# `suppression_pseudonymise`): the outbox still recognises the address if it comes back,
# but the table no longer says whose it was.
ADDRESS_HASH_PREFIX = "hmac-sha256:"


def address_hash(channel: str, address: str) -> str:
    """A salted (SECRET_KEY) HMAC of a normalised address on one channel."""
    message = f"{channel}:{(address or '').strip().lower()}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"{ADDRESS_HASH_PREFIX}{digest}"
