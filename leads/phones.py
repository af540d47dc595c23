"""Phone numbers to E.164, read with the location's country as the default region."""

import phonenumbers


def phone_to_e164(raw: str, *, region: str) -> str | None:
    """ "0151 23456789" with region DE → "+4915123456789"; None when it is no valid number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_to_e164_first(raw: str, *, regions) -> str | None:
    """The number read with the first of `regions` (ISO country codes, blanks and unknown
    codes skipped) under which it is valid; None when none is."""
    tried = set()
    for region in regions:
        region = (region or "").upper()
        if region in tried or region not in phonenumbers.SUPPORTED_REGIONS:
            continue
        tried.add(region)
        if e164 := phone_to_e164(raw, region=region):
            return e164
    return None


def phone_display(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
