"""The showroom's search and vehicle pages for anonymous visitors, served from the cache with
the per-visitor parts punched out.

A cacheable request (GET, or HEAD: the same answer without its body; no session cookie:
nobody logged in, no flash message waiting) is rendered once per (scheme, host, path, query
with its parameters in a fixed order, language, htmx partial or not, inventory version,
location version, page version) and stored as HTML
with *holes*: markers made with a random token chosen at render time, which nothing on the
page (a visitor's search text included) can guess. Every response, the first one included,
fills the holes for the visitor asking:

- the CSRF token (``csrf_token`` in the template context is the hole; the real token comes
  from ``get_token``, so Django still sets or refreshes the CSRF cookie and forms still post);
- the compare and save buttons of every vehicle (pressed or not, from the visitor's signed
  cookies: see visitor.py), one of four variants rendered with the page;
- the number of cars on the visitor's compare list.

Nothing else on these pages depends on the visitor. Flash messages live in the session or in
the ``messages`` cookie; a request carrying either is rendered afresh and never stored, and so
is a logged-in user's (the session cookie). A version change makes new keys, so a sale, a
price change or an edited location shows on the next request; old entries expire after
``SHOWROOM_PAGE_CACHE_SECONDS`` (0 turns the cache off).

The responses stay ``Cache-Control: private`` (they carry a CSRF token and the visitor's
lists) and vary on Cookie and HX-Request.
"""

import functools
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import ngettext

from dealership.core import caching

from . import visitor


def page_cache_invalidate() -> None:
    """A new page version: for changes the showroom shows that keep the inventory version (a
    photo becoming ready). Every service that calls ``facets_invalidate`` needs nothing more."""
    caching.bump(caching.PAGES)


def _versions() -> tuple[str, ...]:
    return caching.versions(*caching.PAGE.versions)


@dataclass
class PageHoles:
    """What a cacheable render needs: the token its markers are made of, and the card-action
    variants the ``vehicle_card_actions`` tag rendered (with their own vehicle placeholder)."""

    token: str = field(default_factory=lambda: f"hole{secrets.token_hex(10)}")
    variants: dict[tuple[bool, bool], str] = field(default_factory=dict)
    vehicle_placeholder: str = ""

    @property
    def csrf(self) -> str:
        return f"{self.token}c"

    @property
    def compare_count(self) -> str:
        return f"{self.token}n"

    def actions(self, vehicle_id: int) -> str:
        return f"{self.token}a{int(vehicle_id)}."


def hole_context(request) -> dict:
    """Context for a render that will be cached: the CSRF hole instead of the token (a view's
    context outranks the context processors) and the holes object for the template tags."""
    holes = getattr(request, "page_cache_holes", None)
    if holes is None:
        return {}
    return {"csrf_token": holes.csrf, "page_cache_holes": holes}


@functools.cache
def _known_params() -> frozenset[str]:
    """The query parameters these pages read: the search filters, its cursors and the payment
    calculator's inputs."""
    from .forms import PaymentCalculatorForm, VehicleSearchForm

    return (
        frozenset(VehicleSearchForm.base_fields)
        | frozenset(PaymentCalculatorForm.base_fields)
        | {"after", "before"}
    )


def _cacheable(request) -> bool:
    """Only a GET (or HEAD) from nobody in particular, whose query the page reads in full. A URL with
    other parameters (an ad's ``utm_source`` or ``gclid``, a made-up ``?x=1``) is rendered
    afresh and never stored: otherwise every tracking link would store one more copy of the
    same page (about 60 KB each) in the cache, which in production is the Redis that also
    holds the task queue."""
    return (
        caching.seconds(caching.PAGE) > 0
        and caching.enabled(caching.PAGE.name)
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and _known_params().issuperset(request.GET.keys())
    )


def _key(request, versions: tuple[str, ...]) -> str:
    query = sorted(request.GET.lists())
    state = (
        request.scheme,
        request.get_host(),
        request.path,
        query,
        translation.get_language(),
        request.headers.get("HX-Request") == "true",
        request.headers.get("HX-Boosted") == "true",
        versions,
    )
    return caching.key(caching.PAGE, caching.digest(state))


def _fill(request, entry: dict) -> bytes:
    """The stored page with this visitor's token, buttons and compare count put in."""
    token = entry["token"]
    csrf = get_token(request).encode()
    compare_ids = set(visitor.visitor_ids(request, visitor.COMPARE))
    favourite_ids = set(visitor.visitor_ids(request, visitor.FAVOURITES))
    placeholder = entry["vehicle_placeholder"].encode()
    variants = {
        state: html.encode().replace(f"{token}c".encode(), csrf).split(placeholder)
        for state, html in entry["variants"].items()
    }
    count = ngettext("Compare (%(counter)s)", "Compare (%(counter)s)", len(compare_ids)) % {
        "counter": len(compare_ids)
    }

    def hole(match: re.Match) -> bytes:
        kind = match.group(1)
        if kind == b"c":
            return csrf
        if kind == b"n":
            return count.encode()
        pk = int(match.group(2))
        parts = variants[(pk in compare_ids, pk in favourite_ids)]
        return str(pk).encode().join(parts)

    pattern = re.compile(re.escape(token.encode()) + rb"(c|n|a(\d+)\.)")
    return pattern.sub(hole, entry["html"])


def _private(response):
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    patch_cache_control(response, private=True, max_age=0)
    return response


def anonymous_page_cache(view):
    """Serve ``view``'s 200 responses to anonymous visitors from the cache (see above). The
    view must render with ``hole_context(request)`` in its context."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return _private(view(request, *args, **kwargs))
        key = _key(request, _versions())
        entry = cache.get(key)
        if entry is not None:
            response = HttpResponse(
                _fill(request, entry), status=entry["status"], content_type=entry["content_type"]
            )
            response["X-Page-Cache"] = "hit"
            return _private(response)
        holes = PageHoles()
        request.page_cache_holes = holes
        try:
            response = view(request, *args, **kwargs)
        finally:
            del request.page_cache_holes
        if response.status_code != 200 or response.streaming or response.cookies:
            # Only a plain page is stored (a redirect, a 404 or a page that set a cookie is
            # never shared); its holes are filled all the same.
            response.content = _fill(request, _entry(holes, response))
            return _private(response)
        entry = _entry(holes, response)
        cache.set(key, entry, caching.seconds(caching.PAGE))
        response.content = _fill(request, entry)
        response["X-Page-Cache"] = "miss"
        return _private(response)

    return wrapper


def _entry(holes: PageHoles, response) -> dict:
    return {
        "html": bytes(response.content),
        "status": response.status_code,
        "content_type": response["Content-Type"],
        "token": holes.token,
        "variants": holes.variants,
        "vehicle_placeholder": holes.vehicle_placeholder or holes.token,
    }
