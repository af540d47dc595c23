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
    from .today import today_for

    return render(
        request,
        "staff/home.html",
        {
            "locations": location_list_for_user(user=request.user),
            "today": today_for(request.user),
        },
    )
