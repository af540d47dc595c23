"""One conversation per customer: every message in and out, on every channel.

A live-chat line is a Message with channel "chat" and its ChatSession. The visitor is often
unknown when they start typing, so a chat line's customer is empty until they give a name and
an email or phone (or the chat becomes a lead); then the session's lines get the customer in
one UPDATE and the whole chat appears in that customer's thread, with no copy to keep in sync.

A consultant's outgoing message is a row here *and* an OutboxMessage (the outbox sends it);
an inbound SMS is a row here linked to messaging's InboundSms. The outbox's own system
messages (confirmations, reminders, surveys) are not copied: the thread reads them from the
outbox by the customer's id (selectors.thread_for_customer).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.messaging.models import InboundSms, OutboxMessage
from leads.models import Customer


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("From the customer")
        OUT = "out", _("To the customer")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversation_messages",
        verbose_name=_("customer"),
        help_text=_("Empty only for a chat line of a visitor who has not said who they are."),
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    chat_session = models.ForeignKey(
        "ChatSession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("chat"),
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    body = models.TextField(_("body"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    outbox_message = models.OneToOneField(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation_message",
        verbose_name=_("outbox message"),
    )
    inbound_sms = models.OneToOneField(
        InboundSms,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation_message",
        verbose_name=_("inbound SMS"),
    )
    created_at = models.DateTimeField(_("sent or received"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("conversation message")
        verbose_name_plural = _("conversation messages")
        indexes = [
            models.Index(fields=["customer", "created_at"], name="conv_msg_customer_created"),
            models.Index(
                fields=["customer"],
                condition=models.Q(direction="in", read_at__isnull=True),
                name="conv_msg_unread",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | models.Q(chat_session__isnull=False),
                name="conv_msg_customer_or_chat",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.get_channel_display()}: {self.body[:40]}"


class ReplyTemplate(models.Model):
    """A reply a manager prepared; placeholders in braces are filled in when inserted."""

    PLACEHOLDERS = ("customer_first_name", "vehicle", "price", "consultant", "booking_link")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Placeholders: {customer_first_name}, {vehicle}, {price}, {consultant}, {booking_link}."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self):
        return f"{self.name} ({self.get_channel_display()})"


def _attachment_path(instance, filename: str) -> str:
    # The name is ours (the customer's file name is kept in `filename`, never in the path).
    return timezone.now().strftime("conversations/attachments/%Y/%m/") + filename


class InboundEmail(models.Model):
    """An email that arrived at a reply address, kept as received (the raw MIME) once per
    provider id, so a redelivered webhook is a no-op. conversations.email_inbound parses it
    and attaches it to the thread its reply token names, or refuses it (never guessed)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ATTACHED = "attached", _("Attached")
        REFUSED = "refused", _("Refused")

    provider_id = models.CharField(_("provider id"), max_length=255, unique=True)
    raw = models.BinaryField(_("raw message"))
    sender = models.CharField(_("from"), max_length=320, blank=True)
    recipient = models.CharField(_("to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    message = models.OneToOneField(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_email",
        verbose_name=_("conversation message"),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="received"),
                name="conv_inbound_email_pending",
            )
        ]

    def __str__(self):
        return f"{self.sender}: {self.subject[:40]}"


class MessageAttachment(models.Model):
    """A file that came with a customer's email: stored when its content passed the same
    checks as a vehicle photo (or is a PDF), else noted as refused with the reason."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("conversation message"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    file = models.FileField(_("file"), upload_to=_attachment_path, blank=True)
    refused_reason = models.CharField(_("refused because"), max_length=255, blank=True)

    class Meta:
        ordering = ["message", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename

    @property
    def is_refused(self) -> bool:
        return bool(self.refused_reason)


class ChatSession(models.Model):
    """One live chat of a showroom visitor with the location's consultants.

    waiting: nobody accepted yet; active: a consultant accepted it (accepted_by owns it);
    offline: the location is closed or nobody accepted in time, the visitor is asked for a
    name and a phone or email (given: a lead with the transcript); closed: over.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a consultant")
        ACTIVE = "active", _("In conversation")
        OFFLINE = "offline", _("Offline: contact details asked")
        CLOSED = "closed", _("Closed")

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    vehicle = models.ForeignKey(
        "inventory.Vehicle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("car being viewed"),
    )
    visitor_token = models.CharField(_("visitor token"), max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_sessions",
        verbose_name=_("customer"),
    )
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="waiting"),
                name="chat_waiting_created",
            ),
            models.Index(fields=["location", "status"], name="chat_location_status"),
        ]

    def __str__(self):
        return f"{self.location} #{self.pk} ({self.get_status_display()})"
