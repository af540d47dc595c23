"""Money and units formatted for the visitor's language."""

import functools
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal
from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.template import Context
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.safestring import SafeString

from inventory.cards import card_body

register = template.Library()


def _locale() -> str:
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


@register.filter
def money(amount) -> str:
    """``{{ vehicle.price|money }}`` → "€24,990.00" (en) / "24.990,00 €" (de)."""
    if amount in (None, ""):
        return ""
    return format_currency(Decimal(amount), settings.CURRENCY, locale=_locale())


@functools.lru_cache(maxsize=32)
def _whole_pattern(locale_name: str) -> tuple[Locale, str]:
    """The locale and its currency pattern without decimals, parsed once per language."""
    locale = Locale.parse(locale_name)
    return locale, locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")


@register.filter
def money_whole(amount) -> str:
    """Rounded to whole units for headlines and cards: "€24,990" / "24.990 €"."""
    if amount in (None, ""):
        return ""
    locale, pattern = _whole_pattern(_locale())
    return format_currency(
        Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP),
        settings.CURRENCY,
        format=pattern,
        locale=locale,
        currency_digits=False,
    )


@register.filter
def km(value) -> str:
    """``{{ vehicle.mileage|km }}`` → "42,300 km" / "42.300 km"."""
    if value in (None, ""):
        return ""
    return f"{format_decimal(value, locale=_locale())}\u00a0km"


@register.filter
def percent(value) -> str:
    if value in (None, ""):
        return ""
    return f"{format_decimal(Decimal(value).normalize(), locale=_locale())}\u00a0%"


@register.filter
def media(name) -> str:
    """The public URL of a stored file name (works for any storage backend, S3 included)."""
    if not name:
        return ""
    return default_storage.url(str(name))


@register.filter
def in_list(value, values) -> bool:
    return value in (values or ())


@register.simple_tag
def cta_url(url_name: str, vehicle_id: int) -> str:
    """The URL of a call to action another app provides, or "" until that app exists."""
    try:
        return reverse(url_name, kwargs={"vehicle_id": vehicle_id})
    except NoReverseMatch:
        return ""


@register.simple_tag
def compare_value(vehicle, attribute: str) -> str:
    """One cell of the compare table, formatted like the rest of the site."""
    value = getattr(vehicle, attribute)
    if callable(value):
        value = value()
    if attribute == "price":
        return money_whole(value)
    if attribute == "mileage":
        return km(value)
    return "—" if value in (None, "") else str(value)


@register.simple_tag
def vehicle_card_body(vehicle) -> str:
    """The part of a result card that is the same for every visitor (see inventory/cards.py)."""
    return card_body(vehicle)


_ACTION_KEYS = ("csrf_token", "compare_url", "favourites_url", "current_path")


@register.simple_tag(takes_context=True)
def vehicle_card_actions(context, vehicle) -> str:
    """A card's compare and save buttons: the same partials the toggle views swap in, rendered
    with a small context of their own instead of included into the page's deep one (a page
    shows 24 cards; the includes were most of its rendering time)."""
    values = {key: context.get(key, "") for key in _ACTION_KEYS}
    values["vehicle_id"] = vehicle.pk
    compare = get_template("inventory/partials/compare_button.html").template
    favourites = get_template("inventory/partials/favourites_button.html").template
    active = {
        "compare": vehicle.pk in (context.get("compare_ids") or ()),
        "favourites": vehicle.pk in (context.get("favourite_ids") or ()),
    }
    parts = [
        partial.render(Context({**values, "active": active[name]}, autoescape=context.autoescape))
        for name, partial in (("compare", compare), ("favourites", favourites))
    ]
    # Our own templates' output, escaped when rendered.
    return SafeString("\n    ".join(parts))  # nosec B703
