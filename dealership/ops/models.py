from django.db import models
from django.utils.translation import gettext_lazy as _


class JobHeartbeat(models.Model):
    """When a named scheduled job last ran: how /healthz knows the worker and beat are alive."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    runs = models.PositiveBigIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self):
        return self.name
