"""Orders: the deal a customer builds, its versions, payments, finance, contract and delivery."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.core.states import StateMachine, StatusHistory
from inventory.models import Vehicle
from inventory.pricing import DealBreakdown
from leads.models import Customer, Lead


def _access_key() -> str:
    return secrets.token_urlsafe(12)


def _reference() -> str:
    return "SO-" + secrets.token_hex(4).upper()


def _quote_reference() -> str:
    return "QU-" + secrets.token_hex(4).upper()


def contract_upload_to(signature: "Signature", filename: str) -> str:
    """contracts/<year>/<month>/<reference>-v<n>-<random>.pdf: not guessable, so a media
    folder served as is never gives one contract for another's name."""
    return (
        f"contracts/{signature.signed_at:%Y/%m}/{signature.order.reference}-"
        f"v{signature.version.number}-{secrets.token_urlsafe(12)}.pdf"
    )


class AddOn(models.Model):
    """Something the dealership sells with a car (extended warranty, floor mats…)."""

    class TaxRule(models.TextChoices):
        TAXABLE = "taxable", _("Taxed at the location's rate")
        EXEMPT = "exempt", _("Tax exempt")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    tax_rule = models.CharField(
        _("tax rule"), max_length=10, choices=TaxRule.choices, default=TaxRule.TAXABLE
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self):
        return self.name


