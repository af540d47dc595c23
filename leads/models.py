"""Customers, leads and the work done on them: assignment, response clocks, cadences,
activities, tasks and the ADF documents leads are imported from."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.core.states import StateMachine, StatusHistory


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")


class Customer(models.Model):
    """A person the dealership knows. Leads, activities and (later) test drives, orders,
    owned vehicles and surveys hang off one customer: one customer, one timeline."""

    class Source(models.TextChoices):
        WEBSITE = "website", _("Website form")
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        ADF = "adf", _("ADF import")
        MARKETPLACE = "marketplace", _("Third-party marketplace")
        REFERRAL = "referral", _("Referral")
        CAMPAIGN = "campaign", _("Campaign")
        STAFF = "staff", _("Entered by staff")
        SMS = "sms", _("SMS from an unknown number")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    # lower(email), stored by PostgreSQL itself (so every write path keeps it): segment
    # conditions match consent addresses on it instead of computing lower() per customer.
    email_lower = models.GeneratedField(
        expression=Lower("email"),
        output_field=models.CharField(max_length=254),
        db_persist=True,
        verbose_name=_("email (lower case)"),
    )
    mobile_phone = models.CharField(
        _("mobile phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164")
    )
    other_phone = models.CharField(
        _("other phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164")
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, blank=True
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("home branch"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
        verbose_name=_("owner consultant"),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    do_not_contact = models.BooleanField(
        _("do not contact"),
        default=False,
        help_text=_("The customer asked for no follow-ups: automatic cadences stop."),
    )
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("created from"), max_length=20, choices=Source.choices)
    # Lower-cased "first last" and "last first": prefix search on an index, both orders.
    search_name = models.CharField(max_length=201, blank=True, db_index=True, editable=False)
    search_name_reversed = models.CharField(
        max_length=201, blank=True, db_index=True, editable=False
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_customers",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["location", "-created_at"], name="customer_loc_created"),
            # The duplicates page walks these in key order (selectors.customer_duplicates).
            models.Index(
                Lower("email"),
                name="customer_dup_email",
                condition=Q(merged_into__isnull=True) & ~Q(email=""),
            ),
            models.Index(
                "mobile_phone",
                name="customer_dup_mobile",
                condition=Q(merged_into__isnull=True) & ~Q(mobile_phone=""),
            ),
            models.Index(
                "other_phone",
                name="customer_dup_other",
                condition=Q(merged_into__isnull=True) & ~Q(other_phone=""),
            ),
        ]

    def __str__(self):
        return self.full_name or self.email or self.mobile_phone or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("leads:customer_detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def phones(self) -> list[str]:
        return [p for p in (self.mobile_phone, self.other_phone) if p]


class CustomerMerge(models.Model):
    """The log of one merge: which customer was folded into which, by whom, what moved."""

    kept = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="merges", verbose_name=_("kept")
    )
    merged = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged")
    )
    merged_snapshot = models.JSONField(_("merged customer's fields"))
    moved = models.JSONField(_("moved records"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self):
        return f"{self.merged_id} → {self.kept_id}"


class Lead(models.Model):
    class Source(models.TextChoices):
        WEBSITE = "website", _("Website form")
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        ADF = "adf", _("ADF import")
        MARKETPLACE = "marketplace", _("Third-party marketplace")
        REFERRAL = "referral", _("Referral")
        CAMPAIGN = "campaign", _("Campaign")
        SMS = "sms", _("SMS")
        CHAT = "chat", _("Live chat")

    class Type(models.TextChoices):
        VEHICLE_ENQUIRY = "vehicle_enquiry", _("Vehicle enquiry")
        E_PRICE = "e_price", _("E-price request")
        TRADE_IN = "trade_in", _("Trade-in appraisal")
        FINANCE = "finance", _("Finance question")
        TEST_DRIVE = "test_drive", _("Test-drive request")
        GENERAL = "general", _("General")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        APPOINTMENT = "appointment", _("Appointment")
        NEGOTIATION = "negotiation", _("Negotiation")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class LostReason(models.TextChoices):
        BOUGHT_ELSEWHERE = "bought_elsewhere", _("Bought elsewhere")
        PRICE = "price", _("Price")
        NO_RESPONSE = "no_response", _("No response")
        NOT_INTERESTED = "not_interested", _("No longer interested")
        FINANCE_DECLINED = "finance_declined", _("Finance declined")
        DUPLICATE = "duplicate", _("Duplicate")
        OTHER = "other", _("Other")

    class Condition(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        FAIR = "fair", _("Fair")
        POOR = "poor", _("Poor")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="leads", verbose_name=_("customer")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="leads", verbose_name=_("location")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    lost_reason = models.CharField(
        _("lost reason"), max_length=20, choices=LostReason.choices, blank=True
    )
    message = models.TextField(_("message"), blank=True)
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)

    # Vehicle of interest: the stock car when it could be matched, and the details as the
    # enquiry gave them (kept even when the car is sold or the feed named an unknown car).
    vehicle = models.ForeignKey(
        "inventory.Vehicle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("vehicle of interest"),
    )
    vin = models.CharField(_("VIN"), max_length=17, blank=True, db_index=True)
    stock_number = models.CharField(_("stock number"), max_length=40, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    make = models.CharField(_("make"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=60, blank=True)
    trim = models.CharField(_("trim"), max_length=100, blank=True)
    vehicle_status = models.CharField(_("new or used"), max_length=10, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), null=True, blank=True)

    # Trade-in the customer offers.
    tradein_year = models.PositiveSmallIntegerField(_("trade-in year"), null=True, blank=True)
    tradein_make = models.CharField(_("trade-in make"), max_length=60, blank=True)
    tradein_model = models.CharField(_("trade-in model"), max_length=60, blank=True)
    tradein_mileage_km = models.PositiveIntegerField(
        _("trade-in mileage (km)"), null=True, blank=True
    )
    tradein_condition = models.CharField(
        _("trade-in condition"), max_length=10, choices=Condition.choices, blank=True
    )
    tradein_vin = models.CharField(_("trade-in VIN"), max_length=17, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_leads",
        verbose_name=_("assigned consultant"),
    )
    timeframe = models.CharField(_("timeframe"), max_length=200, blank=True)
    # When the person asked, per the feed (ADF <requestdate>); the clock starts on arrival.
    # The text as sent is kept too, so an odd format the parser could not read is not lost.
    requested_at = models.DateTimeField(_("requested (per the feed)"), null=True, blank=True)
    requested_at_text = models.CharField(_("requested (as sent)"), max_length=100, blank=True)

    # Response clock: due times computed in business hours when the lead is created.
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    reassign_due_at = models.DateTimeField(_("offered to the next after"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # Opening-hours minutes from arrival to first response, stored when the clock stops so
    # reports take medians and percentiles in SQL instead of replaying calendars per lead.
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), null=True, blank=True, editable=False
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    reassigned_at = models.DateTimeField(_("reassigned for no response"), null=True, blank=True)

    # When each stage was (last) reached.
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    negotiation_at = models.DateTimeField(_("negotiation"), null=True, blank=True)
    won_at = models.DateTimeField(_("won"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True)

    # Follow-up cadence: the next step's position and when it is due.
    cadence_position = models.PositiveSmallIntegerField(default=0)
    cadence_next_at = models.DateTimeField(null=True, blank=True)
    cadence_stopped_reason = models.CharField(max_length=40, blank=True)
    # Paused by staff: the job skips the lead; resuming moves the remaining steps later by
    # the time spent paused (cadence_shift), so the sequence goes on where it was.
    cadence_paused_at = models.DateTimeField(_("cadence paused"), null=True, blank=True)
    cadence_shift = models.DurationField(default=datetime.timedelta(0))

    # Imported leads: the feed's own id (ADF <id source=…>), to update on re-sends.
    external_source = models.CharField(_("external source"), max_length=100, blank=True)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    external_sequence = models.PositiveIntegerField(null=True, blank=True)
    adf_document = models.ForeignKey(
        "AdfDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("ADF document"),
    )
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_notes = models.TextField(_("review notes"), blank=True)

    # Lead score (0–100) and why, as [{"points": 20, "reason": "booked a test drive",
    # "args": {…}}, …]: leads stores them, the scoring app (above) computes and writes them.
    # "reason" is an English msgid with %(name)s placeholders filled from "args" when shown.
    score = models.PositiveSmallIntegerField(_("score"), default=0, editable=False)
    score_reasons = models.JSONField(_("score reasons"), default=list, blank=True, editable=False)
    score_changed_at = models.DateTimeField(
        _("score changed"), null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(_("received"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="lost") | Q(lost_reason=""),
                name="lead_lost_reason_only_when_lost",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            models.Index(fields=["location", "-created_at", "-id"], name="lead_loc_created"),
            models.Index(
                fields=["assigned_to", "-created_at", "-id"], name="lead_assignee_created"
            ),
            models.Index(
                fields=["location", "status", "-created_at", "-id"], name="lead_loc_status_created"
            ),
            models.Index(fields=["customer", "-created_at"], name="lead_customer_created"),
            # Reports: every panel filters leads by arrival time first, then by location.
            models.Index(fields=["created_at", "location"], name="lead_created_loc"),
            # The inbox's "received in the last N days, by response due": an index-only scan
            # of the days' leads (no heap visit per lead) feeding the top-51 sort.
            models.Index(
                fields=["created_at"],
                include=["location", "response_due_at", "id"],
                name="lead_created_due",
            ),
            models.Index(
                fields=["response_due_at"],
                condition=Q(first_response_at__isnull=True),
                name="lead_unanswered_due",
            ),
            models.Index(
                fields=["cadence_next_at"],
                condition=Q(cadence_next_at__isnull=False),
                name="lead_cadence_due",
            ),
            # The inbox sorted by score ("hottest first"): per location, and open leads only.
            models.Index(
                fields=["location", "-score", "-created_at", "-id"], name="lead_loc_score"
            ),
            models.Index(
                fields=["status", "-score", "-created_at", "-id"],
                condition=Q(
                    status__in=["new", "contacted", "qualified", "appointment", "negotiation"]
                ),
                name="lead_open_score",
            ),
            # The manager's Today page: open leads nobody has, oldest first, and their count
            # (the predicate written as dealership.today's OPEN_LEAD, so the planner uses it).
            models.Index(
                fields=["created_at", "id"],
                condition=Q(assigned_to__isnull=True) & ~Q(status__in=["won", "lost"]),
                name="lead_unassigned_open",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} · {self.customer}"

    def get_absolute_url(self):
        return reverse("leads:lead_detail", kwargs={"pk": self.pk})

    @property
    def vehicle_label(self) -> str:
        return " ".join(str(p) for p in (self.year or "", self.make, self.model, self.trim) if p)

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.WON, self.Status.LOST)


OPEN_STATUSES = (
    Lead.Status.NEW,
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
    Lead.Status.APPOINTMENT,
    Lead.Status.NEGOTIATION,
)
PIPELINE = (*OPEN_STATUSES, Lead.Status.WON, Lead.Status.LOST)
# The column on Lead that records when each stage was reached.
STAGE_TIMESTAMP = {
    Lead.Status.CONTACTED: "contacted_at",
    Lead.Status.QUALIFIED: "qualified_at",
    Lead.Status.APPOINTMENT: "appointment_at",
    Lead.Status.NEGOTIATION: "negotiation_at",
    Lead.Status.WON: "won_at",
    Lead.Status.LOST: "lost_at",
}


class LeadEvent(models.TextChoices):
    """What happened elsewhere (test drives, orders) that moves a lead, or ""for a move by
    hand. leads.services.events maps each to the lead's next status."""

    TESTDRIVE_BOOKED = "testdrive_booked", _("Test drive booked")
    TESTDRIVE_COMPLETED = "testdrive_completed", _("Test drive completed")
    TESTDRIVE_NO_SHOW = "testdrive_no_show", _("Test drive missed (no-show)")
    TESTDRIVE_CANCELLED = "testdrive_cancelled", _("Test drive cancelled")
    ORDER_PLACED = "order_placed", _("Order placed")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    ORDER_DELIVERED = "order_delivered", _("Order delivered")


