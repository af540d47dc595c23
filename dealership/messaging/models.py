"""The outbox: every email and SMS the dealership sends is a row here first.

The database, not the broker, is the truth about what was sent: Celery only wakes the sender
(see services/sending.py). `customer_id` is a plain id of leads.Customer because messaging sits
below leads in the import layers and may not reference it.
"""

import datetime

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Purpose(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    MARKETING = "marketing", _("Marketing")
    # Something the customer asked for by name (a saved-search alert): its consent is the
    # request itself, kept by the app that sends it, never the general marketing consent.
    # Suppression stops it like everything else; the email's unsubscribe link ends only it.
    ALERT = "alert", _("Requested alert")


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")  # send_after lies in the future
        QUEUED = "queued", _("Queued")  # due (or waiting for a retry / the end of quiet hours)
        SENDING = "sending", _("Sending")  # claimed by a flush; never committed in this state
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")  # a delivery receipt confirmed it
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")
        CANCELLED = "cancelled", _("Cancelled")

    # Statuses a flush may still send; everything else is final.
    PENDING_STATUSES = (Status.SCHEDULED, Status.QUEUED)

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    to = models.CharField(_("recipient"), max_length=254, db_index=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True, db_index=True)
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("location"),
    )
    template_key = models.CharField(_("template"), max_length=100, db_index=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("[{filename, mimetype, content_b64}]"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    send_after = models.DateTimeField(_("send after"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=255, blank=True, db_index=True
    )
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    cancelled_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The flush's claim query: pending rows by due time, nothing else.
            models.Index(
                fields=["send_after", "id"],
                condition=models.Q(status__in=["scheduled", "queued"]),
                name="outbox_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.template_key} → {self.to}"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING_STATUSES


class MessageTemplate(models.Model):
    """A manager's override of a template shipped in templates/messages/<key>/."""

    key = models.CharField(
        _("key"), max_length=100, help_text=_("Namespaced by app, e.g. leads.enquiry_received.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Empty: used for every language without its own version."),
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True, help_text=_("Email only."))
    body = models.TextField(_("body"), help_text=_("Plain text, Django template syntax."))
    body_html = models.TextField(_("HTML body"), blank=True, help_text=_("Email only, optional."))
    sample_context = models.JSONField(
        _("sample context"),
        default=dict,
        blank=True,
        help_text=_("Example values used to check and preview the template."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["key", "channel", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel", "language"], name="messagetemplate_unique_version"
            )
        ]

    def __str__(self):
        suffix = f" ({self.language})" if self.language else ""
        return f"{self.key} · {self.get_channel_display()}{suffix}"

    def clean(self):
        from .rendering import validate_template

        validate_template(self)


class Consent(models.Model):
    """One recorded marketing consent decision for one address; the latest row counts."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(
        _("source"), max_length=100, help_text=_("Where it was given: web form, SMS reply…")
    )
    wording = models.TextField(_("wording shown"))
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True, db_index=True)
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["channel", "address", "-recorded_at", "-id"])]

    def __str__(self):
        return f"{self.address}: {'granted' if self.granted else 'withdrawn'}"


class ConsentLatest(models.Model):
    """The latest consent decision per channel and address (by recorded_at, then id), as a
    fact the segment conditions join on instead of searching every address's history.

    Kept by PostgreSQL triggers on messaging_consent (migration 0003), in the same
    transaction as the insert, update or delete, whatever writes it (the recording service,
    erasure, the admin, a bulk load): never written by application code."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded"))
    consent_id = models.BigIntegerField(_("consent id"))

    class Meta:
        verbose_name = _("latest consent")
        verbose_name_plural = _("latest consents")
        constraints = [
            models.UniqueConstraint("channel", "address", name="consentlatest_one_per_address")
        ]
        indexes = [
            models.Index(
                fields=["channel", "address"],
                name="consentlatest_granted",
                condition=models.Q(granted=True),
            )
        ]

    def __str__(self):
        return f"{self.address}: {'granted' if self.granted else 'withdrawn'}"


class Suppression(models.Model):
    """An address that receives nothing on its channel, transactional included."""

    class Reason(models.TextChoices):
        SMS_STOP = "sms_stop", _("Replied STOP")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from everything")
        BOUNCED = "bounced", _("Permanent delivery failure")
        MANUAL = "manual", _("Suppressed by staff")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        constraints = [
            models.UniqueConstraint("channel", Lower("address"), name="suppression_one_per_address")
        ]

    def __str__(self):
        return f"{self.address} ({self.get_reason_display()})"


class InboundSms(models.Model):
    """An SMS a customer sent us, kept once per provider id so a redelivered webhook is a no-op."""

    provider_id = models.CharField(_("provider id"), max_length=255, unique=True)
    sender = models.CharField(_("from"), max_length=32)
    body = models.TextField(_("body"))
    keyword = models.CharField(_("keyword"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")

    def __str__(self):
        return f"{self.sender}: {self.body[:40]}"


class QuietHours(models.Model):
    """When a location's customers get no SMS, in the location's time zone.

    Kept here, keyed by location, rather than as columns on accounts.Location: quiet hours are a
    messaging rule, and the accounts app stays free of migrations other branches would race.
    No row means the defaults (settings.MESSAGING_QUIET_HOURS); start == end means none.
    """

    location = models.OneToOneField(
        Location,
        on_delete=models.CASCADE,
        related_name="quiet_hours",
        verbose_name=_("location"),
    )
    start = models.TimeField(_("quiet from"), default=datetime.time(21, 0))
    end = models.TimeField(_("quiet until"), default=datetime.time(8, 0))

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self):
        return f"{self.location}: {self.start:%H:%M}–{self.end:%H:%M}"
