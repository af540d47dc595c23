"""Money and units formatted for the visitor's language."""

import functools
import secrets
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
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory.cards import card_body
from inventory.fragments import fragment_get, fragment_set

register = template.Library()


# Django's language code where CLDR's locale of the same name is another country's: Django's
# "pt" is Portugal's Portuguese, CLDR's "pt" is Brazil's ("€ 41.390" instead of "41 390 €").
_CLDR_LOCALES = {"pt": "pt_PT"}


def _locale() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return _CLDR_LOCALES.get(language) or translation.to_locale(language)


def _currency(location) -> str:
    """The location's currency (its country's), the site's CURRENCY without one."""
    return getattr(location, "currency", None) or settings.CURRENCY


@register.filter
def money(amount, location=None) -> str:
    """``{{ vehicle.price|money }}`` → "€24,990.00" (en) / "24.990,00 €" (de) /
    "24 990,00 €" (fi, pt); ``|money:location`` in that location's currency."""
    if amount in (None, ""):
        return ""
    return format_currency(Decimal(amount), _currency(location), locale=_locale())


@functools.lru_cache(maxsize=32)
def _whole_pattern(locale_name: str) -> tuple[Locale, str]:
    """The locale and its currency pattern without decimals, parsed once per language."""
    locale = Locale.parse(locale_name)
    return locale, locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")


@register.filter
def money_whole(amount, location=None) -> str:
    """Rounded to whole units for headlines and cards: "€24,990" / "24.990 €"."""
    if amount in (None, ""):
        return ""
    locale, pattern = _whole_pattern(_locale())
    return format_currency(
        Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP),
        _currency(location),
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


@register.simple_tag(takes_context=True)
def compare_count_label(context) -> str:
    """The compare link's label with the visitor's count (a hole on a cached page)."""
    holes = context.get("page_cache_holes")
    if holes is not None:
        return holes.compare_count
    count = len(context.get("compare_ids") or ())
    return ngettext("Compare (%(counter)s)", "Compare (%(counter)s)", count) % {"counter": count}


_ACTION_KEYS = ("csrf_token", "compare_url", "favourites_url", "current_path")
_ACTIONS_MEMO = "_inventory_card_actions"


# Rendered into the cached variants where each page's CSRF token (or its hole) goes.
_CSRF_SENTINEL = f"csrf{secrets.token_hex(12)}"


def _rendered_action_variants(
    language: str, autoescape: bool, compare_url: str, favourites_url: str, current_path: str
) -> tuple[str, dict[tuple[bool, bool], str]]:
    """The four button variants of one page, rendered once per page render (the caller keeps
    them on the Context) with a sentinel for the CSRF token. Nothing else goes in: the partials
    see only these values. (A per-process memo of these showed no gain in
    ``make bench BENCH_ARGS=caching``: see docs/caching.md.)"""
    placeholder = f"vehicle-{secrets.token_hex(8)}"
    values = {
        "csrf_token": _CSRF_SENTINEL,
        "compare_url": compare_url,
        "favourites_url": favourites_url,
        "current_path": current_path,
        "vehicle_id": placeholder,
    }
    partials = {
        name: get_template(f"inventory/partials/{name}_button.html").template
        for name in ("compare", "favourites")
    }
    rendered = {
        (name, active): partial.render(Context({**values, "active": active}, autoescape=autoescape))
        for name, partial in partials.items()
        for active in (False, True)
    }
    variants = {
        (compare, favourite): "\n    ".join(
            (rendered[("compare", compare)], rendered[("favourites", favourite)])
        )
        for compare in (False, True)
        for favourite in (False, True)
    }
    return placeholder, variants


def _card_action_variants(context) -> tuple[str, dict[tuple[bool, bool], str]]:
    """The compare and save buttons for each pressed/unpressed pair, with a random placeholder
    where the vehicle id goes (so nothing a visitor typed can be mistaken for it) and this
    page's CSRF token (or its hole) put in. Kept on the render's Context object: it lives as
    long as the page's render, across the per-card includes, and never leaks into another
    request."""
    memo = getattr(context, _ACTIONS_MEMO, None)
    if memo is not None:
        return memo
    placeholder, rendered = _rendered_action_variants(
        translation.get_language() or "",
        context.autoescape,
        *(str(context.get(key, "")) for key in _ACTION_KEYS[1:]),
    )
    csrf = str(conditional_escape(context.get("csrf_token", "")))
    variants = {state: html.replace(_CSRF_SENTINEL, csrf) for state, html in rendered.items()}
    memo = (placeholder, variants)
    setattr(context, _ACTIONS_MEMO, memo)
    holes = context.get("page_cache_holes")
    if holes is not None:
        holes.variants, holes.vehicle_placeholder = variants, placeholder
    return memo


