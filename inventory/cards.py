"""The visitor-independent body of a result card, cached per vehicle state.

A page of results fetches all of its card bodies with one cache round trip (``cards_attach``)
instead of one per card; the ``vehicle_card_body`` template tag uses what was attached and
falls back to the cache for pages that do not attach (one card at a time).
"""

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

CARD_CACHE_SECONDS = 3600


def card_key(vehicle) -> str:
    """Everything the fragment shows that can change is in the key (the row's updated_at, its
    primary thumbnail, the language), so a stale card is never served: a change makes a new key.
    """
    return "inventory:card:{}:{}:{}:{}".format(
        translation.get_language(),
        vehicle.pk,
        vehicle.updated_at.timestamp() if vehicle.updated_at else "",
        getattr(vehicle, "card_thumbnail", "") or "",
    )


def _render(vehicle) -> SafeString:
    # render_to_string's output is already safe (the template escaped what it shows).
    return render_to_string("inventory/partials/vehicle_card_body.html", {"vehicle": vehicle})


def card_body(vehicle) -> SafeString:
    """One card body: the one attached by ``cards_attach``, else from the cache, else rendered."""
    attached = getattr(vehicle, "card_body_html", None)
    if attached is not None:
        return attached
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
    if not vehicles:
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
