import hashlib
import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.ratelimit import rate_limited
from dealership.accounts.roles import MANAGER_ROLES

from . import selectors, services
from .forms import CancelForm, LanguagePreferenceForm, OutboxFilterForm, PreferenceSwitchForm
from .models import Channel, InboundSms, OutboxMessage
from .preferences import preference_groups, preference_set
from .tokens import unsubscribe_address

PUBLIC_LIMIT_PER_MINUTE = 20


def _address_from_token(token: str) -> tuple[str, str]:
    try:
        return unsubscribe_address(token)
    except signing.BadSignature:
        raise Http404(_("This link is not valid.")) from None


# --- Customers (signed token, no login) -----------------------------------------------------


@require_http_methods(["GET", "POST"])
def preferences(request, token):
    """Every purpose we email this address for, each with its own switch (its own form):
    turning one on or off records that purpose alone (see messaging/preferences.py). The
    language of our messages is one more form of its own."""
    channel, address = _address_from_token(token)
    if channel != Channel.EMAIL:
        raise Http404
    status, saved, language_saved = 200, None, False
    language_form = None
    if request.method == "POST":
        if rate_limited(request, scope="preferences", limit=PUBLIC_LIMIT_PER_MINUTE):
            return render(request, "messaging/too_many_requests.html", status=429)
        if "language" in request.POST:
            language_form = LanguagePreferenceForm(request.POST)
            if language_form.is_valid():
                services.address_language_set(
                    channel=channel,
                    address=address,
                    language=language_form.cleaned_data["language"],
                )
                language_saved, language_form = True, None
            else:
                status = 400
        else:
            form = PreferenceSwitchForm(request.POST)
            if form.is_valid():
                saved = preference_set(
                    address=address,
                    key=form.cleaned_data["purpose"],
                    enabled=form.cleaned_data["enabled"],
                )
            if saved is None:
                status = 400
    if language_form is None:
        language_form = LanguagePreferenceForm(
            initial={
                "language": services.address_language(channel=channel, address=address)
                or translation.get_language()
            }
        )
    return render(
        request,
        "messaging/preferences.html",
        {
            "address": address,
            "groups": preference_groups(address=address),
            "saved": saved,
            "refused": status == 400 and not language_form.errors,
            "language_form": language_form,
            "language_saved": language_saved,
        },
        status=status,
    )


@csrf_exempt  # RFC 8058: the mail client POSTs without cookies or a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe_one_click(request, token):
    """POST (List-Unsubscribe=One-Click) unsubscribes; GET, which link scanners and prefetchers
    make, only shows the preference page and changes nothing."""
    channel, address = _address_from_token(token)
    if channel != Channel.EMAIL:
        raise Http404
    if request.method == "GET":
        return redirect("messaging:preferences", token=token)
    if rate_limited(request, scope="one-click", limit=PUBLIC_LIMIT_PER_MINUTE):
        return HttpResponse(_("Too many requests."), status=429, content_type="text/plain")
    services.email_unsubscribe_one_click(address=address)
    return HttpResponse(_("You are unsubscribed."), content_type="text/plain")


# --- SMS gateway webhooks (shared-secret HMAC signature) ------------------------------------


def _signed_json(request) -> dict | None:
    secret = settings.MESSAGING_SMS_WEBHOOK_SECRET
    given = request.headers.get("X-Showroom-Signature", "").removeprefix("sha256=")
    if not secret or not given:
        return None
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _storable_id(value, model, field: str) -> bool:
    """A provider's id we can store and look up: a string within the column, without NUL
    (PostgreSQL holds none); anything else is the gateway's error, answered with a 400."""
    return (
        isinstance(value, str)
        and bool(value)
        and "\x00" not in value
        and len(value) <= model._meta.get_field(field).max_length
    )


@csrf_exempt  # called by the gateway, authenticated by the HMAC signature
@require_POST
def sms_inbound(request):
    data = _signed_json(request)
    if data is None:
        return HttpResponseForbidden(_("Bad signature."))
    if not all(isinstance(data.get(k), str) and data.get(k) for k in ("id", "from")):
        return JsonResponse({"error": _("“id” and “from” are required.")}, status=400)
    if not _storable_id(data["id"], InboundSms, "provider_id"):
        return JsonResponse({"error": _("“id” is not a valid message id.")}, status=400)
    inbound = services.sms_inbound_handle(
        provider_id=data["id"],
        sender=data["from"],
        # A NUL in a text is noise from the handset or the gateway: dropped, the rest kept.
        body=str(data.get("body") or "").replace("\x00", ""),
    )
    if inbound is None:
        return JsonResponse({"error": _("“from” is not a valid phone number.")}, status=400)
    return JsonResponse({"ok": True, "keyword": inbound.keyword})


@csrf_exempt  # called by the gateway, authenticated by the HMAC signature
@require_POST
def sms_receipt(request):
    data = _signed_json(request)
    if data is None:
        return HttpResponseForbidden(_("Bad signature."))
    status = data.get("status")
    if not isinstance(data.get("message_id"), str) or status not in ("delivered", "failed"):
        return JsonResponse(
            {"error": _("“message_id” and a status of delivered or failed are required.")},
            status=400,
        )
    if not _storable_id(data["message_id"], OutboxMessage, "provider_message_id"):
        return JsonResponse({"error": _("“message_id” is not a valid message id.")}, status=400)
    updated = services.sms_receipt_record(
        provider_message_id=data["message_id"],
        delivered=status == "delivered",
        error=str(data.get("error") or "").replace("\x00", ""),
    )
    return JsonResponse({"ok": True, "updated": updated})


# --- Staff ----------------------------------------------------------------------------------


@staff_required
def outbox(request):
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(
        selectors.outbox_list_for_user(user=request.user, filters=filters), 50
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "messaging/outbox.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_cancel": request.user.has_role(*MANAGER_ROLES),
            "cancel_form": CancelForm(),
        },
    )


@staff_required(roles=MANAGER_ROLES)
@require_POST
def outbox_cancel(request, pk):
    message = get_object_or_404(selectors.outbox_list_for_user(user=request.user), pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to cancel the message."))
    elif services.message_cancel(message=message, reason=form.cleaned_data["reason"]):
        messages.success(request, _("The message to %(to)s is cancelled.") % {"to": message.to})
    else:
        messages.error(request, _("The message was already sent or cancelled."))
    return redirect("messaging:outbox")