class LeadStatusChange(StatusHistory):
    """The lead's status history. A row whose from and to are the same records an event that
    did not move the lead, and why (e.g. it was already further on)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    note = by = at = None  # leads say why in `reason`, and name who/when as below
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    event = models.CharField(_("event"), max_length=30, choices=LeadEvent.choices, blank=True)
    # What the event was about ("booking:12", "order:7"): finds the lead again for the
    # order's later events, and makes a redelivered event a no-op.
    ref = models.CharField(_("about"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    subject_field, by_field, at_field = "lead", "changed_by", "changed_at"

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


# Which statuses each status may move to. Won is final; a lost lead may be reopened.
LEAD_MACHINE = StateMachine(
    moves={
        **{
            status: {s for s in Lead.Status if s not in (status, Lead.Status.NEW)}
            for status in OPEN_STATUSES
        },
        Lead.Status.WON: set(),
        Lead.Status.LOST: {Lead.Status.CONTACTED},
    },
    history=LeadStatusChange,
    refusal=_("A lead cannot move from “%(from)s” to “%(to)s”."),
    touch=["updated_at"],
)
# Moves only an event may make, never staff by hand: a cancelled order reopens the deal.
LEAD_EVENT_MOVES: dict[str, frozenset[str]] = {
    Lead.Status.WON: frozenset({Lead.Status.NEGOTIATION}),
}


class LeadAssignment(models.Model):
    """Every (re)assignment of a lead, with why."""

    class Reason(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin")
        RULE = "rule", _("Assignment rule")
        MANUAL = "manual", _("Reassigned by staff")
        NO_RESPONSE = "no_response", _("No first response in time")
        HANDED_BACK = "handed_back", _("Handed back to the pool")
        TRANSFER = "transfer", _("Transfer approved")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField()
    # Why, in the staff member's words (a lead handed back, a transfer asked for).
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self):
        return f"{self.lead_id}: {self.from_user_id} → {self.to_user_id}"


class TransferRequest(models.Model):
    """A consultant asks a manager to hand their lead to a named colleague of its location.
    At most one pending request per lead (a partial unique constraint)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="transfer_requests", verbose_name=_("lead")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("transfer to"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(state="pending"),
                name="transferrequest_one_pending_per_lead",
                violation_error_message=_("This lead already has a transfer request pending."),
            ),
            models.CheckConstraint(
                condition=Q(state="pending", decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False)),
                name="transferrequest_decided_when_not_pending",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at", "id"],
                condition=Q(state="pending"),
                name="transferrequest_pending",
            )
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.requested_by_id} → {self.to_user_id} ({self.state})"


