"""Merge fields in a campaign text: {first_name} {their_car} {matching_vehicle} {price}
{consultant} {booking_link}. Pure: values in, text out. A field without a value for this
recipient becomes a neutral phrase, so nobody reads "Dear ,"; unknown {names} stay as typed
(and the form refuses them before anything is sent)."""

import re
from functools import lru_cache

from django.utils.translation import get_language
from django.utils.translation import gettext as _

FIELD_RE = re.compile(r"\{([a-z_]+)\}")
FIELDS = ("first_name", "their_car", "matching_vehicle", "price", "consultant", "booking_link")


def fallbacks() -> dict[str, str]:
    """The neutral text of each field, in the active language."""
    return dict(_fallbacks(get_language()))


@lru_cache(maxsize=16)
def _fallbacks(language: str | None) -> dict[str, str]:
    return {
        "first_name": _("valued customer"),
        "their_car": _("your car"),
        "matching_vehicle": _("one of our cars in stock"),
        "price": _("an attractive price"),
        "consultant": _("your sales team"),
        "booking_link": "",
    }


def unknown_fields(text: str) -> list[str]:
    return sorted({name for name in FIELD_RE.findall(text or "") if name not in FIELDS})


def merge(text: str, values: dict[str, str]) -> str:
    neutral: dict[str, str] = {}  # translated only when a field has no value

    def replace(match):
        name = match.group(1)
        if name not in FIELDS:
            return match.group(0)
        value = (values.get(name) or "").strip()
        if value:
            return value
        if not neutral:
            neutral.update(fallbacks())
        return neutral[name]

    return FIELD_RE.sub(replace, text or "")
