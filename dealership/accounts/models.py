import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .roles import Role


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone such as Europe/Berlin."),
            code="invalid_time_zone",
            params={"value": value},
        )


class TaxRegime(models.TextChoices):
    # EU (Price Indication Directive 98/6/EC; PAngV in Germany): a consumer is shown the
    # final price, VAT included and named as such.
    VAT_INCLUDED = "inclusive", _("VAT included in every price (EU)")
    # US: sales tax added on top at checkout; a trade-in reduces the taxable amount.
    SALES_TAX_ON_TOP = "exclusive", _("Sales tax added on top (US)")


class Location(models.Model):
    """A dealership branch. Everything that happens somewhere points at one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(
        _("country"),
        max_length=2,
        help_text=_("ISO 3166 code, e.g. DE. Also the default region for phone numbers."),
    )
    phone = models.CharField(
        _("phone"), max_length=32, help_text=_("In international format, e.g. +49 341 1234567.")
    )
    email = models.EmailField(_("email"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. Europe/Berlin."),
    )
    sales_tax_rate = models.DecimalField(
        _("sales tax rate (%)"),
        max_digits=5,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    tax_regime = models.CharField(
        _("tax regime"),
        max_length=10,
        choices=TaxRegime.choices,
        help_text=_(
            "How the law where this location sells wants prices shown: with VAT included "
            "(the EU), or with sales tax added on top (the US)."
        ),
    )
    documentation_fee = models.DecimalField(
        _("documentation fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    default_language = models.CharField(
        _("default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        blank=True,
        help_text=_(
            "The language of this location's pages for visitors whose browser asks for one "
            "the site does not offer (blank: English)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("location-detail", kwargs={"slug": self.slug})

    @property
    def prices_include_tax(self) -> bool:
        return self.tax_regime == TaxRegime.VAT_INCLUDED

    @cached_property
    def currency(self) -> str:
        """The ISO 4217 currency of the location's country (EUR in DE, FI and PT), from CLDR;
        the site's CURRENCY where the country is unknown."""
        from babel.numbers import get_territory_currencies

        found = get_territory_currencies(self.country.upper()) if self.country else []
        return found[0] if found else settings.CURRENCY

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def localtime(self, value: datetime.datetime | None = None) -> datetime.datetime:
        """An aware datetime (now by default) in this location's time zone."""
        return timezone.localtime(value or timezone.now(), self.tzinfo)

    def hours_on(self, weekday: int) -> "OpeningHours | None":
        # Iterates the (usually prefetched) rows so pages listing hours add no queries.
        for hours in self.opening_hours.all():
            if hours.weekday == weekday:
                return hours
        return None

    def is_open_at(self, value: datetime.datetime) -> bool:
        local = self.localtime(value)
        hours = self.hours_on(local.weekday())
        return hours is not None and hours.opens <= local.time() < hours.closes

    @property
    def address_lines(self) -> list[str]:
        return [self.street, f"{self.postal_code} {self.city}"]


class TaxRateChange(models.Model):
    """A tax rate a location applies from a day on (rates change: Finland's VAT went from 24 %
    to 25.5 % on 1 September 2024). A periodic job moves the location's rate on that day in
    its own time zone; orders keep the rate they were priced with."""

    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="tax_rate_changes",
        verbose_name=_("location"),
    )
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    valid_from = models.DateField(_("applies from"))
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["location", "-valid_from"]
        verbose_name = _("tax rate change")
        verbose_name_plural = _("tax rate changes")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "valid_from"], name="tax_rate_one_change_per_day"
            )
        ]

    def __str__(self):
        return f"{self.location} {self.rate} % ({self.valid_from})"


class OpeningHours(models.Model):
    """Opening hours for one weekday, in the location's own time zone. No row: closed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("location")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["location", "weekday"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "weekday"], name="openinghours_one_row_per_day"
            ),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="openinghours_closes_after_opens",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})


class User(AbstractUser):
    """A staff member. Customers have no accounts: they reach their records by signed links."""

    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="staff",
        verbose_name=_("locations"),
        help_text=_("The branches this person works at; their records are limited to these."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The staff pages and the showroom in this language (blank: the browser's)."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # Django admin is for managers and administrators (roles.ROLE_EXTRA_PERMISSIONS);
        # other staff work in the staff UI. Superusers have every permission.
        permissions = [("use_admin", _("Can use Django admin"))]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("A user with that email address already exists."),
            )
        ]

    def has_role(self, *roles: Role) -> bool:
        if self.is_superuser:
            return True
        return any(role.value in self.role_names for role in roles)

    @cached_property
    def role_names(self) -> list[str]:
        # Cached for the request: navigation and access checks ask many times.
        return sorted(group.name for group in self.groups.all())


class AuditEvent(models.Model):
    """One staff action on a record: who, when, what, and the fields it changed.

    Rows are written by `audit_record()` and never changed or deleted by the application.
    The target is stored as content type + primary key + its text at the time, so the trail
    survives the record's deletion or pseudonymisation.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        VIEW = "view", _("viewed")
        DECIDE = "decide", _("decided")
        EXPORT = "export", _("exported")
        ERASE = "erase", _("erased")
        SECURITY = "security", _("security setting changed")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who (at the time)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    target_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("record type"),
    )
    target_id = models.CharField(_("record id"), max_length=64)
    target_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]

    def __str__(self):
        return f"{self.actor_name} {self.get_action_display()} {self.target_repr}"
