"""After-sales: the cars our customers own, what they need and when, service appointments,
recall campaigns and complaints."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.core.states import StateMachine, StatusHistory
from inventory.models import Vehicle
from inventory.vin import validate_vin
from leads.models import Customer


def _vin_validator(value: str) -> None:
    validate_vin(value)


class MaintenancePlan(models.Model):
    """Service items for the cars a plan matches. Blank make / model / fuel match anything; the
    most specific active plan wins (make+model+fuel over make+model over make over catch-all)."""

    name = models.CharField(_("name"), max_length=120)
    make = models.CharField(_("make"), max_length=60, blank=True, help_text=_("Empty: any."))
    model = models.CharField(_("model"), max_length=60, blank=True, help_text=_("Empty: any."))
    fuel = models.CharField(
        _("fuel"),
        max_length=20,
        choices=Vehicle.Fuel.choices,
        blank=True,
        help_text=_("Empty: any."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["make", "model", "fuel"]
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        constraints = [
            models.UniqueConstraint(fields=["make", "model", "fuel"], name="plan_unique_match")
        ]

    def __str__(self):
        return self.name

    @property
    def specificity(self) -> int:
        return (4 if self.make else 0) + (2 if self.model else 0) + (1 if self.fuel else 0)


class ServiceItem(models.Model):
    """One job of a plan, due every `interval_months` and/or every `interval_km`, whichever
    comes first."""

    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.CASCADE, related_name="items", verbose_name=_("plan")
    )
    name = models.CharField(_("name"), max_length=120)
    interval_months = models.PositiveSmallIntegerField(_("every (months)"), null=True, blank=True)
    interval_km = models.PositiveIntegerField(_("every (km)"), null=True, blank=True)
    remind_days_ahead = models.PositiveSmallIntegerField(_("remind days ahead"), default=30)
    remind_km_ahead = models.PositiveIntegerField(_("remind km ahead"), default=1000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["plan", "position", "id"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_months__isnull=False) | Q(interval_km__isnull=False),
                name="serviceitem_has_interval",
                violation_error_message=_("Give an interval in months, in km, or both."),
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.interval_months is None and self.interval_km is None:
            raise ValidationError(_("Give an interval in months, in km, or both."))


class OwnedVehicle(models.Model):
    """A car a customer owns. The next due service item is kept on the row (recomputed whenever
    a reading, a service or the plan changes) so the nightly job is one indexed query."""

    class Kind(models.TextChoices):
        CAR = "car", _("Car")
        VAN = "van", _("Van")
        MOTORCYCLE = "motorcycle", _("Motorcycle")

    class Origin(models.TextChoices):
        OURS = "ours", _("Bought from us")
        ELSEWHERE = "elsewhere", _("Bought elsewhere")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SOLD = "sold", _("Sold")
        SCRAPPED = "scrapped", _("Scrapped")

    class DueBy(models.TextChoices):
        TIME = "time", _("date")
        KM = "km", _("mileage")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="owned_vehicles", verbose_name=_("owner")
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="owned_vehicles",
        verbose_name=_("service branch"),
    )
    vin = models.CharField(_("VIN"), max_length=17, validators=[_vin_validator])
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=60)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    fuel = models.CharField(_("fuel"), max_length=20, choices=Vehicle.Fuel.choices, blank=True)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.CAR)
    delivered_on = models.DateField(_("delivered / bought on"))
    origin = models.CharField(_("bought"), max_length=10, choices=Origin.choices)
    inventory_vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stock record"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    reminders_opt_out = models.BooleanField(_("no service reminders"), default=False)
    # The first reading (at delivery) and the latest accepted one: the rate is learned from them.
    first_odometer_km = models.PositiveIntegerField(_("first odometer reading (km)"), default=0)
    first_odometer_on = models.DateField(_("first odometer reading on"))
    odometer_km = models.PositiveIntegerField(_("last odometer (km)"), default=0)
    odometer_on = models.DateField(_("last odometer reading on"))
    km_per_day = models.DecimalField(
        _("learned km per day"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_item = models.ForeignKey(
        ServiceItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_due_on = models.DateField(_("next service due"), null=True, blank=True)
    next_due_km = models.PositiveIntegerField(_("next service due at (km)"), null=True, blank=True)
    next_due_by = models.CharField(max_length=4, choices=DueBy.choices, blank=True)
    next_remind_on = models.DateField(_("remind from"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["customer", "make", "model"]
        verbose_name = _("owned vehicle")
        verbose_name_plural = _("owned vehicles")
        constraints = [
            models.UniqueConstraint(
                fields=["vin"],
                condition=Q(status="active"),
                name="ownedvehicle_one_active_per_vin",
                violation_error_message=_("This VIN is already registered to an owner."),
            )
        ]
        indexes = [
            models.Index(
                fields=["next_remind_on", "id"],
                condition=Q(status="active", reminders_opt_out=False),
                name="ownedvehicle_remind_idx",
            ),
            models.Index(fields=["vin"], name="ownedvehicle_vin_idx"),
        ]

    def __str__(self):
        return f"{self.make} {self.model} ({self.vin})"

    @property
    def label(self) -> str:
        return " ".join(str(p) for p in (self.year, self.make, self.model) if p)

    @property
    def effective_km_per_day(self) -> Decimal:
        if self.km_per_day is not None:
            return self.km_per_day
        return Decimal(str(settings.AFTERSALES_DEFAULT_KM_PER_DAY.get(self.kind, 40)))


class OdometerReading(models.Model):
    class Source(models.TextChoices):
        DELIVERY = "delivery", _("Delivery")
        CHECK_IN = "check_in", _("Workshop check-in")
        STAFF = "staff", _("Entered by staff")
        CUSTOMER = "customer", _("Entered by the customer")

    owned_vehicle = models.ForeignKey(
        OwnedVehicle, on_delete=models.CASCADE, related_name="readings"
    )
    km = models.PositiveIntegerField(_("odometer (km)"))
    read_on = models.DateField(_("read on"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    accepted = models.BooleanField(_("used for the estimate"), default=True)
    warning = models.CharField(_("warning"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-read_on", "-id"]
        verbose_name = _("odometer reading")
        verbose_name_plural = _("odometer readings")

    def __str__(self):
        return f"{self.km} km ({self.read_on})"


class WorkshopCapacity(models.Model):
    """How many service appointments a branch's workshop takes per open day."""

    location = models.OneToOneField(
        Location, on_delete=models.CASCADE, related_name="workshop", verbose_name=_("location")
    )
    appointments_per_day = models.PositiveSmallIntegerField(
        _("appointments per day"), default=8, validators=[MinValueValidator(1)]
    )
    courtesy_cars = models.PositiveSmallIntegerField(_("courtesy cars"), default=2)
    slot_minutes = models.PositiveSmallIntegerField(
        _("drop-off slot length (minutes)"), default=30, validators=[MinValueValidator(10)]
    )

    class Meta:
        verbose_name = _("workshop capacity")
        verbose_name_plural = _("workshop capacities")

    def __str__(self):
        return str(self.location)


