import datetime
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.core.states import StateMachine, StatusHistory

from .vin import validate_vin


def _vin_validator(value):
    validate_vin(value)


class Feature(models.Model):
    """An equipment item from the managed list (heated seats, tow bar…): searchable."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("feature")
        verbose_name_plural = _("features")

    def __str__(self):
        return self.name


class Vehicle(models.Model):
    class Condition(models.TextChoices):
        NEW = "new", _("New")
        USED = "used", _("Used")
        CERTIFIED = "certified", _("Certified pre-owned")

    class BodyType(models.TextChoices):
        SEDAN = "sedan", _("Sedan")
        HATCHBACK = "hatchback", _("Hatchback")
        ESTATE = "estate", _("Estate")
        SUV = "suv", _("SUV")
        COUPE = "coupe", _("Coupé")
        CONVERTIBLE = "convertible", _("Convertible")
        MPV = "mpv", _("MPV")
        PICKUP = "pickup", _("Pickup")
        VAN = "van", _("Van")

    class Fuel(models.TextChoices):
        PETROL = "petrol", _("Petrol")
        DIESEL = "diesel", _("Diesel")
        HYBRID = "hybrid", _("Hybrid")
        PLUGIN_HYBRID = "plugin_hybrid", _("Plug-in hybrid")
        ELECTRIC = "electric", _("Electric")

    class Transmission(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTOMATIC = "automatic", _("Automatic")

    class Drivetrain(models.TextChoices):
        FWD = "fwd", _("Front-wheel drive")
        RWD = "rwd", _("Rear-wheel drive")
        AWD = "awd", _("All-wheel drive")
        FOUR_WD = "4wd", _("Four-wheel drive")

    class Colour(models.TextChoices):
        BLACK = "black", _("Black")
        WHITE = "white", _("White")
        SILVER = "silver", _("Silver")
        GREY = "grey", _("Grey")
        BLUE = "blue", _("Blue")
        RED = "red", _("Red")
        GREEN = "green", _("Green")
        BROWN = "brown", _("Brown")
        BEIGE = "beige", _("Beige")
        YELLOW = "yellow", _("Yellow")
        ORANGE = "orange", _("Orange")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AVAILABLE = "available", _("Available")
        RESERVED = "reserved", _("Reserved")
        SOLD = "sold", _("Sold")
        ARCHIVED = "archived", _("Archived")

    vin = models.CharField(_("VIN"), max_length=17, unique=True, validators=[_vin_validator])
    stock_number = models.CharField(
        _("stock number"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9]+$", _("Use capital letters and digits only, e.g. L24017."))
        ],
    )
    slug = models.SlugField(_("slug"), max_length=160, unique=True, editable=False)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("location")
    )
    condition = models.CharField(_("condition"), max_length=12, choices=Condition.choices)
    make = models.CharField(_("make"), max_length=40)
    model = models.CharField(_("model"), max_length=60)
    trim = models.CharField(_("trim"), max_length=80, blank=True)
    model_year = models.PositiveSmallIntegerField(
        _("model year"), validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    body_type = models.CharField(_("body type"), max_length=12, choices=BodyType.choices)
    fuel = models.CharField(_("fuel"), max_length=16, choices=Fuel.choices)
    transmission = models.CharField(_("transmission"), max_length=12, choices=Transmission.choices)
    drivetrain = models.CharField(_("drivetrain"), max_length=4, choices=Drivetrain.choices)
    engine = models.CharField(
        _("engine / battery"), max_length=80, blank=True, help_text=_("e.g. 2.0 l TDI or 77 kWh")
    )
    mileage = models.PositiveIntegerField(_("mileage (km)"), default=0)
    exterior_colour = models.CharField(_("exterior colour"), max_length=10, choices=Colour.choices)
    exterior_colour_name = models.CharField(
        _("paint name"), max_length=60, blank=True, help_text=_("e.g. Moonstone Grey metallic")
    )
    interior_colour = models.CharField(_("interior colour"), max_length=60, blank=True)
    seats = models.PositiveSmallIntegerField(
        _("seats"), default=5, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    doors = models.PositiveSmallIntegerField(
        _("doors"), default=5, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    features = models.ManyToManyField(
        Feature, blank=True, related_name="vehicles", verbose_name=_("features")
    )
    description = models.TextField(_("description"), blank=True)
    list_price = models.DecimalField(
        _("list price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    sale_price = models.DecimalField(
        _("sale price"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Optional: a reduced price shown instead of the list price."),
    )
    margin_scheme = models.BooleanField(
        _("sold under the margin scheme"),
        default=False,
        help_text=_(
            "A used car whose VAT is on the dealer's margin only (e.g. §25a UStG): no VAT is "
            "shown on it and the buyer cannot reclaim any. Only where prices include VAT."
        ),
    )
    # The price of the car itself, before fees (and before sales tax where it is added on
    # top; where VAT is included, the gross price): searched and sorted on, so stored.
    price = models.GeneratedField(
        expression=Coalesce("sale_price", "list_price"),
        output_field=models.DecimalField(max_digits=10, decimal_places=2),
        db_persist=True,
        verbose_name=_("price"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    in_stock_since = models.DateField(_("in stock since"), default=datetime.date.today)
    published_at = models.DateTimeField(
        _("published"), null=True, blank=True, help_text=_("When it first became available.")
    )
    sold_at = models.DateTimeField(
        _("sold"), null=True, blank=True, editable=False, help_text=_("When it was marked sold.")
    )
    vin_data = models.JSONField(_("decoded VIN data"), default=dict, blank=True, editable=False)
    # Set while a transfer has the car on the road (transfers.transfer_dispatch), cleared on
    # arrival: the card, the vehicle page, test drives and orders read them without a join.
    transit_to = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("in transit to"),
    )
    transit_eta = models.DateField(_("arrives"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        # The showroom only reads available vehicles; partial indexes match each sort order so
        # a page (and a keyset "next page") is an index range scan, never a sort of the table.
        indexes = [
            models.Index(
                fields=["price", "id"],
                name="vehicle_avail_price",
                condition=models.Q(status="available"),
            ),
            models.Index(
                fields=["model_year", "id"],
                name="vehicle_avail_year",
                condition=models.Q(status="available"),
            ),
            models.Index(
                fields=["mileage", "id"],
                name="vehicle_avail_mileage",
                condition=models.Q(status="available"),
            ),
            models.Index(
                fields=["published_at", "id"],
                name="vehicle_avail_newest",
                condition=models.Q(status="available"),
            ),
            models.Index(
                fields=["make", "model", "price", "id"],
                name="vehicle_avail_make_price",
                condition=models.Q(status="available"),
            ),
            models.Index(
                fields=["body_type", "price", "id"],
                name="vehicle_avail_body_price",
                condition=models.Q(status="available"),
            ),
            models.Index(
                fields=["fuel", "price", "id"],
                name="vehicle_avail_fuel_price",
                condition=models.Q(status="available"),
            ),
            models.Index(fields=["status", "location"], name="vehicle_status_location"),
            models.Index(fields=["sold_at", "location"], name="vehicle_sold_location"),
            # The managers' oldest cars in stock (drafts count: bought, not yet on sale) and
            # price-drop candidates: the ten oldest are the first index entries, not a sort
            # of every car (reports' IN_STOCK).
            models.Index(
                fields=["in_stock_since", "id"],
                name="vehicle_in_stock_age",
                condition=models.Q(status__in=["draft", "available", "reserved"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sale_price__isnull=True)
                | models.Q(sale_price__lte=models.F("list_price")),
                name="vehicle_sale_price_not_above_list",
                violation_error_message=_("The sale price cannot be above the list price."),
            ),
        ]

    def __str__(self):
        return f"{self.model_year} {self.make} {self.model} {self.trim}".strip() + (
            f" ({self.stock_number})"
        )

    def get_absolute_url(self):
        return reverse("inventory:vehicle", kwargs={"slug": self.slug})

    @property
    def title(self) -> str:
        return f"{self.model_year} {self.make} {self.model}"

    @property
    def days_in_stock(self) -> int:
        return (timezone.localdate() - self.in_stock_since).days

    @property
    def is_on_sale(self) -> bool:
        return self.sale_price is not None and self.sale_price < self.list_price

    @property
    def in_transit(self) -> bool:
        return self.transit_to_id is not None

    @property
    def selling_location_id(self) -> int:
        """Where the car is sold and test-driven: its destination while in transit."""
        return self.transit_to_id or self.location_id

    @property
    def selling_location(self) -> Location:
        return self.transit_to if self.transit_to_id else self.location

    @property
    def is_public(self) -> bool:
        return self.status in (self.Status.AVAILABLE, self.Status.RESERVED)

    @staticmethod
    def build_slug(*, model_year, make, model, stock_number) -> str:
        return slugify(f"{model_year}-{make}-{model}-{stock_number}")[:160]


class VehiclePhoto(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="photos", verbose_name=_("vehicle")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_primary = models.BooleanField(_("primary"), default=False)
    alt_text = models.CharField(_("alt text"), max_length=200, blank=True)
    # The upload as received (may carry EXIF/GPS): never shown, deleted once processed.
    original = models.FileField(_("original"), upload_to="vehicles/originals/", blank=True)
    gallery = models.FileField(_("gallery image"), upload_to="vehicles/gallery/", blank=True)
    thumbnail = models.FileField(_("thumbnail"), upload_to="vehicles/thumbs/", blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["vehicle", "-is_primary", "position", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=models.Q(is_primary=True),
                name="vehiclephoto_one_primary",
                violation_error_message=_("A vehicle has one primary photo."),
            ),
        ]
        indexes = [models.Index(fields=["vehicle", "position"], name="vehiclephoto_order")]

    def __str__(self):
        return self.alt_text or f"{_('Photo')} {self.pk}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY


class PriceChange(models.Model):
    """A change of a vehicle's price: the saved-search job finds price drops here."""

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="price_changes", verbose_name=_("vehicle")
    )
    old_price = models.DecimalField(_("old price"), max_digits=10, decimal_places=2)
    new_price = models.DecimalField(_("new price"), max_digits=10, decimal_places=2)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")

    def __str__(self):
        return f"{self.vehicle_id}: {self.old_price} → {self.new_price}"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class SavedSearch(models.Model):
    """A visitor's search with an email address; the nightly job mails new matches."""

    email = models.EmailField(_("email"))
    query = models.CharField(_("search"), max_length=1000, help_text=_("The query string."))
    description = models.CharField(_("description"), max_length=300, blank=True)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    consent_wording = models.TextField(_("consent wording"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_checked_at = models.DateTimeField(
        _("last checked"), help_text=_("Matches and price drops since then are new.")
    )
    last_alert_on = models.DateField(_("last alert"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(
                "email",
                "query",
                condition=models.Q(cancelled_at__isnull=True),
                name="savedsearch_unique_active",
            )
        ]

    def __str__(self):
        return f"{self.email}: {self.description or self.query}"


class VehicleDailyViews(models.Model):
    """How many times a vehicle's public page was viewed on one day (UTC).

    Anonymous counts only: no visitor, session, address or user agent is stored, so this is
    not personal data (the privacy registry maps customer-linked models only). The figures
    come from counters in the shared cache (see page_views.py), written here by the
    ``inventory.views_flush`` job, which never lowers a stored figure.
    """

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="daily_views", verbose_name=_("vehicle")
    )
    day = models.DateField(_("day (UTC)"))
    views = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("vehicle daily views")
        verbose_name_plural = _("vehicle daily views")
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "day"], name="vehicle_daily_views_unique"),
        ]

    def __str__(self):
        return f"{self.vehicle_id} {self.day}: {self.views}"


