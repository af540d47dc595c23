"""A small URLconf with one view of each access class, done right and done wrong, to prove
the route matrix's checks catch what they promise (tests/security/test_route_matrix_checks.py).
"""

import hashlib
import hmac

from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealership import urls as project_urls
from dealership.accounts.access import staff_required
from dealership.accounts.models import Location
from dealership.accounts.selectors import location_list_for_user

SALT = "sample-customer"


@staff_required
def location_card(request, pk):
    return HttpResponse(get_object_or_404(location_list_for_user(user=request.user), pk=pk).name)


@staff_required
def leaky_location_card(request, pk):
    # The bug the matrix must catch: any staff member sees every location's record.
    return HttpResponse(get_object_or_404(Location, pk=pk).name)


def customer_card(request, pk, token):
    try:
        signed_pk = signing.loads(token, salt=SALT, max_age=3600)
    except signing.BadSignature:
        raise Http404 from None
    if signed_pk != pk:
        raise Http404
    return HttpResponse(get_object_or_404(Location, pk=pk).name)


def leaky_customer_card(request, pk, token):
    # The bug the matrix must catch: a valid token for anything opens everything.
    try:
        signing.loads(token, salt=SALT, max_age=3600)
    except signing.BadSignature:
        raise Http404 from None
    return HttpResponse(get_object_or_404(Location, pk=pk).name)


@csrf_exempt
@require_POST
def webhook(request):
    expected = hmac.new(b"sample-secret", request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):
        return HttpResponseForbidden()
    return HttpResponse("ok")


def staff_scenario(location, other_location):
    return {"allowed": {"pk": location.pk}, "denied": {"pk": other_location.pk}}


def customer_scenario(location, other_location):
    return {
        "allowed": {"pk": location.pk, "token": signing.dumps(location.pk, salt=SALT)},
        "denied": {"pk": location.pk, "token": signing.dumps(other_location.pk, salt=SALT)},
    }


urlpatterns = [
    path("staff/locations/<int:pk>/", location_card, name="location-card"),
    path("staff/leaky/<int:pk>/", leaky_location_card, name="leaky-location-card"),
    path("my/<int:pk>/<str:token>/", customer_card, name="customer-card"),
    path("leaky/<int:pk>/<str:token>/", leaky_customer_card, name="leaky-customer-card"),
    path("hooks/sample/", webhook, name="webhook"),
    # The project's own routes: the login, the error pages' links.
    *project_urls.urlpatterns,
]