class DeliverySlot(models.Model):
    """A window in which a location can hand over cars (home delivery or pickup)."""

    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="delivery_slots",
        verbose_name=_("location"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=2, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("delivery slot")
        verbose_name_plural = _("delivery slots")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "starts_at"], name="deliveryslot_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="deliveryslot_ends_after"
            ),
        ]

    def __str__(self):
        local = self.location.localtime(self.starts_at)
        end = self.location.localtime(self.ends_at)
        return f"{self.location.name}: {local:%Y-%m-%d %H:%M}–{end:%H:%M}"


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Reserved, deposit due")
        DEPOSIT_PAID = "deposit_paid", _("Deposit paid")
        FINANCE_PENDING = "finance_pending", _("Finance decision pending")
        FINANCE_APPROVED = "finance_approved", _("Finance approved")
        CONTRACT_SENT = "contract_sent", _("Contract ready to sign")
        CONTRACT_SIGNED = "contract_signed", _("Contract signed")
        READY_FOR_DELIVERY = "ready_for_delivery", _("Ready for delivery")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentType(models.TextChoices):
        CASH = "cash", _("Cash")
        FINANCE = "finance", _("Finance")
        LEASE = "lease", _("Lease")

    class Fulfilment(models.TextChoices):
        PICKUP = "pickup", _("Pickup at the location")
        DELIVERY = "delivery", _("Home delivery")

    class Logistics(models.TextChoices):
        NONE = "", _("Not scheduled")
        SCHEDULED = "scheduled", _("Scheduled")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")

    class Refund(models.TextChoices):
        NONE = "", _("No refund")
        PENDING = "pending", _("Refund pending")
        REFUNDED = "refunded", _("Refunded")

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=_reference, editable=False
    )
    access_key = models.CharField(max_length=32, default=_access_key, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="orders", verbose_name=_("vehicle")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="orders", verbose_name=_("location")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("consultant"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    # The deal as the customer built it (the breakdown is computed from these).
    payment_type = models.CharField(_("payment"), max_length=10, choices=PaymentType.choices)
    down_payment = models.DecimalField(
        _("down payment"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), default=0, validators=[MaxValueValidator(120)]
    )
    apr = models.DecimalField(
        _("APR (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
    )
    discount = models.DecimalField(
        _("discount"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    add_ons = models.ManyToManyField(AddOn, blank=True, related_name="orders")
    # The rate the deal was priced with: a rate change at the location later does not move it.
    # Empty on orders from before it was kept (they follow the location's rate).
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=3, null=True, blank=True, editable=False
    )
    tradein_lead = models.ForeignKey(
        Lead,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("trade-in appraisal"),
    )
    tradein_year = models.PositiveSmallIntegerField(_("trade-in year"), null=True, blank=True)
    tradein_make = models.CharField(_("trade-in make"), max_length=60, blank=True)
    tradein_model = models.CharField(_("trade-in model"), max_length=60, blank=True)
    tradein_mileage_km = models.PositiveIntegerField(
        _("trade-in mileage (km)"), null=True, blank=True
    )
    tradein_vin = models.CharField(_("trade-in VIN"), max_length=17, blank=True)
    tradein_offer = models.DecimalField(
        _("trade-in offer"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Set by staff after the appraisal."),
    )
    tradein_payoff = models.DecimalField(
        _("trade-in loan payoff"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("What is still owed on the trade-in; the dealership settles it."),
    )
    fulfilment = models.CharField(
        _("delivery"), max_length=10, choices=Fulfilment.choices, default=Fulfilment.PICKUP
    )
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_distance_km = models.PositiveIntegerField(
        _("delivery distance (km)"), default=0, validators=[MaxValueValidator(2000)]
    )
    # Reservation and money.
    reserved_until = models.DateTimeField(_("reserved until"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    refund_status = models.CharField(
        _("refund"), max_length=10, choices=Refund.choices, default=Refund.NONE, blank=True
    )
    refund_amount = models.DecimalField(
        _("refund amount"), max_digits=10, decimal_places=2, default=0
    )
    # Delivery logistics.
    delivery_slot = models.ForeignKey(
        DeliverySlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("delivery slot"),
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("driver"),
    )
    logistics_status = models.CharField(
        _("logistics"), max_length=20, choices=Logistics.choices, default="", blank=True
    )
    odometer_km = models.PositiveIntegerField(_("odometer at handover (km)"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # The total of the latest version the customer accepted (the deal agreed), kept by the
    # services that accept a version, so reports average it without reading the versions.
    deal_total = models.DecimalField(
        _("agreed deal total"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            # The database guards a reserved car: one live order per vehicle.
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=~Q(status__in=["draft", "cancelled", "delivered"]),
                name="order_one_active_per_vehicle",
                violation_error_message=_("This car is already reserved by another order."),
            ),
            models.CheckConstraint(
                condition=Q(payment_type="cash") | Q(term_months__gt=0),
                name="order_financed_has_term",
            ),
        ]
        indexes = [
            # The desk: a location's orders newest first, drafts never shown.
            models.Index(
                fields=["location", "-created_at", "-id"],
                condition=~Q(status="draft"),
                name="order_desk",
            ),
            # The desk of a user who sees every location (or several).
            models.Index(
                fields=["-created_at", "-id"],
                condition=~Q(status="draft"),
                name="order_desk_all",
            ),
            models.Index(
                fields=["reserved_until"],
                condition=Q(status="submitted"),
                name="order_unpaid_reservation",
            ),
            # The orders panel's covering indexes (order_report_placed, order_report_cancelled)
            # are PostgreSQL-only: migration 0003_report_indexes.
        ]

    def __str__(self):
        return self.reference

    @property
    def is_financed(self) -> bool:
        return self.payment_type != self.PaymentType.CASH

    @property
    def has_trade_in(self) -> bool:
        return bool(self.tradein_make or self.tradein_lead_id)


class OrderVersion(models.Model):
    """One version of the deal's breakdown. A staff adjustment makes a new one the customer
    must accept; the contract is generated from the accepted one."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    breakdown = models.JSONField(_("breakdown"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("deal version")
        verbose_name_plural = _("deal versions")
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="orderversion_unique_number")
        ]

    def __str__(self):
        return f"{self.order_id} v{self.number}"

    @property
    def deal(self) -> DealBreakdown:
        return DealBreakdown.from_dict(self.breakdown)


class OrderTransition(StatusHistory):
    """Who moved an order from which status to which, and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    subject_field = "order"

    class Meta(StatusHistory.Meta):
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")


class TransitionError(ValidationError):
    pass


_S = Order.Status
# The only moves an order can make. Cancelled is reachable from every state before delivery.
ORDER_MACHINE = StateMachine(
    moves={
        _S.DRAFT: {_S.SUBMITTED, _S.CANCELLED},
        _S.SUBMITTED: {_S.DEPOSIT_PAID, _S.CANCELLED},
        _S.DEPOSIT_PAID: {_S.FINANCE_PENDING, _S.CONTRACT_SENT, _S.CANCELLED},
        _S.FINANCE_PENDING: {_S.FINANCE_APPROVED, _S.CANCELLED},
        _S.FINANCE_APPROVED: {_S.CONTRACT_SENT, _S.CANCELLED},
        _S.CONTRACT_SENT: {_S.CONTRACT_SIGNED, _S.CANCELLED},
        # Back to "contract sent" when the deal changes after signing (the signature is void).
        _S.CONTRACT_SIGNED: {_S.READY_FOR_DELIVERY, _S.CONTRACT_SENT, _S.CANCELLED},
        _S.READY_FOR_DELIVERY: {_S.DELIVERED, _S.CONTRACT_SENT, _S.CANCELLED},
        _S.DELIVERED: set(),
        _S.CANCELLED: set(),
    },
    history=OrderTransition,
    refusal=_("An order that is “%(from)s” cannot become “%(to)s”."),
    error=TransitionError,
    touch=["status_changed_at"],
    note_length=300,
    lock_related=["vehicle", "location", "customer"],
    lock_joined=True,
)


class Payment(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        REFUND = "refund", _("Refund")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Received")
        FAILED = "failed", _("Declined")
        EXPIRED = "expired", _("Expired")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Sent to the provider as its idempotency key: one charge per key, however often asked.
    idempotency_key = models.CharField(max_length=80, unique=True)
    provider_reference = models.CharField(max_length=80, blank=True, db_index=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"


class PaymentEvent(models.Model):
    """A provider webhook, stored once: its event id is unique per provider."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="paymentevent_once")
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"


class FinanceApplication(models.Model):
    """The customer's credit application and the lender's decision.

    National id, date of birth and income are stored encrypted (Fernet, key from
    ORDERS_FIELD_ENCRYPTION_KEY), and the national id and date of birth are erased once the
    decision is recorded: the lender needs them to decide, the dealership does not after.
    """

    class Employment(models.TextChoices):
        EMPLOYED = "employed", _("Employed")
        SELF_EMPLOYED = "self_employed", _("Self-employed")
        RETIRED = "retired", _("Retired")
        STUDENT = "student", _("Student")
        OTHER = "other", _("Other")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        COUNTER_OFFER = "counter_offer", _("Counter-offer")
        DECLINED = "declined", _("Declined")

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="finance")
    employment_status = models.CharField(_("employment"), max_length=20, choices=Employment.choices)
    employer = models.CharField(_("employer"), max_length=120, blank=True)
    years_at_employer = models.PositiveSmallIntegerField(_("years with employer"), default=0)
    housing_cost = models.DecimalField(
        _("monthly housing cost"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    national_id_encrypted = models.TextField(blank=True, editable=False)
    date_of_birth_encrypted = models.TextField(blank=True, editable=False)
    monthly_income_encrypted = models.TextField(blank=True, editable=False)
    credit_check_consent_wording = models.TextField(_("consent wording"))
    credit_check_consent_at = models.DateTimeField(_("consent given"))
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING
    )
    decision_apr = models.DecimalField(
        _("approved APR (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    decision_term_months = models.PositiveSmallIntegerField(
        _("approved term (months)"), null=True, blank=True
    )
    decision_conditions = models.TextField(_("conditions"), blank=True)
    lender_reference = models.CharField(_("lender reference"), max_length=80, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("finance application")
        verbose_name_plural = _("finance applications")

    def __str__(self):
        return f"{self.order_id}: {self.get_decision_display()}"


class Signature(models.Model):
    """An electronic signature of one version of the contract."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="signatures")
    version = models.ForeignKey(OrderVersion, on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(_("typed full name"), max_length=200)
    consent_wording = models.TextField()
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64)
    # The signed contract as the customer signed it (orders.services.contract_sign), in the
    # media storage (local or S3). Kept on erasure with the row (privacy registry).
    pdf = models.FileField(
        _("signed contract (PDF)"), upload_to=contract_upload_to, blank=True, max_length=200
    )
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(invalidated_at__isnull=True),
                name="signature_one_valid_per_order",
            )
        ]

    def __str__(self):
        return f"{self.full_name} ({self.signed_at:%Y-%m-%d})"


class Quote(models.Model):
    """A deal desked by a consultant in the showroom: one car, one trade-in, add-ons, and
    several ways to pay it side by side (its options). Choosing an option turns it into the
    same draft order the online checkout creates."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent to the customer")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=_quote_reference, editable=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )
    lead = models.ForeignKey(
        Lead,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("lead"),
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("vehicle")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("consultant"),
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("location")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    valid_until = models.DateTimeField(_("valid until"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_option = models.ForeignKey(
        "QuoteOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted option"),
    )
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quote",
        verbose_name=_("order"),
    )
    # The trade-in as appraised in the showroom.
    tradein_year = models.PositiveSmallIntegerField(_("trade-in year"), null=True, blank=True)
    tradein_make = models.CharField(_("trade-in make"), max_length=60, blank=True)
    tradein_model = models.CharField(_("trade-in model"), max_length=60, blank=True)
    tradein_mileage_km = models.PositiveIntegerField(
        _("trade-in mileage (km)"), null=True, blank=True
    )
    tradein_vin = models.CharField(_("trade-in VIN"), max_length=17, blank=True)
    tradein_value = models.DecimalField(
        _("trade-in appraised value"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    tradein_payoff = models.DecimalField(
        _("trade-in loan payoff"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    add_ons = models.ManyToManyField(AddOn, blank=True, related_name="quotes")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="accepted")
                | (Q(order__isnull=False) & Q(accepted_option__isnull=False)),
                name="quote_accepted_has_order",
            ),
        ]
        indexes = [models.Index(fields=["location", "-created_at"], name="quote_location_recent")]

    def __str__(self):
        return self.reference

    @property
    def has_trade_in(self) -> bool:
        return bool(self.tradein_make or self.tradein_value or self.tradein_payoff)

    @property
    def tradein_description(self) -> str:
        parts = [str(self.tradein_year or ""), self.tradein_make, self.tradein_model]
        text = " ".join(p for p in parts if p)
        if self.tradein_mileage_km is not None:
            text += f", {self.tradein_mileage_km} km"
        return text


class QuoteOption(models.Model):
    """One way to pay a quote. The figures are the pricing function's, stored when the quote
    was desked (the breakdown as an order version stores it, and its headline amounts)."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"))
    payment_type = models.CharField(_("payment"), max_length=10, choices=Order.PaymentType.choices)
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), default=0, validators=[MaxValueValidator(120)]
    )
    apr = models.DecimalField(
        _("APR (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
    )
    down_payment = models.DecimalField(
        _("down payment"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    financed = models.DecimalField(_("amount financed"), max_digits=12, decimal_places=2)
    monthly_payment = models.DecimalField(_("monthly payment"), max_digits=10, decimal_places=2)
    total_paid = models.DecimalField(_("total paid"), max_digits=12, decimal_places=2)
    breakdown = models.JSONField(_("breakdown"))

    class Meta:
        ordering = ["position"]
        verbose_name = _("quote option")
        verbose_name_plural = _("quote options")
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "position"], name="quoteoption_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(payment_type="cash") | Q(term_months__gt=0),
                name="quoteoption_financed_has_term",
            ),
        ]

    def __str__(self):
        return f"{self.quote_id} #{self.position}"

    @property
    def deal(self) -> DealBreakdown:
        return DealBreakdown.from_dict(self.breakdown)
