"""Recipient addresses in one canonical form: emails lower-case, phone numbers in E.164."""

import phonenumbers
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
