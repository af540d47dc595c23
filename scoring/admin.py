"""Managers tune the scoring rules here; a change applies to every lead at the next recompute,
which a save queues at once (and the nightly pass repeats)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import ScoreRule, ScoringRun


def _queue_full_recompute() -> None:
    from .tasks import rescore_all_after_rule_change

    rescore_all_after_rule_change()


@admin.register(ScoreRule)
class ScoreRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "parameters", "points", "label", "is_active", "position"]
    list_editable = ["points", "is_active", "position"]
    list_filter = ["kind", "is_active"]
    actions = ["recompute_now"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _queue_full_recompute()
        messages.info(request, _("Every open lead's score is being recomputed with the rules."))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _queue_full_recompute()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        _queue_full_recompute()

    @admin.action(description=_("Recompute every open lead's score now"))
    def recompute_now(self, request, queryset):
        _queue_full_recompute()
        messages.info(request, _("Every open lead's score is being recomputed with the rules."))


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ["name", "started_at", "finished_at", "after_id", "leads_scored"]
    readonly_fields = ["name", "started_at", "finished_at", "after_id", "leads_scored"]

    def has_add_permission(self, request):
        return False
