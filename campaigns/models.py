"""Segments (saved condition trees over customers), campaigns and their recipients.

A segment is re-evaluated whenever it is counted, previewed or sent: it stores the conditions,
never the customers. A campaign's recipients are materialised at send time, one row per
customer and channel (unique), so a second run or a crash halfway sends nothing twice; the
outbox's dedupe key "camp:<campaign>:<customer>:<channel>" guards the same on its side.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.messaging.models import OutboxMessage
from leads.models import Customer

# The built-in segments' names (stored in English by the data migration), translated.
BUILTIN_NAMES = {
    "Owners: car 4+ years or 80,000+ km": _("Owners: car 4+ years or 80,000+ km"),
    "Finance ends within 6 months": _("Finance ends within 6 months"),
    "Service visit this week, car 5+ years": _("Service visit this week, car 5+ years"),
}


class Segment(models.Model):
    name = models.CharField(_("name"), max_length=120)
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
        help_text=_("Empty: customers of every location you work at."),
    )
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    builtin = models.BooleanField(_("built-in"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-builtin", "name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return str(self.display_name)

    def get_absolute_url(self):
        return reverse("campaigns:segment_edit", kwargs={"pk": self.pk})

    @property
    def display_name(self):
        return BUILTIN_NAMES.get(self.name, self.name) if self.builtin else self.name


class Campaign(models.Model):
    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign")
        GROUP = "group", _("Group message")

    class ChannelChoice(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        BOTH = "both", _("Email and SMS")
        PREFERRED = "preferred", _("The customer's preferred channel")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CAMPAIGN)
    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelChoice.choices)
    send_at = models.DateTimeField(
        _("send from"),
        null=True,
        blank=True,
        help_text=_("SMS messages wait for the end of each recipient's quiet hours."),
    )
    control_percent = models.PositiveSmallIntegerField(
        _("control group (%)"),
        default=0,
        help_text=_("Held out at random and not sent to, to measure the lift."),
    )
    link_path = models.CharField(
        _("link target"),
        max_length=300,
        default="/",
        help_text=_(
            "Where {booking_link} leads: a public showroom page, e.g. /vehicles/?make=Skoda."
        ),
    )
    # Group messages only: the customers the consultant picked.
    selected_customer_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    test_sent_at = models.DateTimeField(_("test sent"), null=True, blank=True)
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Dispatch progress: customers are materialised in pk order up to this id.
    materialised_through = models.BigIntegerField(default=0)
    materialised = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["status", "send_at"], name="campaign_due_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:campaign_detail", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class CampaignMessage(models.Model):
    """The campaign's text in one language ("" = every language without its own)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    email_body = models.TextField(_("email text"), blank=True)
    sms_body = models.TextField(_("SMS text"), blank=True, max_length=612)

    class Meta:
        ordering = ["campaign", "language"]
        verbose_name = _("campaign text")
        verbose_name_plural = _("campaign texts")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="campaignmessage_once")
        ]

    def __str__(self):
        return f"{self.campaign} ({self.language or '*'})"


class Recipient(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        QUEUED = "queued", _("Handed to the outbox")
        CONTROL = "control", _("Control group (not sent)")
        EXCLUDED = "excluded", _("Excluded")
        CANCELLED = "cancelled", _("Cancelled")

    class Exclusion(models.TextChoices):
        NO_ADDRESS = "no_address", _("No address for the channel")
        NO_CONSENT = "no_consent", _("No marketing consent")
        SUPPRESSED = "suppressed", _("Opted out or undeliverable")
        CAPPED = "capped", _("Frequency cap reached")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="campaign_recipients"
    )
    channel = models.CharField(_("channel"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    exclusion = models.CharField(
        _("excluded because"), max_length=12, choices=Exclusion.choices, blank=True
    )
    is_control = models.BooleanField(_("control group"), default=False)
    outbox_message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("first click"), null=True, blank=True)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "channel"], name="recipient_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["campaign", "id"],
                condition=models.Q(status="pending"),
                name="recipient_pending_idx",
            )
        ]

    def __str__(self):
        return f"{self.campaign_id}:{self.customer_id}:{self.channel}"
