"""Which language a request is answered in, and the URL of a page in another language.

The URL carries the language (``i18n_patterns`` with a prefix for every language but the
default, English): ``/de/vehicles/`` is German, ``/vehicles/`` is English unless the visitor
has chosen otherwise. Django's LocaleMiddleware cannot do this (with
``prefix_default_language=False`` it forces English on every unprefixed URL), so
``LanguageMiddleware`` decides, in this order:

1. the URL's language prefix;
2. the signed-in staff member's stored language (``User.language``);
3. the language cookie (set by the switcher): a choice made in this browser;
   then the known customer's stored language (``Customer.language``, for the pages that
   name one by a token: see ``register_view``);
4. the first supported language of the browser's ``Accept-Language``;
5. when the browser asks only for languages the site does not offer: the default language of
   the location the page is about (a vehicle's, a booking's), else of the main location;
6. English.

A page navigation (GET or HEAD of an HTML page, not an htmx fragment, not a staff page or a
webhook) to an unprefixed URL whose language comes out other than English is redirected to the
prefixed URL. A request with none of these headers (a bot, the test client) stays English,
and so does a request that does not ask for HTML (a script's fetch): it is answered in place,
with ``Content-Language`` and ``Vary: Accept-Language, Cookie``.

Higher apps tell this module which pages know a customer or a location (``register_view``,
called from ``dealership.urls``), so the arrows keep pointing down.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from .location_cache import location_list_public_cached

# Pages that are never redirected to a prefixed URL (machines post to them, or they are not
# pages at all). Staff pages and Django admin are matched by their path.
NEVER_REDIRECTED = {
    "inventory:sitemap",
    "messaging:sms-inbound",
    "messaging:sms-receipt",
    "orders:webhook",
    "leads:adf_receive",
    "set_language",
}
UNREDIRECTED_PREFIXES = ("/staff/", "/admin/")


@dataclass(frozen=True)
class ViewLanguageSource:
    """What a page's URL arguments say: its customer's stored language, its location."""

    customer_language: Callable[..., str | None] | None = None
    location: Callable[..., object | None] | None = None


_SOURCES: dict[str, ViewLanguageSource] = {}


def register_view(
    view_name: str,
    *,
    customer_language: Callable[..., str | None] | None = None,
    location: Callable[..., object | None] | None = None,
) -> None:
    """Tell the middleware how a page (by its namespaced URL name) finds its customer's language
    or its location from the URL's keyword arguments. The callables may return None (an
    unknown token, a sold car) and must not raise for bad input."""
    _SOURCES[view_name] = ViewLanguageSource(customer_language, location)


def supported_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def supported(code: str | None) -> str | None:
    """``code`` as one of LANGUAGES ("de-AT" gives "de"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def user_language(user) -> str:
    """The language to write to a staff member in (emails, notices): their stored
    ``User.language`` as one of LANGUAGES, "" (the site's default) without one."""
    return supported(getattr(user, "language", "")) or ""


def accept_language_choice(header: str) -> str | None:
    """The browser's most wanted language that the site offers, or None."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        found = supported(code)
        if found:
            return found
    return None


def main_location():
    """The dealership's main location: ``SHOWROOM_MAIN_LOCATION`` (a slug), else the oldest
    active one. Read from the cached public list (no query on most requests)."""
    locations = location_list_public_cached()
    if not locations:
        return None
    slug = getattr(settings, "SHOWROOM_MAIN_LOCATION", "")
    for location in locations:
        if slug and location.slug == slug:
            return location
    return min(locations, key=lambda location: location.pk)


def _source(match) -> ViewLanguageSource | None:
    if match is None:
        return None
    return _SOURCES.get(match.view_name)


def _call(func, kwargs):
    if func is None:
        return None
    try:
        return func(**kwargs)
    except (ValueError, TypeError, LookupError):
        return None


def request_language(request, match=None) -> str:
    """The language for a request to an unprefixed URL (steps 2 to 6 above)."""
    has_cookie = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            found = supported(getattr(user, "language", ""))
            if found:
                return found
    # The switcher's cookie is a choice made in this browser, so it outranks what a form
    # once stored on the customer: picking English on a signed-link page stays English.
    if has_cookie:
        found = supported(request.COOKIES[settings.LANGUAGE_COOKIE_NAME])
        if found:
            return found
    source = _source(match)
    # A browser (it sends a language header) on a page that names its customer: the
    # customer's own choice. Bots and scripts send no header and stay English.
    if source is not None and header:
        found = supported(_call(source.customer_language, match.kwargs))
        if found:
            return found
    if header:
        found = accept_language_choice(header)
        if found:
            return found
        location = None
        if source is not None:
            location = _call(source.location, match.kwargs)
        if location is None:
            location = main_location()
        found = supported(getattr(location, "default_language", ""))
        if found:
            return found
    return settings.LANGUAGE_CODE


def path_language(path: str) -> str:
    """The language a URL's prefix names (English for an unprefixed one)."""
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def language_url(url: str, language: str) -> str:
    """``url`` (a path with its query) in ``language``: ``translate_url`` with the URL's own
    language active, so it works whatever the request's language is. A URL that does not
    resolve comes back unchanged."""
    with translation.override(path_language(urlsplit(url).path)):
        return translate_url(url, language)


def _is_navigation(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.headers.get("HX-Request") == "true":
        return False
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode:
        return mode == "navigate"
    return "text/html" in request.headers.get("Accept", "")


def _redirectable(request, match) -> bool:
    if match is None or match.view_name in NEVER_REDIRECTED:
        return False
    if request.path_info.startswith(UNREDIRECTED_PREFIXES):
        return False
    return _is_navigation(request)


def _activate(request, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


class LanguageMiddleware:
    """Replaces django.middleware.locale.LocaleMiddleware (see the module's docstring).

    The prefix's language (English for an unprefixed URL) is active while the URL resolves,
    as ``i18n_patterns`` requires; for an unprefixed URL the request's own language is chosen
    in ``process_view``, which knows the page and so its customer and location."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        previous = translation.get_language()
        prefixed = translation.get_language_from_path(request.path_info)
        request.language_from_path = prefixed
        _activate(request, prefixed or settings.LANGUAGE_CODE)
        try:
            response = self.get_response(request)
            if not prefixed:
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            # Nothing leaks into the next request on this thread (or into a test).
            translation.activate(previous) if previous else translation.deactivate()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.language_from_path:
            return None
        match = request.resolver_match
        language = request_language(request, match)
        if language == settings.LANGUAGE_CODE:
            return None
        _activate(request, language)
        if not _redirectable(request, match):
            return None
        target = language_url(request.get_full_path(), language)
        if urlsplit(target).path == request.path:
            return None
        response = HttpResponseRedirect(target)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