class ConsultantAvailability(models.Model):
    """A consultant off duty (holiday, day off, busy) takes no new leads."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_availability"
    )
    is_available = models.BooleanField(_("taking new leads"), default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consultant availability")
        verbose_name_plural = _("consultant availability")

    def __str__(self):
        return f"{self.user}: {self.is_available}"


class AssignmentRotation(models.Model):
    """One row per location: whose turn was last. Locked to serialise the rotation."""

    location = models.OneToOneField(Location, on_delete=models.CASCADE, related_name="+")
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assignment rotation")
        verbose_name_plural = _("assignment rotations")

    def __str__(self):
        return str(self.location_id)


class AssignmentRule(models.Model):
    """Send leads of a source and/or type straight to one consultant, before the rotation."""

    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every location."),
        verbose_name=_("location"),
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Lead.Source.choices, blank=True, help_text=_("Any.")
    )
    type = models.CharField(
        _("type"), max_length=20, choices=Lead.Type.choices, blank=True, help_text=_("Any.")
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("assign to"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self):
        return f"{self.source or '*'}/{self.type or '*'} → {self.assign_to}"


class ResponseTarget(models.Model):
    """A location's response clock. Without a row the defaults apply."""

    DEFAULT_FIRST_RESPONSE_MINUTES = 15
    DEFAULT_REASSIGN_AFTER_MINUTES = 60

    location = models.OneToOneField(
        Location, on_delete=models.CASCADE, related_name="response_target"
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), default=DEFAULT_FIRST_RESPONSE_MINUTES
    )
    reassign_after_minutes = models.PositiveIntegerField(
        _("offer to the next consultant after (business minutes)"),
        default=DEFAULT_REASSIGN_AFTER_MINUTES,
    )

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")

    def __str__(self):
        return str(self.location)


