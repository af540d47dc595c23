"""Test-drive bookings. Non-overlap per vehicle and per consultant is an exclusion constraint
in PostgreSQL (migration 0002); Python checks exist only to offer friendly alternatives."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.core.states import StateMachine, StatusHistory
from inventory.models import Vehicle
from leads.models import Customer, Lead


class TestDriveSettings(models.Model):
    """How a location hands out test-drive slots. No row: the defaults below."""

    __test__ = False  # not a pytest test class despite the name

    DEFAULT_SLOT_MINUTES = 45
    DEFAULT_BUFFER_MINUTES = 15
    DEFAULT_MIN_NOTICE_MINUTES = 120
    DEFAULT_HORIZON_DAYS = 14

    location = models.OneToOneField(
        Location,
        on_delete=models.CASCADE,
        related_name="testdrive_settings",
        verbose_name=_("location"),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("drive length (minutes)"), default=DEFAULT_SLOT_MINUTES
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between drives (minutes)"), default=DEFAULT_BUFFER_MINUTES
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=DEFAULT_MIN_NOTICE_MINUTES
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("bookable days ahead"), default=DEFAULT_HORIZON_DAYS
    )

    class Meta:
        verbose_name = _("test-drive settings")
        verbose_name_plural = _("test-drive settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=10), name="testdrivesettings_slot_min_10"
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1) & Q(horizon_days__lte=60),
                name="testdrivesettings_horizon_1_60",
            ),
        ]

    def __str__(self):
        return str(self.location)

    @classmethod
    def defaults_for(cls, location: Location) -> "TestDriveSettings":
        return cls(location=location)

    @property
    def slot(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.slot_minutes)

    @property
    def buffer(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.buffer_minutes)

    @property
    def notice(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.min_notice_minutes)


class Booking(models.Model):
    """A test drive, or a block that takes a vehicle off the road (service, sold).

    The vehicle and the consultant are busy over [start_at, busy_until): the drive plus the
    location's buffer. Half-open, so a drive may start the instant the previous one's buffer
    ends."""

    class Kind(models.TextChoices):
        DRIVE = "drive", _("Test drive")
        BLOCK = "block", _("Vehicle blocked")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        CONFIRMED = "confirmed", _("Confirmed")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        WEBSITE = "website", _("Website")
        PHONE = "phone", _("Phone")
        STAFF = "staff", _("Staff")

    class Outcome(models.TextChoices):
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        WANTS_OFFER = "wants_offer", _("Wants an offer")

    class CancelledBy(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DRIVE)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("vehicle")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="testdrive_bookings",
        verbose_name=_("consultant"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="testdrive_bookings",
        verbose_name=_("customer"),
    )
    lead = models.ForeignKey(
        Lead,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="testdrive_bookings",
        verbose_name=_("lead"),
    )
    start_at = models.DateTimeField(_("starts"))
    end_at = models.DateTimeField(_("ends"))
    busy_until = models.DateTimeField(_("busy until"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    channel = models.CharField(_("booked by"), max_length=10, choices=Channel.choices)
    # Bumped by every reschedule: reminders carry it in their dedupe key.
    version = models.PositiveIntegerField(default=1)
    message = models.TextField(_("customer's message"), blank=True)
    licence_confirmed = models.BooleanField(_("valid driving licence confirmed"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    vehicle_unavailable_at = models.DateTimeField(
        _("vehicle no longer available (flagged)"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["start_at", "id"]
        verbose_name = _("test-drive booking")
        verbose_name_plural = _("test-drive bookings")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at"))
                & Q(busy_until__gte=models.F("end_at")),
                name="booking_times_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind="block") | Q(customer__isnull=False),
                name="booking_drive_has_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "start_at"], name="booking_loc_start"),
            models.Index(fields=["vehicle", "start_at"], name="booking_vehicle_start"),
            models.Index(fields=["consultant", "start_at"], name="booking_consultant_start"),
            models.Index(
                fields=["start_at"],
                condition=Q(kind="drive", vehicle_unavailable_at__isnull=True),
                name="booking_unflagged_drive",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.vehicle_id} {self.start_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def local_start(self) -> datetime.datetime:
        return self.location.localtime(self.start_at)

    @property
    def local_end(self) -> datetime.datetime:
        return self.location.localtime(self.end_at)

    @property
    def is_local_today(self) -> bool:
        """Whether the drive is on today's date where it takes place (check-in day)."""
        return self.local_start.date() == self.location.localtime().date()


# Bookings that hold their vehicle and consultant (the exclusion constraints' condition).
ACTIVE_STATUSES = (
    Booking.Status.REQUESTED,
    Booking.Status.CONFIRMED,
    Booking.Status.CHECKED_IN,
    Booking.Status.COMPLETED,
)
# Still ahead: these may be rescheduled or cancelled.
OPEN_STATUSES = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED)


class BookingStatusChange(StatusHistory):
    """History: who moved a booking from what to what, when, and why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    by = at = None  # named as below
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    subject_field, by_field, at_field = "booking", "changed_by", "changed_at"

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("booking status change")
        verbose_name_plural = _("booking status changes")


_B = Booking.Status
BOOKING_MACHINE = StateMachine(
    moves={
        _B.REQUESTED: {_B.CONFIRMED, _B.CANCELLED},
        _B.CONFIRMED: {_B.CHECKED_IN, _B.NO_SHOW, _B.CANCELLED},
        _B.CHECKED_IN: {_B.COMPLETED, _B.CANCELLED},
        _B.COMPLETED: set(),
        _B.NO_SHOW: set(),
        _B.CANCELLED: set(),
    },
    history=BookingStatusChange,
    refusal=_("A booking cannot move from “%(from)s” to “%(to)s”."),
    touch=["updated_at"],
    note_length=300,
    lock_related=["location", "vehicle", "customer", "consultant", "lead"],
)
ALLOWED_TRANSITIONS = BOOKING_MACHINE.moves
