"""The visitor-independent body of a result card, cached per vehicle state.

A page of results fetches all of its card bodies with one cache round trip (``cards_attach``)
instead of one per card; the ``vehicle_card_body`` template tag uses what was attached and
falls back to the cache for pages that do not attach (one card at a time).
"""

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from dealership.core import caching

CARD_CACHE_SECONDS = caching.CARD.seconds


def card_state(vehicle) -> tuple:
    """Everything the card body shows, or that decides what it shows: the vehicle's own values
    (and its updated_at and status for anything else), the primary photo's thumbnail and alt
    text, the location's name and city, the language and the currency. Reading the values
    themselves (not only updated_at) also catches changes saved with ``QuerySet.update()``, and
    a renamed location changes the state without touching its vehicles."""
    location = vehicle.location
    return (
        vehicle.pk,
        vehicle.updated_at.isoformat() if vehicle.updated_at else "",
        vehicle.status,
        vehicle.slug,
        vehicle.model_year,
        vehicle.make,
        vehicle.model,
        vehicle.trim,
        str(vehicle.list_price),
        str(vehicle.sale_price),
        str(vehicle.price),
        vehicle.mileage,
        vehicle.fuel,
        vehicle.transmission,
        getattr(vehicle, "card_thumbnail", "") or "",
        getattr(vehicle, "card_alt", "") or "",
        location.pk,
        location.name,
        location.city,
        # Never a deferred load (a query per card) for a row read without them.
        vehicle.__dict__.get("transit_to_id"),
        str(vehicle.__dict__.get("transit_eta")),
        translation.get_language(),
        settings.CURRENCY,
    )


def card_key(vehicle) -> str:
    """A change to anything the fragment shows makes a new key, so a stale card is never
    served (the old entry simply expires)."""
    return caching.key(caching.CARD, vehicle.pk, caching.digest(card_state(vehicle), 16))


def _render(vehicle) -> SafeString:
    # render_to_string's output is already safe (the template escaped what it shows).
    return render_to_string("inventory/partials/vehicle_card_body.html", {"vehicle": vehicle})


def card_body(vehicle) -> SafeString:
    """One card body: the one attached by ``cards_attach``, else from the cache, else rendered."""
    attached = getattr(vehicle, "card_body_html", None)
    if attached is not None:
        return attached
    if not caching.enabled(caching.CARD.name):
        return _render(vehicle)
    key = card_key(vehicle)
    html = cache.get(key)
    if html is None:
        html = _render(vehicle)
        cache.set(key, str(html), CARD_CACHE_SECONDS)
    # Stored as a plain str by the cache; it is our own template's escaped output.
    return SafeString(html)  # nosec B703


def cards_attach(vehicles) -> None:
    """Attach ``card_body_html`` to every vehicle: one ``get_many``, the misses rendered and
    stored with one ``set_many``."""
    vehicles = list(vehicles)
    if not vehicles or not caching.enabled(caching.CARD.name):
        return
    keys = {vehicle.pk: card_key(vehicle) for vehicle in vehicles}
    cached = cache.get_many(list(keys.values()))
    missing = {}
    for vehicle in vehicles:
        html = cached.get(keys[vehicle.pk])
        if html is None:
            html = _render(vehicle)
            missing[keys[vehicle.pk]] = str(html)
        vehicle.card_body_html = SafeString(html)  # nosec B703 - our template's escaped output
    if missing:
        cache.set_many(missing, CARD_CACHE_SECONDS)