class CadenceStep(models.Model):
    """One step of the follow-up sequence for a lead type, counted from the lead's arrival."""

    class Action(models.TextChoices):
        EMAIL = "email", _("Send email")
        SMS = "sms", _("Send SMS")
        CALL_TASK = "call_task", _("Create call task")

    lead_type = models.CharField(_("lead type"), max_length=20, choices=Lead.Type.choices)
    position = models.PositiveSmallIntegerField(_("position"))
    delay_minutes = models.PositiveIntegerField(
        _("after (minutes from the lead)"), help_text=_("0: at once.")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    template_key = models.CharField(
        _("message template"), max_length=100, blank=True, help_text=_("e.g. leads.follow_up")
    )
    task_title = models.CharField(_("task title"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["lead_type", "position"]
        verbose_name = _("cadence step")
        verbose_name_plural = _("cadence steps")
        constraints = [
            models.UniqueConstraint(
                fields=["lead_type", "position"], name="cadencestep_one_per_position"
            )
        ]

    def __str__(self):
        return f"{self.get_lead_type_display()} #{self.position}: {self.get_action_display()}"


class CadenceRun(models.Model):
    """A step done for a lead. The unique constraint makes a step happen once."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="cadence_runs")
    step = models.ForeignKey(CadenceStep, on_delete=models.CASCADE, related_name="+")
    ran_at = models.DateTimeField()
    outcome = models.CharField(max_length=40)

    class Meta:
        ordering = ["ran_at"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "step"], name="cadencerun_once_per_step")
        ]

    def __str__(self):
        return f"{self.lead_id}/{self.step_id}: {self.outcome}"


class CadenceEvent(models.Model):
    """Staff pausing, resuming or stopping a lead's cadence, and the system stopping it."""

    class Action(models.TextChoices):
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        STOPPED = "stopped", _("Stopped")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="cadence_events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("cadence event")
        verbose_name_plural = _("cadence events")

    def __str__(self):
        return f"{self.lead_id}: {self.action}"


class Activity(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        NOTE = "note", _("Note")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        MEETING = "meeting", _("Meeting")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("To the customer")
        INBOUND = "inbound", _("From the customer")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Left voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        CALL_BACK = "call_back", _("Asked to call back")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="activities")
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    body = models.TextField(_("notes"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="activity_cust_when")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class Task(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        FOLLOW_UP = "follow_up", _("Follow up")
        ESCALATION = "escalation", _("Escalation")
        REVIEW = "review", _("Review import")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FOLLOW_UP)
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lead_tasks",
        verbose_name=_("owner"),
    )
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Tasks made by jobs (escalation, cadence) carry a key so a re-run makes none twice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(completed_at__isnull=True),
                name="task_open_by_owner",
            )
        ]

    def __str__(self):
        return self.title


class ProviderApiKey(models.Model):
    """An ADF feed's key. Only a hash is stored; revoke by unticking or setting revoked."""

    name = models.CharField(_("provider"), max_length=100)
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("location for its leads"),
        help_text=_("Used when the document's vendor names no location we know."),
    )
    source = models.CharField(
        _("lead source"), max_length=20, choices=Lead.Source.choices, default=Lead.Source.ADF
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ADF provider key")
        verbose_name_plural = _("ADF provider keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class AdfDocument(models.Model):
    """An ADF document exactly as received, whatever became of it."""

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        PARTIAL = "partial", _("Imported with problems")
        REJECTED = "rejected", _("Rejected")

    received_at = models.DateTimeField(_("received"))
    channel = models.CharField(_("received by"), max_length=20)  # http, file, maildir
    provider = models.ForeignKey(
        ProviderApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    sha256 = models.CharField(max_length=64, unique=True)
    raw = models.BinaryField(_("document"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("ADF document")
        verbose_name_plural = _("ADF documents")

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def text(self) -> str:
        return bytes(self.raw).decode("utf-8", errors="replace")


class TradeInPhoto(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tradein_photos")
    image = models.ImageField(_("photo"), upload_to="tradein/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("trade-in photo")
        verbose_name_plural = _("trade-in photos")

    def __str__(self):
        return self.image.name
