"""Managers' screens: survey definitions with their questions; invitations to look up."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealership.accounts.admin_scoping import LocationScopedAdmin

from .models import Answer, Invitation, Question, Survey


class QuestionInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("kind")
        ]
        if sum(1 for f in kept if f.cleaned_data["kind"] == Question.Kind.NPS) != 1:
            raise ValidationError(_("A survey has exactly one recommendation score (0–10)."))
        audience = self.instance.audience
        if audience == Survey.Audience.STAFF and len(kept) > Survey.MAX_STAFF_QUESTIONS:
            raise ValidationError(
                _("A staff pulse has at most %(max)s questions.")
                % {"max": Survey.MAX_STAFF_QUESTIONS}
            )


class QuestionInline(admin.StackedInline):
    model = Question
    formset = QuestionInlineFormSet
    extra = 0
    fields = [("position", "kind", "required"), "text", "text_translations", "choices"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "touchpoint", "audience", "is_active", "requires_marketing_consent"]
    list_filter = ["touchpoint", "audience", "is_active"]
    search_fields = ["name"]
    inlines = [QuestionInline]
    fieldsets = [
        (None, {"fields": ["name", "audience", "touchpoint", "is_active"]}),
        (_("Shown to the respondent"), {"fields": ["title", "title_translations"]}),
        (
            _("Sending"),
            {
                "fields": [
                    "requires_marketing_consent",
                    "reminder_after_days",
                    "valid_days",
                    "cadence",
                ]
            },
        ),
    ]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ["question", "score", "text", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = [
        "created_at",
        "survey",
        "customer",
        "location",
        "status",
        "skip_reason",
        "nps_score",
        "submitted_at",
    ]
    list_filter = ["touchpoint", "status", "skip_reason", "location"]
    search_fields = ["dedupe_key", "customer__email", "customer__search_name"]
    list_select_related = ["survey", "customer", "location"]
    date_hierarchy = "created_at"
    exclude = ["token_hash", "reminder_token_hash"]
    readonly_fields = [
        f.name
        for f in Invitation._meta.fields
        if f.name not in ("id", "token_hash", "reminder_token_hash")
    ]
    inlines = [AnswerInline]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # Staff pulse answers are anonymous: admin does not list them by person.
        return super().get_queryset(request).filter(staff_member__isnull=True)
