"""Customers' email replies: received at reply+<token>@REPLY_EMAIL_DOMAIN, joined to the thread
the token names.

The webhook (views_email.py) only stores the raw MIME once per provider id and queues the
work; `inbound_email_process` parses it with the standard library's `email` package, keeps
what the customer wrote (plain text, else the HTML as text, without the quoted history and the
signature), checks each attachment by its content as a vehicle photo upload is checked (PDF
documents too), and attaches the reply as an unread inbound email message. A forged, unknown
or expired token is refused and logged: the email is never attached to anyone.
"""

import dataclasses
import email
import email.policy
import email.utils
import logging
import re
import uuid
from html.parser import HTMLParser

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from dealership.messaging.tokens import reply_token_customer_id
from inventory.photos import photo_check_upload
from leads.models import Customer

from .models import InboundEmail, Message, MessageAttachment

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10
PROCESS_BATCH = 100
IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}

# --- Parsing (pure) ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Part:
    filename: str
    content_type: str
    data: bytes


@dataclasses.dataclass(frozen=True)
class ParsedEmail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str  # what the customer wrote: quoted history and signature stripped
    attachments: tuple[Part, ...]


class _TextFromHtml(HTMLParser):
    """The visible text of an HTML mail: blocks become lines; scripts, styles and the quoted
    history clients put in <blockquote> or a gmail_quote / divRplyFwdMsg block are left out."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
    SKIP = {"script", "style", "head", "title", "blockquote"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.stack: list[bool] = []  # per open element: does it hide its content?
        self.stopped = False

    def _hidden(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        if self.stopped:
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if "gmail_quote" in classes or attributes.get("id") == "divRplyFwdMsg":
            self.stopped = True  # everything from here on is the quoted history
            return
        if tag in self.BLOCKS:
            self.chunks.append("\n")
        if tag not in self.VOID:
            self.stack.append(tag in self.SKIP)

    def handle_endtag(self, tag):
        if self.stopped or tag in self.VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self.stopped and not self._hidden():
            self.chunks.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.chunks).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# "On Mon, 7 Dec 2026 at 10:02, Showroom <…> wrote:" (Gmail, Apple Mail) and the same line in
# the site's languages; the header may wrap onto a second line.
_ATTRIBUTION = re.compile(
    r"^(On\s.+\swrote|Am\s.+\sschrieb\s.+|Le\s.+\sa\sécrit|.+\skirjoitti|"
    r"(Em|No dia)\s.+\sescreveu|.+\s写道)\s?[:：]\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Alkuperäinen viesti|"
    r"Mensagem original|原始邮件)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FROM = re.compile(r"^\s*\*?(From|Von|Lähettäjä|De|发件人)\s?\*?\s?[:：]", re.IGNORECASE)
_SENT = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Lähetetty|Enviado|Data|发送时间|日期)\s?\*?\s?[:：]",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")


def _history_starts(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if _ORIGINAL.match(line):
        return True
    if _ATTRIBUTION.match(line):
        return True
    if i + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[i + 1].strip()}"):
        return line.lower().startswith(("on ", "am ", "le ", "em ", "no dia "))
    # Outlook: "From: …" followed within a few lines by "Sent: …" (or "Date: …").
    if _FROM.match(line):
        return any(_SENT.match(following) for following in lines[i + 1 : i + 4])
    return False


def strip_quoted(text: str) -> str:
    """What the customer wrote above the quoted history: cut at the first attribution line
    (Gmail "On … wrote:"), Outlook header block ("From: … Sent: …", "-----Original Message-----")
    or signature separator ("-- "); lines quoted with ">" dropped; outer blank lines trimmed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.rstrip() == "--" or _history_starts(lines, i):
            break
        if _RULE.match(line) and i + 1 < len(lines) and _FROM.match(lines[i + 1].strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _addresses(message, *names: str) -> list[str]:
    values = []
    for name in names:
        values.extend(str(v) for v in message.get_all(name, []))
    return [address for _name, address in email.utils.getaddresses(values) if address]


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw MIME (policy.default): sender, every recipient it names, subject, the
    stripped text and the attachments. Never raises for a malformed mail (defects are
    tolerated by the parser; a part that cannot be decoded is left out)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, UnicodeError, ValueError):
            content = body.get_payload(decode=True).decode("utf-8", errors="replace")
        if body.get_content_subtype() == "html":
            content = html_to_text(content)
        text = strip_quoted(content)
    attachments = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        named = part.get_content_disposition() == "attachment" or part.get_filename()
        if not named and part.get_content_maintype() == "text":
            continue  # the other alternative of the body
        data = part.get_payload(decode=True) or b""
        attachments.append(
            Part(
                filename=_display_name(part.get_filename() or ""),
                content_type=part.get_content_type(),
                data=data,
            )
        )
    sender = next(iter(_addresses(message, "from")), "")
    recipients = tuple(_addresses(message, "to", "cc", "delivered-to", "x-original-to"))
    subject = " ".join(str(message.get("subject", "")).split())
    return ParsedEmail(
        sender=sender.lower()[:320],
        recipients=recipients,
        subject=subject[:255],
        text=text.replace("\x00", ""),
        attachments=tuple(attachments),
    )