class ServiceReminder(models.Model):
    """One reminder (first or second) for one vehicle, item and due date. The unique key is the
    job's memory: a rerun inserts nothing new and the outbox dedupe key sends nothing twice."""

    owned_vehicle = models.ForeignKey(
        OwnedVehicle, on_delete=models.CASCADE, related_name="reminders"
    )
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(_("due on"))
    number = models.PositiveSmallIntegerField(_("reminder number"))
    created_at = models.DateTimeField(_("created"))
    queued_at = models.DateTimeField(_("messages queued"), null=True, blank=True)
    task_created_at = models.DateTimeField(_("advisor task created"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service reminder")
        verbose_name_plural = _("service reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["owned_vehicle", "item", "due_on", "number"], name="reminder_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(queued_at__isnull=True), name="reminder_unqueued"
            ),
            # The after-sales panel's covering index (reminder_report_queued) is
            # PostgreSQL-only: migration 0002_report_indexes.
        ]

    def __str__(self):
        return f"{self.owned_vehicle_id}:{self.item_id}:{self.due_on}:{self.number}"


class ServiceAppointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    class Handover(models.TextChoices):
        DROP_OFF = "drop_off", _("I drop the car off")
        WAIT = "wait", _("I wait at the dealership")

    class BookedVia(models.TextChoices):
        REMINDER = "reminder", _("Reminder link")
        WEBSITE = "website", _("Website")
        STAFF = "staff", _("Staff")

    ACTIVE_STATUSES = (Status.BOOKED, Status.CHECKED_IN)

    owned_vehicle = models.ForeignKey(
        OwnedVehicle, on_delete=models.PROTECT, related_name="appointments"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="service_appointments"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="service_appointments"
    )
    day = models.DateField(_("day"))
    drop_off_at = models.DateTimeField(_("drop-off"))
    items = models.ManyToManyField(
        ServiceItem, blank=True, related_name="+", verbose_name=_("services")
    )
    handover = models.CharField(_("drop-off or wait"), max_length=10, choices=Handover.choices)
    courtesy_car = models.BooleanField(_("courtesy car requested"), default=False)
    customer_notes = models.TextField(_("notes"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    booked_via = models.CharField(_("booked via"), max_length=10, choices=BookedVia.choices)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checkin_odometer_km = models.PositiveIntegerField(
        _("odometer at check-in"), null=True, blank=True
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    price = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)
    # Every save stamps it (services list it in update_fields): the reports' rollup finds the
    # reminders whose "followed by a booking" figure a cancellation changed through it.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["drop_off_at", "id"]
        verbose_name = _("service appointment")
        verbose_name_plural = _("service appointments")
        # The after-sales panel's index of bookings by car (appointment_report_booked) is
        # PostgreSQL-only: migration 0002_report_indexes.
        indexes = [
            models.Index(fields=["location", "day"], name="appointment_day_idx"),
            # The reports' rollup: appointments booked or changed since its last run.
            models.Index(fields=["updated_at"], name="appointment_updated_idx"),
        ]

    def __str__(self):
        return f"{self.owned_vehicle} · {self.day}"


class ServiceAppointmentTransition(StatusHistory):
    """The appointment's moves: booked, checked in (with the odometer in the note), completed,
    cancelled."""

    appointment = models.ForeignKey(
        ServiceAppointment, on_delete=models.CASCADE, related_name="transitions"
    )
    subject_field = "appointment"

    class Meta(StatusHistory.Meta):
        verbose_name = _("appointment status change")
        verbose_name_plural = _("appointment status changes")


_A = ServiceAppointment.Status
APPOINTMENT_MACHINE = StateMachine(
    moves={
        _A.BOOKED: {_A.CHECKED_IN, _A.CANCELLED, _A.NO_SHOW},
        _A.CHECKED_IN: {_A.COMPLETED},
        _A.COMPLETED: set(),
        _A.CANCELLED: set(),
        _A.NO_SHOW: set(),
    },
    history=ServiceAppointmentTransition,
    refusal=_("An appointment cannot go from “%(from)s” to “%(to)s”."),
    # The message says what to do for the moves a person tries from the wrong status.
    refusals={
        _A.CANCELLED: _("Only a booked appointment can be cancelled."),
        _A.CHECKED_IN: _("Only a booked appointment can be checked in."),
        _A.COMPLETED: _("Check the car in before completing the visit."),
    },
    touch=["updated_at"],
    lock_related=["location", "owned_vehicle"],
)


class ServiceRecord(models.Model):
    """A service item done on a car: the service history, and the base of the next due date."""

    owned_vehicle = models.ForeignKey(
        OwnedVehicle, on_delete=models.CASCADE, related_name="service_records"
    )
    item = models.ForeignKey(
        ServiceItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("work"), max_length=200)
    done_on = models.DateField(_("done on"))
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), null=True, blank=True)
    appointment = models.ForeignKey(
        ServiceAppointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="records",
    )

    class Meta:
        ordering = ["-done_on", "-id"]
        verbose_name = _("service record")
        verbose_name_plural = _("service history")

    def __str__(self):
        return f"{self.description} ({self.done_on})"


class RecallCampaign(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    remedy = models.TextField(_("remedy"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recall campaign")
        verbose_name_plural = _("recall campaigns")

    def __str__(self):
        return f"{self.code} · {self.title}"


class RecallVehicle(models.Model):
    """An affected VIN. Flagged (open) while `remedied_at` is empty."""

    campaign = models.ForeignKey(RecallCampaign, on_delete=models.CASCADE, related_name="vehicles")
    vin = models.CharField(_("VIN"), max_length=17)
    owned_vehicle = models.ForeignKey(
        OwnedVehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="recalls"
    )
    notified_at = models.DateTimeField(_("owner notified"), null=True, blank=True)
    remedied_at = models.DateTimeField(_("remedied"), null=True, blank=True)
    remedied_appointment = models.ForeignKey(
        ServiceAppointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["campaign", "vin"]
        verbose_name = _("recalled vehicle")
        verbose_name_plural = _("recalled vehicles")
        constraints = [models.UniqueConstraint(fields=["campaign", "vin"], name="recall_vin_once")]
        indexes = [models.Index(fields=["vin"], name="recallvehicle_vin_idx")]

    def __str__(self):
        return f"{self.campaign.code} · {self.vin}"


class Complaint(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Website form")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")

    class Category(models.TextChoices):
        SERVICE = "service", _("Workshop / service")
        SALES = "sales", _("Sales")
        VEHICLE = "vehicle", _("Vehicle quality")
        BILLING = "billing", _("Billing")
        STAFF = "staff", _("Staff behaviour")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("branch")
    )
    channel = models.CharField(_("received via"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("what happened"), max_length=10000)
    owned_vehicle = models.ForeignKey(
        OwnedVehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints"
    )
    appointment = models.ForeignKey(
        ServiceAppointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("service visit"),
    )
    # Orders sit above after-sales: a reference, not a foreign key.
    order_reference = models.CharField(_("order number"), max_length=40, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("handler"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    target_at = models.DateTimeField(_("resolve by"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"))

    class Meta:
        ordering = ["target_at", "id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(
                fields=["target_at"],
                condition=Q(
                    status__in=["new", "in_progress", "waiting"], escalated_at__isnull=True
                ),
                name="complaint_overdue_idx",
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ComplaintNote(StatusHistory):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    note = models.TextField(_("note"), blank=True, max_length=5000)
    customer_notified = models.BooleanField(_("customer notified"), default=False)
    at = models.DateTimeField(_("at"))
    subject_field = "complaint"

    class Meta(StatusHistory.Meta):
        verbose_name = _("complaint note")
        verbose_name_plural = _("complaint notes")


_C = Complaint.Status
COMPLAINT_MACHINE = StateMachine(
    moves={
        _C.NEW: {_C.IN_PROGRESS, _C.WAITING, _C.RESOLVED},
        _C.IN_PROGRESS: {_C.WAITING, _C.RESOLVED},
        _C.WAITING: {_C.IN_PROGRESS, _C.RESOLVED},
        _C.RESOLVED: {_C.IN_PROGRESS, _C.CLOSED},
        _C.CLOSED: set(),
    },
    history=ComplaintNote,
    refusal=_("A complaint cannot go from “%(from)s” to “%(to)s”."),
    lock_related=["customer", "location"],
    lock_joined=True,
)
