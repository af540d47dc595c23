"""The inbound-email webhook (the mail provider posts each email that reached a reply address)
and the staff download of an email's attachment.

The provider POSTs the raw MIME as the body (any content type, e.g. message/rfc822) with:
  X-Showroom-Message-Id   its id for the email (unique; a redelivery is recognised by it)
  X-Showroom-Recipient    the envelope recipient, optional (the reply address it reached)
  X-Showroom-Signature    sha256=<hex HMAC-SHA256 of "<id>\\n<recipient>\\n" + body> with
                          INBOUND_EMAIL_WEBHOOK_SECRET (the id and recipient are signed too)
Answers: 403 bad signature; 400 no id; 413 too large; 202 stored and queued; 200 for a
redelivery. A forged or expired reply address is refused *after* the answer, by the task
(logged on the row, never attached): the provider gets a 2xx because the email was received
and retrying it could not change the outcome (providers such as Mailgun, SendGrid and
Postmark retry any 4xx/5xx for hours), and the answer tells a prober nothing about tokens.
"""

import hashlib
import hmac

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dealership.accounts.access import staff_required

from . import selectors
from .email_inbound import inbound_email_receive
from .models import InboundEmail, MessageAttachment


def _signature_ok(request, provider_id: str, recipient: str, body: bytes) -> bool:
    secret = settings.INBOUND_EMAIL_WEBHOOK_SECRET
    given = request.headers.get("X-Showroom-Signature", "").removeprefix("sha256=")
    if not secret or not given:
        return False
    signed = f"{provider_id}\n{recipient}\n".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


@csrf_exempt  # called by the mail provider, authenticated by the HMAC signature
@require_POST
def email_inbound(request):
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return JsonResponse({"error": _("The email is too large.")}, status=413)
    # Read the stream ourselves: request.body would stop at DATA_UPLOAD_MAX_MEMORY_SIZE.
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"error": _("The email is too large.")}, status=413)
    provider_id = request.headers.get("X-Showroom-Message-Id", "")
    recipient = request.headers.get("X-Showroom-Recipient", "")
    if not _signature_ok(request, provider_id, recipient, body):
        return HttpResponseForbidden(_("Bad signature."))
    max_id = InboundEmail._meta.get_field("provider_id").max_length
    if not provider_id or "\x00" in provider_id or len(provider_id) > max_id:
        return JsonResponse({"error": _("A valid X-Showroom-Message-Id is required.")}, status=400)
    if not body.strip():
        return JsonResponse({"error": _("The email is empty.")}, status=400)
    inbound, created = inbound_email_receive(
        provider_id=provider_id, raw=body, recipient=recipient.replace("\x00", "")
    )
    return JsonResponse(
        {"ok": True, "id": inbound.pk, "duplicate": not created}, status=202 if created else 200
    )


@staff_required
@require_GET
def attachment_download(request, pk):
    """An attachment of a customer's email, for staff who may see the customer (else 404)."""
    attachment = get_object_or_404(
        MessageAttachment.objects.select_related("message"), pk=pk, refused_reason=""
    )
    selectors.customer_for_user(user=request.user, pk=attachment.message.customer_id)
    if not attachment.file:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