class VehicleTransfer(models.Model):
    """A car moved from one location to another: requested by a manager of the destination,
    decided by a manager of the car's location, dispatched with an ETA, then arrived (the car's
    location changes). The rows are the car's location history."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        IN_TRANSIT = "in_transit", _("In transit")
        ARRIVED = "arrived", _("Arrived")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.REQUESTED, Status.APPROVED, Status.IN_TRANSIT)

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("vehicle")
    )
    from_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    reason = models.TextField(_("reason"))
    # Inventory sits below leads: the customer and lead are plain ids (shown as links by the
    # staff page), with a note for anything else (a walk-in not yet in the CRM).
    for_customer_id = models.PositiveBigIntegerField(_("for customer (id)"), null=True, blank=True)
    for_lead_id = models.PositiveBigIntegerField(_("for lead (id)"), null=True, blank=True)
    for_note = models.CharField(_("for whom"), max_length=200, blank=True)
    eta = models.DateField(_("estimated arrival"), null=True, blank=True)
    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    approved_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("vehicle transfer")
        verbose_name_plural = _("vehicle transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=models.Q(status__in=["requested", "approved", "in_transit"]),
                name="vehicletransfer_one_open_per_vehicle",
                violation_error_message=_("This car already has a transfer under way."),
            ),
            models.CheckConstraint(
                condition=~models.Q(from_location=models.F("to_location")),
                name="vehicletransfer_between_two_locations",
                violation_error_message=_("A transfer goes to another location."),
            ),
        ]
        indexes = [
            models.Index(fields=["from_location", "status"], name="vehicletransfer_from"),
            models.Index(fields=["to_location", "status"], name="vehicletransfer_to"),
        ]

    def __str__(self):
        return f"{self.vehicle_id}: {self.from_location_id} → {self.to_location_id} ({self.status})"

    def get_absolute_url(self):
        return reverse("inventory:transfer", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class VehicleTransferEvent(StatusHistory):
    """One step of a transfer: who, when, from which status to which, with a note."""

    transfer = models.ForeignKey(
        VehicleTransfer,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("transfer"),
    )
    subject_field = "transfer"

    class Meta(StatusHistory.Meta):
        verbose_name = _("transfer step")
        verbose_name_plural = _("transfer steps")


class TransferError(ValidationError):
    pass


_T = VehicleTransfer.Status
# The moves a transfer can make (inventory.transfers says which end's managers make each).
TRANSFER_MACHINE = StateMachine(
    moves={
        _T.REQUESTED: {_T.APPROVED, _T.REJECTED, _T.CANCELLED},
        _T.APPROVED: {_T.IN_TRANSIT, _T.CANCELLED},
        _T.IN_TRANSIT: {_T.ARRIVED},
        _T.ARRIVED: set(),
        _T.REJECTED: set(),
        _T.CANCELLED: set(),
    },
    history=VehicleTransferEvent,
    refusal=_("A transfer that is “%(from)s” cannot become “%(to)s”."),
    error=TransferError,
    touch=["updated_at"],
)


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class Feed(models.Model):
    """A marketplace export of the available inventory, at a stable URL with its own secret
    token. Built by the ``inventory.feeds_refresh`` job when the inventory version it was
    built for is no longer the current one (never per request), stored as a file and served
    from storage."""

    class Kind(models.TextChoices):
        GOOGLE_TSV = "google_tsv", _("Google Merchant Center vehicle ads (TSV)")
        GOOGLE_XML = "google_xml", _("Google Merchant Center vehicle ads (XML)")
        META_CSV = "meta_csv", _("Meta automotive inventory catalog (CSV)")
        CSV = "csv", _("Showroom CSV feed")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("format"), max_length=12, choices=Kind.choices)
    token = models.CharField(
        _("secret token"), max_length=64, unique=True, default=_feed_token, editable=False
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feeds",
        verbose_name=_("location"),
        help_text=_("Only this location's cars; empty: every location."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    file = models.FileField(_("file"), upload_to="feeds/", blank=True, editable=False)
    built_version = models.CharField(max_length=64, blank=True, editable=False)
    last_built_at = models.DateTimeField(_("last built"), null=True, blank=True, editable=False)
    row_count = models.PositiveIntegerField(_("vehicles"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("marketplace feed")
        verbose_name_plural = _("marketplace feeds")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inventory:feed", kwargs={"token": self.token, "ext": self.extension})

    @property
    def extension(self) -> str:
        return {"google_tsv": "tsv", "google_xml": "xml", "meta_csv": "csv", "csv": "csv"}[
            self.kind
        ]