def _display_name(filename: str) -> str:
    """The customer's file name for display only: no path, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or _("attachment")


# --- The reply token ------------------------------------------------------------------------


class Refused(Exception):
    """The email cannot be attached to anyone; the message says why (kept on the row)."""


def reply_token_of(address: str) -> str | None:
    """The token of reply+<token>@REPLY_EMAIL_DOMAIN, or None for any other address."""
    local, _at, domain = address.strip().rpartition("@")
    if not settings.REPLY_EMAIL_DOMAIN or domain.lower() != settings.REPLY_EMAIL_DOMAIN.lower():
        return None
    if not local.lower().startswith("reply+"):
        return None
    return local[len("reply+") :]


def customer_for_reply(recipients) -> Customer:
    """The customer whose thread the first reply address among `recipients` names (followed
    to the surviving record of a merge). Raises Refused for none, a forged, malformed or
    expired token, or a customer who no longer exists."""
    tokens = [t for t in (reply_token_of(a) for a in recipients) if t is not None]
    if not tokens:
        raise Refused(_("No reply address of ours among the recipients."))
    try:
        customer_id = reply_token_customer_id(
            tokens[0], max_age_days=settings.REPLY_EMAIL_MAX_AGE_DAYS
        )
    except signing.SignatureExpired:
        raise Refused(_("The reply address has expired.")) from None
    except signing.BadSignature:
        raise Refused(_("The reply address is forged or damaged.")) from None
    customer = Customer.objects.filter(pk=customer_id).select_related("location").first()
    seen = set()
    while customer is not None and customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = (
            Customer.objects.filter(pk=customer.merged_into_id).select_related("location").first()
        )
    if customer is None:
        raise Refused(_("The reply address names no customer we know."))
    return customer


# --- Attachments ----------------------------------------------------------------------------


def check_attachment(part: Part) -> tuple[str, str]:
    """(content type, file extension) the content really is, sniffed from the bytes: a JPEG,
    PNG or WebP photo that passes the vehicle photo checks, or a PDF. Raises ValidationError
    with the reason otherwise (the declared type and file name are not trusted)."""
    limit = settings.INBOUND_EMAIL_ATTACHMENT_MAX_BYTES
    if len(part.data) > limit:
        raise ValidationError(
            _("The file is %(size)s; attachments may be at most %(max)s.")
            % {"size": filesizeformat(len(part.data)), "max": filesizeformat(limit)}
        )
    if not part.data:
        raise ValidationError(_("The file is empty."))
    if part.data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    try:
        checked = photo_check_upload(ContentFile(part.data, name="upload"))
    except ValidationError:
        raise ValidationError(
            _("Only photos (JPEG, PNG or WebP) and PDF documents are accepted.")
        ) from None
    return IMAGE_TYPES[checked.format]


def _store_attachments(message: Message, parts) -> list[MessageAttachment]:
    stored = []
    for index, part in enumerate(parts):
        attachment = MessageAttachment(
            message=message,
            filename=part.filename,
            content_type=part.content_type[:100],
            size=len(part.data),
        )
        try:
            if index >= MAX_ATTACHMENTS:
                raise ValidationError(
                    _("Only the first %(max)d attachments are kept.") % {"max": MAX_ATTACHMENTS}
                )
            content_type, extension = check_attachment(part)
        except ValidationError as error:
            attachment.refused_reason = " ".join(error.messages)[:255]
        else:
            attachment.content_type = content_type
            attachment.file.save(
                f"{uuid.uuid4().hex}.{extension}", ContentFile(part.data), save=False
            )
        attachment.save()
        stored.append(attachment)
    return stored


# --- Receiving and processing ---------------------------------------------------------------


def inbound_email_receive(
    *, provider_id: str, raw: bytes, recipient: str = ""
) -> tuple[InboundEmail, bool]:
    """Keep the raw email once per provider id and queue its processing after commit.
    (row, created): a redelivery of the same provider id changes nothing."""
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                provider_id=provider_id, raw=raw, recipient=recipient[:320]
            )
    except IntegrityError:
        return InboundEmail.objects.get(provider_id=provider_id), False
    from .tasks import process_inbound_email

    process_inbound_email.delay_on_commit(inbound.pk)
    return inbound, True


def inbound_email_process(*, inbound_id: int) -> InboundEmail | None:
    """Parse one received email and attach it or refuse it, in one transaction with the row
    locked (SKIP LOCKED): safe to run twice or concurrently; an email already attached or
    refused is left as it is (None)."""
    with transaction.atomic():
        inbound = (
            InboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=inbound_id, status=InboundEmail.Status.RECEIVED)
            .first()
        )
        if inbound is None:
            return None
        try:
            parsed = parse_email(bytes(inbound.raw))
        except Exception:  # a mail the parser chokes on must not be retried for ever
            logger.exception("inbound email %s could not be parsed", inbound.pk)
            inbound.status = InboundEmail.Status.REFUSED
            inbound.reason = _("The email could not be read.")
            inbound.save(update_fields=["status", "reason"])
            return inbound
        inbound.sender, inbound.subject = parsed.sender, parsed.subject
        recipients = ([inbound.recipient] if inbound.recipient else []) + list(parsed.recipients)
        try:
            customer = customer_for_reply(recipients)
        except Refused as refusal:
            inbound.status, inbound.reason = InboundEmail.Status.REFUSED, str(refusal)
            inbound.save(update_fields=["sender", "subject", "status", "reason"])
            logger.warning(
                "inbound email %s (provider id %s) refused: %s",
                inbound.pk,
                inbound.provider_id,
                refusal,
            )
            return inbound
        message = Message.objects.create(
            customer=customer,
            location=customer.location,
            direction=Message.Direction.IN,
            channel=Message.Channel.EMAIL,
            body=parsed.text,
            created_at=inbound.received_at,
        )
        _store_attachments(message, parsed.attachments)
        inbound.status = InboundEmail.Status.ATTACHED
        inbound.customer, inbound.message = customer, message
        if customer.email and parsed.sender.lower() != customer.email.lower():
            inbound.reason = _("Sent from an address other than the customer's.")
        inbound.save(update_fields=["sender", "subject", "status", "reason", "customer", "message"])
        return inbound


def inbound_emails_process_pending(*, batch_size: int = PROCESS_BATCH) -> int:
    """The periodic safety net: process every email still waiting (oldest first)."""
    done = 0
    pending = InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED).order_by(
        "received_at", "id"
    )
    for pk in pending.values_list("pk", flat=True)[:batch_size]:
        if inbound_email_process(inbound_id=pk) is not None:
            done += 1
    return done
