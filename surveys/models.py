"""Surveys: definitions (managed in admin), invitations with hashed single-use tokens,
answers saved one at a time, and the follow-up task a detractor creates.

An invitation is the unit everything counts: one per customer per touchpoint event (its
dedupe key is unique), sent once, reminded at most once, answered at most once.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from leads.models import Customer, Task


class Touchpoint(models.TextChoices):
    PURCHASE = "purchase", _("After a purchase (lead won)")
    TEST_DRIVE = "test_drive", _("After a test drive")
    DELIVERY = "delivery", _("After delivery")
    SERVICE = "service", _("After a service visit")
    COMPLAINT = "complaint", _("After a complaint is resolved")
    STAFF_PULSE = "staff_pulse", _("Staff pulse (eNPS)")


# The standard texts, used when a question's own text is left empty (translated by gettext).
STANDARD_NPS_TEXT = _("How likely are you to recommend us to a friend or colleague?")
STANDARD_ENPS_TEXT = _("How likely are you to recommend us as an employer?")
STANDARD_WHY_TEXT = _("What is the main reason for your score?")


def _validate_translations(value) -> None:
    languages = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(_('Give translations as {"de": "Text …"}.'))
    unknown = sorted(set(value) - languages)
    if unknown:
        raise ValidationError(
            _("Unknown language code(s): %(codes)s. Use one of %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(sorted(languages))}
        )


def _translated(default: str, translations: dict, language: str | None = None) -> str:
    language = (language or translation.get_language() or "").split("-")[0]
    return translations.get(language) or default


class Survey(models.Model):
    class Audience(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        STAFF = "staff", _("Staff (anonymous pulse)")

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    MAX_STAFF_QUESTIONS = 10

    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(
        _("title shown to the respondent"),
        max_length=200,
        blank=True,
        help_text=_("Empty: “How did we do?”."),
    )
    title_translations = models.JSONField(
        _("title translations"),
        default=dict,
        blank=True,
        validators=[_validate_translations],
        help_text=_('By language code, e.g. {"de": "Wie war es?"}.'),
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.CUSTOMERS
    )
    touchpoint = models.CharField(_("touchpoint"), max_length=20, choices=Touchpoint.choices)
    is_active = models.BooleanField(_("active"), default=True)
    requires_marketing_consent = models.BooleanField(
        _("requires marketing consent"),
        default=False,
        help_text=_(
            "Send only to customers who consented to marketing. Service surveys usually do "
            "not need it; suppression (opt-out, bounces) applies either way."
        ),
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after (days)"), default=3, help_text=_("0: no reminder.")
    )
    valid_days = models.PositiveSmallIntegerField(
        _("link valid for (days)"), default=14, help_text=_("After this the link expires.")
    )
    cadence = models.CharField(
        _("staff pulse cadence"),
        max_length=10,
        choices=Cadence.choices,
        default=Cadence.MONTHLY,
        help_text=_("Only for staff surveys."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["touchpoint", "name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            # One live survey per touchpoint: a trigger never has to choose.
            models.UniqueConstraint(
                fields=["touchpoint"],
                condition=Q(is_active=True),
                name="survey_one_active_per_touchpoint",
                violation_error_message=_("Another active survey already covers this touchpoint."),
            ),
            models.CheckConstraint(
                condition=(Q(audience="staff") & Q(touchpoint="staff_pulse"))
                | (Q(audience="customers") & ~Q(touchpoint="staff_pulse")),
                name="survey_staff_pulse_is_for_staff",
                violation_error_message=_("Staff surveys use the staff pulse touchpoint."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        is_staff = self.audience == self.Audience.STAFF
        if is_staff != (self.touchpoint == Touchpoint.STAFF_PULSE):
            raise ValidationError(
                {"touchpoint": _("Staff surveys use the staff pulse touchpoint, and only they do.")}
            )

    def display_title(self, language: str | None = None) -> str:
        return _translated(
            self.title or str(_("How did we do?")), self.title_translations, language
        )

    @property
    def is_staff_pulse(self) -> bool:
        return self.audience == self.Audience.STAFF


class Question(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("Recommendation score 0–10 (NPS)")
        WHY = "why", _("Why? (open text after the score)")
        SCALE = "scale", _("Satisfaction 1–5 (CSI)")
        CHOICE = "choice", _("Multiple choice")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(
        _("question"),
        max_length=300,
        blank=True,
        help_text=_("Empty for the score and “why” questions: the standard, translated text."),
    )
    text_translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        validators=[_validate_translations],
        help_text=_('By language code, e.g. {"de": "Wie zufrieden waren Sie …?"}.'),
    )
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('Multiple choice only: a list, e.g. ["Price", "Service", "Car"].'),
    )
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["survey", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["survey"], condition=Q(kind="nps"), name="question_one_nps_per_survey"
            )
        ]

    def __str__(self):
        return self.display_text()

    def clean(self):
        if self.kind == self.Kind.CHOICE:
            if not (
                isinstance(self.choices, list)
                and len(self.choices) >= 2
                and all(isinstance(c, str) and c.strip() for c in self.choices)
            ):
                raise ValidationError({"choices": _("Give at least two choices as a list.")})
        elif self.choices:
            raise ValidationError({"choices": _("Only multiple-choice questions have choices.")})
        if not self.text and self.kind not in (self.Kind.NPS, self.Kind.WHY):
            raise ValidationError({"text": _("Write the question.")})

    def display_text(self, language: str | None = None) -> str:
        if self.text:
            default = self.text
        elif self.kind == self.Kind.NPS:
            staff = self.survey.audience == Survey.Audience.STAFF
            default = str(STANDARD_ENPS_TEXT if staff else STANDARD_NPS_TEXT)
        else:
            default = str(STANDARD_WHY_TEXT)
        return _translated(default, self.text_translations, language)

    @property
    def field_name(self) -> str:
        return f"q{self.pk}"


class Invitation(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")
        COMPLETED = "completed", _("Answered")

    class SkipReason(models.TextChoices):
        CAPPED = "capped", _("Surveyed recently (contact cap)")
        NO_ADDRESS = "no_address", _("No email or mobile number")
        DO_NOT_CONTACT = "do_not_contact", _("Customer asked not to be contacted")
        SUPPRESSED = "suppressed", _("Opted out, undeliverable or no marketing consent")

    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("survey")
    )
    touchpoint = models.CharField(_("touchpoint"), max_length=20, choices=Touchpoint.choices)
    # The touchpoint's record (a lead, booking, order, visit, complaint; a period for pulses).
    source_id = models.CharField(_("source"), max_length=40)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name=_("customer"),
    )
    # Staff pulse only: who was asked. Results never show answers by person.
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultant"),
    )
    occurred_at = models.DateTimeField(_("touchpoint happened"))
    dedupe_key = models.CharField(_("dedupe key"), max_length=120, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    skip_reason = models.CharField(
        _("not sent because"), max_length=20, choices=SkipReason.choices, blank=True
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    # SHA-256 of the link's token; the token itself is only in the message sent.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("link expires"))
    reminder_due_at = models.DateTimeField(_("reminder due"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    first_answer_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Denormalised on submission so results aggregate one table.
    nps_score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    lowest_csi = models.PositiveSmallIntegerField(_("lowest CSI"), null=True, blank=True)
    follow_up_task = models.OneToOneField(
        Task,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitation",
        verbose_name=_("follow-up task"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(nps_score__isnull=True) | Q(nps_score__lte=10),
                name="invitation_nps_0_10",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(staff_member__isnull=False),
                name="invitation_has_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["touchpoint", "source_id"], name="invitation_source"),
            models.Index(fields=["customer", "-created_at"], name="invitation_customer_recent"),
            models.Index(fields=["location", "created_at"], name="invitation_loc_created"),
            # The NPS panel's covering index (invitation_report) is PostgreSQL-only:
            # migration 0002_report_indexes.
            models.Index(
                fields=["reminder_due_at"],
                condition=Q(reminder_due_at__isnull=False, reminded_at__isnull=True, status="sent"),
                name="invitation_reminder_due",
            ),
        ]

    def __str__(self):
        return self.dedupe_key

    @property
    def is_answered(self) -> bool:
        return self.submitted_at is not None


class Answer(models.Model):
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("answer"), blank=True, max_length=4000)
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        ordering = ["question__position", "question_id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "question"], name="answer_one_per_question"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=10), name="answer_score_0_10"
            ),
        ]

    def __str__(self):
        return f"{self.invitation_id}/{self.question_id}"
