from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .selectors import location_list_public


def site(request):
    """Site name and the public locations for the showroom header and footer.

    The locations are lazy and evaluated once: pages that show them pay one query (plus one
    for the opening hours), pages that don't pay nothing.
    """
    return {
        "SHOWROOM_NAME": settings.SHOWROOM_NAME,
        "public_locations": SimpleLazyObject(lambda: list(location_list_public())),
    }
