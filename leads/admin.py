"""Managers' screens: assignment rules, response targets, cadences, feed keys, imports."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import (
    Activity,
    AdfDocument,
    AssignmentRule,
    CadenceStep,
    ConsultantAvailability,
    Customer,
    CustomerMerge,
    Lead,
    LeadAssignment,
    LeadStatusChange,
    ProviderApiKey,
    ResponseTarget,
    Task,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "mobile_phone", "location", "owner", "source", "created_at"]
    list_filter = ["location", "source", "do_not_contact"]
    search_fields = ["search_name", "search_name_reversed", "email", "mobile_phone", "other_phone"]
    raw_id_fields = ["owner", "merged_into"]
    list_select_related = ["location", "owner"]


class StatusChangeInline(admin.TabularInline):
    model = LeadStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "changed_at"]


class AssignmentInline(admin.TabularInline):
    model = LeadAssignment
    fk_name = "lead"
    extra = 0
    can_delete = False
    readonly_fields = ["from_user", "to_user", "reason", "assigned_by", "assigned_at"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "source",
        "location",
        "assigned_to",
        "created_at",
        "needs_review",
    ]
    list_filter = ["status", "source", "type", "location", "needs_review"]
    search_fields = ["customer__email", "vin", "stock_number", "external_id"]
    raw_id_fields = ["customer", "assigned_to", "adf_document"]
    list_select_related = ["customer", "location", "assigned_to"]
    inlines = [StatusChangeInline, AssignmentInline]
    date_hierarchy = "created_at"


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "location", "source", "type", "assign_to", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["location", "is_active"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    list_display = ["location", "first_response_minutes", "reassign_after_minutes"]


@admin.register(CadenceStep)
class CadenceStepAdmin(admin.ModelAdmin):
    list_display = ["lead_type", "position", "delay_minutes", "action", "template_key", "is_active"]
    list_filter = ["lead_type", "action", "is_active"]
    list_editable = ["is_active"]


@admin.register(ConsultantAvailability)
class ConsultantAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["user", "is_available", "changed_at"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["kind", "direction", "outcome", "customer", "user", "occurred_at"]
    list_filter = ["kind", "direction"]
    raw_id_fields = ["customer", "lead", "user"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "owner", "due_at", "completed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["customer", "lead", "owner", "created_by"]


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ["kept", "merged", "merged_by", "merged_at"]
    readonly_fields = ["kept", "merged", "merged_snapshot", "moved", "merged_by", "merged_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ProviderApiKey)
class ProviderApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "location", "source", "is_active", "last_used_at"]
    list_filter = ["is_active"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "location", "source", "is_active", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        from .services.adf import provider_key_create

        row, key = provider_key_create(name=obj.name, location=obj.location, source=obj.source)
        obj.pk, obj.prefix, obj.key_hash = row.pk, row.prefix, row.key_hash
        obj._state.adding = False
        messages.warning(
            request,
            _("The API key for %(name)s is %(key)s — copy it now, it is not shown again.")
            % {"name": obj.name, "key": key},
        )


@admin.register(AdfDocument)
class AdfDocumentAdmin(admin.ModelAdmin):
    list_display = ["received_at", "channel", "provider", "status"]
    list_filter = ["status", "channel"]
    readonly_fields = ["received_at", "channel", "provider", "sha256", "status", "problems", "text"]
    exclude = ["raw"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("document"))
    def text(self, obj):
        return obj.text