@register.simple_tag(takes_context=True)
def vehicle_card_actions(context, vehicle) -> str:
    """A card's compare and save buttons: the same partials the toggle views swap in. A page
    shows 24 cards; rendering the partials per card was half of its rendering time, so each
    variant is rendered once per page and the card's id put in."""
    placeholder, variants = _card_action_variants(context)
    holes = context.get("page_cache_holes")
    if holes is not None:
        # A page stored for every visitor: the buttons are filled in per request.
        return holes.actions(vehicle.pk)
    html = variants[
        (
            vehicle.pk in (context.get("compare_ids") or ()),
            vehicle.pk in (context.get("favourite_ids") or ()),
        )
    ]
    # Our own templates' output, escaped when rendered; the id is an integer.
    return SafeString(html.replace(placeholder, str(int(vehicle.pk))))  # nosec B703


_CARD = (
    '<article class="card h-100 vehicle-card">\n  {body}\n'
    '  <div class="card-footer bg-transparent border-0 pt-0 d-flex gap-2 position-relative '
    'card-actions">\n    {actions}\n  </div>\n</article>'
)


def _card_html(context, vehicle) -> str:
    return _CARD.format(
        body=vehicle_card_body(vehicle), actions=vehicle_card_actions(context, vehicle)
    )


@register.simple_tag(takes_context=True)
def vehicle_card(context, vehicle) -> str:
    """One result card: the cached body and the visitor's buttons."""
    # Both parts are our own templates' escaped output.
    return SafeString(_card_html(context, vehicle))  # nosec B703


_LAZY = ' loading="lazy"'
_EAGER = ' loading="eager" fetchpriority="high"'


@register.simple_tag(takes_context=True)
def vehicle_card_columns(context, vehicles, eager_first: bool = False) -> str:
    """A grid's cards, each in its column: one tag instead of an {% include %} per card (the
    include's context and template machinery was a third of a results page's rendering).

    ``eager_first``: the first card's photo is the page's largest paint (the search results),
    so it loads at once with high priority; the others stay lazy. The cached card bodies are
    the same for every position: the attribute is switched here."""
    cards = [_card_html(context, v) for v in vehicles]
    if eager_first and cards:
        cards[0] = cards[0].replace(_LAZY, _EAGER, 1)
    html = "".join(f'<div class="col">{card}</div>' for card in cards)
    return SafeString(html)  # nosec B703 - our own templates' escaped output


class PageFragmentNode(template.Node):
    def __init__(self, nodelist, name: str, key):
        self.nodelist, self.name, self.key = nodelist, name, key

    def render(self, context) -> str:
        holes = context.get("page_cache_holes")
        key = self.key.resolve(context, ignore_failures=True)
        if holes is None or not key:
            return self.nodelist.render(context)
        key = f"{key}:{self.name}"
        html = fragment_get(key, holes.token)
        if html is None:
            html = self.nodelist.render(context)
            fragment_set(key, holes.token, html)
        elif holes.actions(0)[:-2] in html:
            # A stored compare/save buttons hole: the page needs the buttons' variants.
            _card_action_variants(context)
        return SafeString(html)  # nosec B703 - our template's escaped output, stored as str


@register.tag
def page_fragment(parser, token):
    """``{% page_fragment "name" key %}…{% endpage_fragment %}``: the enclosed part of a page
    rendered for the page cache, stored under ``key`` (see inventory/fragments.py) and reused
    by the next render with the same key; rendered as usual without a key or outside the page
    cache (a logged-in visitor's page)."""
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError("page_fragment takes a name and a key")
    nodelist = parser.parse(("endpage_fragment",))
    parser.delete_first_token()
    return PageFragmentNode(nodelist, bits[1].strip("\"'"), parser.compile_filter(bits[2]))


@register.simple_tag
def vehicle_transit(vehicle) -> str:
    """ "In transit to Leipzig, arrives 12 Dec" for a car a transfer has on the road, else "".
    The destination comes from the cached public locations (no query on a results page)."""
    # A row loaded without the transit columns (.only() elsewhere) is not asked for them:
    # that would be a query per card.
    if not vehicle.__dict__.get("transit_to_id"):
        return ""
    from django.template.defaultfilters import date as date_filter

    from dealership.accounts.location_cache import location_list_public_cached

    city = next(
        (loc.city for loc in location_list_public_cached() if loc.pk == vehicle.transit_to_id),
        None,
    )
    if city is None:
        city = vehicle.transit_to.city
    if vehicle.transit_eta is None:
        return _("In transit to %(city)s") % {"city": city}
    return _("In transit to %(city)s, arrives %(date)s") % {
        "city": city,
        "date": date_filter(vehicle.transit_eta, "j M"),
    }
