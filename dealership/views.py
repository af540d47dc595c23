from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from dealership.accounts.access import staff_required
from dealership.accounts.selectors import location_list_for_user, location_list_public
from inventory.selectors import vehicle_featured
from inventory.visitor import visitor_context


def home(request):
    # The locations come from the `site` context processor, shared with header and footer.
    return render(
        request,
        "showroom/home.html",
        {
            "featured": vehicle_featured(limit=6),
            "price_steps": [10_000, 15_000, 20_000, 30_000, 50_000],
            **visitor_context(request),
        },
    )


def location_detail(request, slug):
    location = get_object_or_404(location_list_public(), slug=slug)
    now = timezone.now()
    local = location.localtime(now)
    return render(
        request,
        "showroom/location_detail.html",
        {
            "location": location,
            # Naive wall-clock time: the time filter would convert an aware one to UTC again.
            "local_now": local.replace(tzinfo=None),
            "local_zone": local.tzname(),
            "is_open_now": location.is_open_at(now),
        },
    )


@staff_required
def staff_home(request):
    from .accounts.selectors import user_sees_every_location
    from .today import today_for

    # One query for the page's list and Today's "first location" (an administrator sees
    # every location but has a day of their own locations: Today asks for those itself).
    locations = list(location_list_for_user(user=request.user))
    own = None if user_sees_every_location(request.user) else locations
    return render(
        request,
        "staff/home.html",
        {"locations": locations, "today": today_for(request.user, locations=own)},
    )
