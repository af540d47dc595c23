"""Lead scoring rules: explainable points a manager tunes in admin. The score itself is
stored on the lead (leads owns Lead.score and Lead.score_reasons); rules.py computes it."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from leads.models import Lead


class ScoreRule(models.Model):
    class Kind(models.TextChoices):
        SOURCE = "source", _("Lead source")
        LEAD_TYPE = "lead_type", _("Lead type")
        STATUS = "status", _("Pipeline status")
        REPLIED = "replied", _("Customer replied")
        VEHICLE_VIEWS = "vehicle_views", _("Page views of the car of interest")
        TESTDRIVE_BOOKED = "testdrive_booked", _("Test drive booked")
        FINANCE_STARTED = "finance_started", _("Finance application started")
        REPEAT_ENQUIRY = "repeat_enquiry", _("Another enquiry from the customer")
        RECENT = "recent", _("Recent enquiry")
        NO_CONTACT = "no_contact", _("No contact for a while (recency decay)")
        BUDGET_FIT = "budget_fit", _("Car within the customer's budget")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'Per kind: source {"source": "walk_in"}; lead type {"type": "test_drive"}; status '
            '{"status": "negotiation"}; page views {"days": 7, "min_views": 50}; another '
            'enquiry, recent enquiry and no contact {"days": 14}; budget fit '
            '{"tolerance_percent": 10}. The other kinds take none.'
        ),
    )
    points = models.SmallIntegerField(
        _("points"),
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
        help_text=_("Added when the rule applies; negative to take points off."),
    )
    label = models.CharField(
        _("reason shown"),
        max_length=120,
        blank=True,
        help_text=_("Empty: the standard wording for the kind (translated)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("score rule")
        verbose_name_plural = _("score rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gte=-100, points__lte=100),
                name="scorerule_points_range",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d}"

    # The parameters each kind takes: name -> the allowed values (choices) or int (a count).
    PARAMETERS = {
        Kind.SOURCE: {"source": Lead.Source},
        Kind.LEAD_TYPE: {"type": Lead.Type},
        Kind.STATUS: {"status": Lead.Status},
        Kind.VEHICLE_VIEWS: {"days": int, "min_views": int},
        Kind.REPEAT_ENQUIRY: {"days": int},
        Kind.RECENT: {"days": int},
        Kind.NO_CONTACT: {"days": int},
        Kind.BUDGET_FIT: {"tolerance_percent": int},
    }
    REQUIRED = {"source", "type", "status", "days"}

    def clean(self):
        super().clean()
        params = self.parameters
        if params in (None, ""):
            params = self.parameters = {}
        if not isinstance(params, dict):
            raise ValidationError({"parameters": _('Parameters are an object, e.g. {"days": 14}.')})
        allowed = self.PARAMETERS.get(self.kind, {})
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValidationError(
                {
                    "parameters": _("“%(kind)s” takes no parameter “%(name)s”.")
                    % {"kind": self.get_kind_display(), "name": unknown[0]}
                }
            )
        for name, expected in allowed.items():
            if name not in params:
                if name in self.REQUIRED:
                    raise ValidationError(
                        {"parameters": _("Give the parameter “%(name)s”.") % {"name": name}}
                    )
                continue
            value = params[name]
            if expected is int:
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
                    raise ValidationError(
                        {
                            "parameters": _("“%(name)s” must be a whole number from 1 to 3650.")
                            % {"name": name}
                        }
                    )
            elif value not in expected.values:
                raise ValidationError(
                    {
                        "parameters": _("“%(value)s” is not a valid %(name)s.")
                        % {"value": value, "name": name}
                    }
                )


class ScoringRun(models.Model):
    """One row per job ("nightly"): when it last finished and how far a run in progress got,
    so a crashed nightly pass resumes after the last lead it wrote instead of starting over."""

    name = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    after_id = models.BigIntegerField(default=0)
    leads_scored = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self):
        return self.name
