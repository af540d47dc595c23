"""Favourites and the compare list of a visitor without an account: signed cookies.

A signed cookie (not the session) keeps the pages free of session queries and needs no
storage; tampering invalidates it and the visitor simply starts with an empty list.
"""

from django.conf import settings

COMPARE = "compare"
FAVOURITES = "favourites"
LIMITS = {COMPARE: 4, FAVOURITES: 50}
MAX_AGE = 180 * 24 * 60 * 60
_SALT = "inventory.visitor"


def visitor_ids(request, name: str) -> list[int]:
    raw = request.get_signed_cookie(name, default="", salt=_SALT, max_age=MAX_AGE)
    ids = []
    for part in raw.split(","):
        if part.isdigit() and int(part) not in ids:
            ids.append(int(part))
    return ids[: LIMITS[name]]


def store_visitor_ids(response, name: str, ids: list[int]) -> None:
    response.set_signed_cookie(
        name,
        ",".join(str(i) for i in ids[: LIMITS[name]]),
        salt=_SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class ListFull(Exception):
    pass


def toggled(ids: list[int], vehicle_id: int, name: str) -> tuple[list[int], bool]:
    """The list with ``vehicle_id`` added or removed; True when it is now in the list.

    Raises ListFull when adding would exceed the limit (compare holds 4 cars).
    """
    if vehicle_id in ids:
        return [i for i in ids if i != vehicle_id], False
    if len(ids) >= LIMITS[name]:
        raise ListFull
    return [*ids, vehicle_id], True


def visitor_context(request) -> dict:
    """What every page with vehicle cards needs: the visitor's lists and the toggle URLs
    (resolved once per page, not once per card)."""
    from django.urls import reverse

    return {
        "compare_ids": visitor_ids(request, COMPARE),
        "favourite_ids": visitor_ids(request, FAVOURITES),
        "compare_url": reverse("inventory:compare"),
        "favourites_url": reverse("inventory:favourites"),
        "current_path": request.get_full_path(),
    }
