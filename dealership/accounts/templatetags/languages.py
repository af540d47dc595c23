"""The showroom's language switcher and its ``hreflang`` alternates.

``{% language_alternates %}`` in the head: one ``<link rel="alternate" hreflang>`` per language
(absolute URLs of this page in each) and ``x-default`` (the unprefixed English page).
``{% language_switcher %}``: a plain form posting to ``set_language`` with ``next`` (the view
moves it into the chosen language), so it works without JavaScript.
"""

from django import template
from django.conf import settings
from django.utils.html import format_html_join
from django.utils.translation import get_language, get_language_info

from ..language import language_url

register = template.Library()


def hreflang(code: str) -> str:
    """BCP 47 spelling of a Django language code: "zh-hans" is "zh-Hans"."""
    language, _sep, rest = code.partition("-")
    if not rest:
        return language
    return f"{language}-{rest.title() if len(rest) == 4 else rest.upper()}"


def page_alternates(request) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for every language and x-default; [] for a page that did not
    resolve (a 404 has no versions in other languages)."""
    if request is None or getattr(request, "resolver_match", None) is None:
        return []
    path = request.get_full_path()
    urls = [
        (hreflang(code), request.build_absolute_uri(language_url(path, code)))
        for code, _name in settings.LANGUAGES
    ]
    default = request.build_absolute_uri(language_url(path, settings.LANGUAGE_CODE))
    return [*urls, ("x-default", default)]


@register.simple_tag(takes_context=True)
def language_alternates(context) -> str:
    alternates = page_alternates(context.get("request"))
    return format_html_join("\n  ", '<link rel="alternate" hreflang="{}" href="{}">', alternates)


@register.inclusion_tag("partials/language_switcher.html", takes_context=True)
def language_switcher(context) -> dict:
    request = context.get("request")
    current = get_language() or settings.LANGUAGE_CODE
    return {
        "next": request.get_full_path() if request is not None else "/",
        "current": current,
        "choices": [
            (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ],
    }
