"""Request-wide security: the second factor before any staff page, and the Permissions-Policy."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .two_factor import two_factor_enrolled, two_factor_required_for

# Stored at login (and on first sight of a session that skipped our login view, such as
# one made by a test's force_login): whether this session must pass a second factor.
SESSION_KEY = "accounts.two_factor_needed"

# What a logged-in user who still owes a second factor may open.
OPEN_VIEWS = {
    "accounts:two_factor_verify",
    "accounts:two_factor_setup",
    "accounts:logout",
    "accounts:login",
    "healthz",
}


def two_factor_needed(user) -> bool:
    return two_factor_enrolled(user) or (
        two_factor_required_for(user) and not settings.TWO_FACTOR_DEMO_SKIP
    )


class TwoFactorMiddleware:
    """Every page, the staff UI and Django admin alike, waits for the second factor.

    Users with an authenticator must enter a code after their password; users whose role
    requires one (TWO_FACTOR_REQUIRED_ROLES) and have none are sent to enrol first.
    Runs after django-otp's OTPMiddleware, which tells whether this session is verified.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        needed = request.session.get(SESSION_KEY)
        if needed is None:
            needed = two_factor_needed(user)
            request.session[SESSION_KEY] = needed
        if not needed:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        if request.headers.get("HX-Request") == "true":
            # A fragment polled in the background (the navigation's unread badge) must not
            # get the second-factor page swapped into it: nothing to show until verified.
            return HttpResponse(status=204)
        step = "verify" if two_factor_enrolled(user) else "setup"
        target = reverse(f"accounts:two_factor_{step}")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


class PermissionsPolicyMiddleware:
    """Switch off the browser features the site never uses (camera, microphone, location…)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than UPLOAD_MAX_REQUEST_BYTES with a 413 before anything
    reads it. Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded
    files: without this a 2 GB "photo" would be streamed to a temporary file first and only
    then refused by the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.UPLOAD_MAX_REQUEST_BYTES:
            from django.shortcuts import render

            return render(
                request,
                "413.html",
                {"max_mb": settings.UPLOAD_MAX_REQUEST_BYTES // (1024 * 1024)},
                status=413,
            )
        return self.get_response(request)
