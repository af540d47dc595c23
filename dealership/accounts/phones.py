"""Phone numbers as people at a location dial them: a number in the location's own country
in national format ("0341 5550100" in Leipzig), any other in international format
("+358 40 1234567"), so nobody has to strip a country code they never dial."""

import phonenumbers


def _parse(value, region: str | None):
    try:
        number = phonenumbers.parse(str(value or ""), region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _region(location) -> str | None:
    return (getattr(location, "country", "") or "").upper() or None


def phone_local(value, location=None) -> str:
    """The number for someone at `location` (None: everyone, so international). Text that is
    not a phone number comes back as it was."""
    region = _region(location)
    number = _parse(value, region)
    if number is None:
        return str(value or "")
    national = region is not None and phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if national else None
    return phonenumbers.format_number(number, style or phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_uri(value, location=None) -> str:
    """The tel: link target, always E.164 (works from any country)."""
    number = _parse(value, _region(location))
    if number is None:
        return ""
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
