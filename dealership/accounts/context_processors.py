from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .location_cache import location_list_public_cached


def site(request):
    """Site name and the public locations for the showroom header and footer.

    The locations are lazy and evaluated once: pages that show them read them from the cache
    (one round trip; two queries when the location version is new), pages that don't pay
    nothing.
    """
    return {
        "SHOWROOM_NAME": settings.SHOWROOM_NAME,
        "public_locations": SimpleLazyObject(location_list_public_cached),
    }
