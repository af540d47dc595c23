"""Money and units formatted for the visitor's language."""

from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal
from django import template
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.safestring import mark_safe

register = template.Library()


def _locale() -> str:
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


@register.filter
def money(amount) -> str:
    """``{{ vehicle.price|money }}`` → "€24,990.00" (en) / "24.990,00 €" (de)."""
    if amount in (None, ""):
        return ""
    return format_currency(Decimal(amount), settings.CURRENCY, locale=_locale())


@register.filter
def money_whole(amount) -> str:
    """Rounded to whole units for headlines and cards: "€24,990" / "24.990 €"."""
    if amount in (None, ""):
        return ""
    locale = Locale.parse(_locale())
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
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


CARD_CACHE_SECONDS = 3600


@register.simple_tag
def vehicle_card_body(vehicle) -> str:
    """The part of a result card that is the same for every visitor, cached per vehicle state.

    The key holds everything the fragment shows that can change (the row's updated_at, its
    primary thumbnail, the language), so a stale card is never served: a change makes a new key.
    """
    key = "inventory:card:{}:{}:{}:{}".format(
        translation.get_language(),
        vehicle.pk,
        vehicle.updated_at.timestamp() if vehicle.updated_at else "",
        getattr(vehicle, "card_thumbnail", "") or "",
    )
    html = cache.get(key)
    if html is None:
        html = render_to_string("inventory/partials/vehicle_card_body.html", {"vehicle": vehicle})
        cache.set(key, html, CARD_CACHE_SECONDS)
    # Our own template's output, escaped when it was rendered.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703
