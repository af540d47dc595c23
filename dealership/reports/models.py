"""Summary tables the dashboards read instead of scanning a year of leads, bookings, orders and
survey answers. They are derived data: rollup.py recomputes them from the other apps' tables
(idempotently, a day range at a time) and nothing else writes them.

Keys are plain ids, not foreign keys: a rollup row outlives nothing and is rebuilt from the
sources, so a deleted user or location must not block (or cascade into) the summary.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFigures(models.Model):
    """Counts for one location-local calendar day × location × consultant × source.

    Leads (by the day they arrived): leads, contacted (reached contacted or a later stage),
    answered, with_target (had a response target), answered_late (answered after it).
    Test drives (completed, by the day they started), orders (placed: not a draft, and not
    cancelled before any payment succeeded; by the day they were created), delivered (by the
    delivery day), NPS answers (by the day they were submitted), service reminders sent and
    followed by a booking within 60 days (by the day their messages went out, at the car's
    service branch). `consultant_id` is the lead's assignee, the booking's, order's or survey
    invitation's consultant (NULL: nobody, and for reminders); `source` is the lead's source,
    the customer's for bookings, orders and answers ('' for reminders).
    """

    day = models.DateField(_("day"))
    location_id = models.BigIntegerField(_("location"))
    consultant_id = models.BigIntegerField(_("consultant"), null=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    leads = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    with_target = models.PositiveIntegerField(default=0)
    answered_late = models.PositiveIntegerField(default=0)
    test_drives = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    nps_responses = models.PositiveIntegerField(default=0)
    nps_promoters = models.PositiveIntegerField(default=0)
    nps_detractors = models.PositiveIntegerField(default=0)
    reminders_sent = models.PositiveIntegerField(default=0)
    reminders_booked = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        constraints = [
            # The rollup's key; its index (day first) serves every panel's day-range scan.
            models.UniqueConstraint(
                fields=["day", "location_id", "consultant_id", "source"],
                nulls_distinct=False,
                name="daily_figures_key",
            )
        ]
        # The after-sales panel reads the reminder rows alone through a partial covering
        # index (PostgreSQL only: migration 0004), not every sales row of the year.

    def __str__(self):
        return f"{self.day} {self.location_id}/{self.consultant_id}/{self.source}"


class ResponseMinutes(models.Model):
    """How many leads of a day × location × consultant × source were first answered after
    exactly `minutes` business minutes. first_response_minutes is a whole number, so this
    histogram loses nothing: medians and percentiles from it equal percentile_cont over the
    leads themselves."""

    day = models.DateField(_("day"))
    location_id = models.BigIntegerField(_("location"))
    consultant_id = models.BigIntegerField(_("consultant"), null=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    minutes = models.PositiveIntegerField(_("business minutes"))
    leads = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("first-response histogram bucket")
        verbose_name_plural = _("first-response histogram")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "location_id", "consultant_id", "source", "minutes"],
                nulls_distinct=False,
                name="response_minutes_key",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.location_id}/{self.consultant_id}/{self.source}: {self.minutes}"


class RollupState(models.Model):
    """One row (pk 1): when the last successful rollup run started. The next run also
    recomputes days whose source rows changed since then (leads' updated_at, bookings'
    updated_at, orders' status_changed_at, service appointments' created_at and
    status_changed_at for the reminders before them), however old those days are."""

    started_at = models.DateTimeField(_("last run started"))
    finished_at = models.DateTimeField(_("last run finished"))

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self):
        return f"rollup {self.started_at:%Y-%m-%d %H:%M}"


class ResponseMinutesMonthly(models.Model):
    """ResponseMinutes summed over calendar months (`month`: its first day), derived from the
    daily rows whenever they change: a year's median reads twelve months of these and the
    odd days at the ends from the daily table, a fraction of the rows."""

    month = models.DateField(_("month"))
    location_id = models.BigIntegerField(_("location"))
    consultant_id = models.BigIntegerField(_("consultant"), null=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    minutes = models.PositiveIntegerField(_("business minutes"))
    leads = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("first-response histogram bucket (month)")
        verbose_name_plural = _("first-response histogram (months)")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "location_id", "consultant_id", "source", "minutes"],
                nulls_distinct=False,
                name="response_minutes_monthly_key",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.location_id}/{self.consultant_id}: {self.minutes}"


class NpsMonthly(models.Model):
    """Customer survey invitations (the staff pulse left out) that went out in a calendar
    month of their location (`month`: its first day) × location × touchpoint × score (NULL:
    not answered). The NPS panel counts invitations by when they went out, by month, so a
    year's trend reads a few thousand of these instead of every invitation; the days at the
    ends of a period that are not whole months, and the current month, are read live."""

    month = models.DateField(_("month"))
    location_id = models.BigIntegerField(_("location"))
    touchpoint = models.CharField(_("touchpoint"), max_length=20)
    nps_score = models.PositiveSmallIntegerField(_("score"), null=True)
    invitations = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("survey invitations (month)")
        verbose_name_plural = _("survey invitations (months)")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "location_id", "touchpoint", "nps_score"],
                nulls_distinct=False,
                name="nps_monthly_key",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.location_id}/{self.touchpoint}: {self.nps_score}"
