"""The log of erasures: which customer was erased, when, by whom, why, and what it touched.

The row holds no personal data itself (the customer row it points to has been emptied), and
its unique customer makes an erasure happen once however often it is asked for.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    class Trigger(models.TextChoices):
        REQUEST = "request", _("The customer's request")
        RETENTION = "retention", _("Retention period over")

    customer = models.OneToOneField(
        "leads.Customer",
        on_delete=models.PROTECT,
        related_name="erasure",
        verbose_name=_("customer"),
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    reason = models.TextField(_("reason"), blank=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
    )
    erased_at = models.DateTimeField(_("erased at"))
    counts = models.JSONField(_("records touched"), default=dict, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self):
        return f"#{self.customer_id} ({self.get_trigger_display()})"
