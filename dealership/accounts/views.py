"""Staff login with a second factor: password (django-axes counts failures), then the code."""

import binascii
from urllib.parse import unquote

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .access import staff_required
from .client_ip import client_ip
from .forms import TwoFactorCodeForm, TwoFactorEnrolForm
from .language import language_url, supported_languages
from .middleware import SESSION_KEY, two_factor_needed
from .ratelimit import rate_limit_hit
from .services import recovery_codes_regenerate, two_factor_enrol
from .two_factor import (
    confirmed_devices,
    recovery_codes_remaining,
    two_factor_enrolled,
    two_factor_required_for,
)

ENROL_KEY_SESSION_KEY = "accounts.two_factor_enrol_key"


def is_onsite(request, url: str) -> bool:
    """Whether `url` stays on this site, also once percent-decoded (twice).

    Django's check alone accepts "%2F%2Fevil.example" as a relative path; that is harmless in
    a browser, but a later step that decodes it would not be, so encoded variants are refused.
    """
    if not url:
        return False
    for candidate in (url, unquote(url), unquote(unquote(url))):
        if not url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return False
    return "\\" not in unquote(unquote(url))


def safe_next(request, default: str = "") -> str:
    """The ?next= / next field if it stays on this site, else `default`."""
    url = request.POST.get("next", request.GET.get("next", ""))
    return url if is_onsite(request, url) else default


class StaffPasswordResetView(auth_views.PasswordResetView):
    """The reset form, limited per client address: it sends mail to whoever is named."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if rate_limit_hit(
            scope="password-reset",
            key=client_ip(self.request) or "",
            limit=settings.PASSWORD_RESET_RATE_LIMIT,
            period=60 * 60,
        ):
            form.add_error(
                None, _("Too many reset requests from your network. Try again in an hour.")
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class StaffLogoutView(auth_views.LogoutView):
    def get_redirect_url(self):
        return safe_next(self.request)


class StaffLoginView(auth_views.LoginView):
    """Username and password; then, where needed, on to the second factor."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self):
        return safe_next(self.request)

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        needed = two_factor_needed(user)
        self.request.session[SESSION_KEY] = needed
        if not needed:
            return response
        step = "verify" if two_factor_enrolled(user) else "setup"
        target = reverse(f"accounts:two_factor_{step}")
        next_url = self.get_redirect_url()
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


def _two_factor_done(request, default: str):
    return redirect(safe_next(request, resolve_url(default)))


@sensitive_post_parameters("code")
@never_cache
def two_factor_verify(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.is_verified():
        return _two_factor_done(request, settings.LOGIN_REDIRECT_URL)
    devices = confirmed_devices(user)
    if not devices:
        return redirect("accounts:two_factor_setup")
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        for device in devices:
            if not device.verify_is_allowed()[0]:
                continue
            verified = verify_token(user, device.persistent_id, code)
            if verified is not None:
                otp_login(request, verified)
                if isinstance(verified, StaticDevice):
                    messages.warning(
                        request,
                        _(
                            "You used a recovery code; %(count)d remain. Create new ones "
                            "from the two-factor page."
                        )
                        % {"count": recovery_codes_remaining(user)},
                    )
                return _two_factor_done(request, settings.LOGIN_REDIRECT_URL)
        if not any(device.verify_is_allowed()[0] for device in devices):
            form.add_error("code", _("Too many wrong codes. Wait a minute before you try again."))
        else:
            form.add_error(
                "code",
                _("That code is not valid. Check the time on your phone or use a recovery code."),
            )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": safe_next(request)},
        status=200 if not form.errors else 400,
    )


@sensitive_post_parameters("code")
@never_cache
@staff_required
def two_factor_setup(request):
    """Enrol an authenticator app: scan the QR code, confirm with a code, keep the recovery codes.

    The secret lives in the session until a code proves the app holds it; only then is a
    device stored, so an abandoned setup leaves nothing behind.
    """
    user = request.user
    if two_factor_enrolled(user) and not user.is_verified():
        return redirect("accounts:two_factor_verify")
    key = request.session.get(ENROL_KEY_SESSION_KEY)
    if not _is_hex_key(key):
        key = default_key()
        request.session[ENROL_KEY_SESSION_KEY] = key
    form = TwoFactorEnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        enrolled = two_factor_enrol(user=user, key=key, token=form.cleaned_data["code"])
        if enrolled is not None:
            device, codes = enrolled
            del request.session[ENROL_KEY_SESSION_KEY]
            otp_login(request, device)
            request.session[SESSION_KEY] = True
            return render(
                request,
                "accounts/two_factor_recovery_codes.html",
                {"codes": codes, "next": safe_next(request, resolve_url("accounts:two_factor"))},
            )
        form.add_error("code", _("That code is not valid. Check the time on your phone."))
    device = TOTPDevice(user=user, key=key)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": segno.make(device.config_url, error="m").svg_data_uri(scale=4),
            "secret": _base32(device),
            "required": two_factor_required_for(user),
            "next": safe_next(request),
        },
        status=200 if not form.errors else 400,
    )


@never_cache
@staff_required
def two_factor(request):
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": two_factor_enrolled(user),
            "required": two_factor_required_for(user),
            "recovery_codes_remaining": recovery_codes_remaining(user),
        },
    )


@never_cache
@staff_required
@require_POST
def two_factor_recovery_codes(request):
    if not two_factor_enrolled(request.user):
        return redirect("accounts:two_factor_setup")
    codes = recovery_codes_regenerate(user=request.user)
    return render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:two_factor")},
    )


def _is_hex_key(key) -> bool:
    if not isinstance(key, str) or len(key) != 40:
        return False
    try:
        binascii.unhexlify(key)
    except binascii.Error:
        return False
    return True


def _base32(device: TOTPDevice) -> str:
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_POST
def set_language(request):
    """The language switcher: django's ``set_language`` (the language cookie and the redirect)
    with ``next`` first moved into the chosen language (``/de/vehicles/`` to ``/fi/vehicles/``)
    and a signed-in staff member's choice stored on their account (it outranks the cookie)."""
    language = request.POST.get("language", "")
    if language not in supported_languages():
        return HttpResponseBadRequest(
            _("Choose one of the languages this site offers."), content_type="text/plain"
        )
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        data = request.POST.copy()
        data["next"] = language_url(next_url, language)
        request.POST = data
    response = django_set_language(request)
    user = request.user
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
