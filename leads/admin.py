"""Managers' screens: assignment rules, response targets, cadences, feed keys, imports."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dealership.accounts.admin_scoping import LocationScopedAdmin
from dealership.accounts.models import AuditEvent
from dealership.accounts.services import audit_diff, audit_record
from dealership.core.admin import StatefulAdmin, StatusHistoryInline

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


def _field_values(obj, names) -> dict:
    values = {}
    for name in names:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            continue
        values[name] = getattr(obj, field.attname)
    return values


class AuditedAdminMixin:
    """Staff edits of customers and leads in the admin go into the audit trail (who, when,
    the changed fields before and after), in the admin's own transaction."""

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            stored = type(obj)._base_manager.get(pk=obj.pk)
            before = _field_values(stored, form.changed_data)
        super().save_model(request, obj, form, change)
        changes = audit_diff(before, _field_values(obj, form.changed_data))
        if changes or not change:
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
                obj=obj,
                changes=changes,
            )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action=AuditEvent.Action.DELETE, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action=AuditEvent.Action.DELETE, obj=obj)
        super().delete_queryset(request, queryset)


@admin.register(Customer)
class CustomerAdmin(AuditedAdminMixin, LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["__str__", "email", "mobile_phone", "location", "owner", "source", "created_at"]
    list_filter = ["location", "source", "do_not_contact"]
    search_fields = ["search_name", "search_name_reversed", "email", "mobile_phone", "other_phone"]
    raw_id_fields = ["owner", "merged_into"]
    list_select_related = ["location", "owner"]


class StatusChangeInline(StatusHistoryInline):
    model = LeadStatusChange
    extra_fields = ("event", "reason")


class AssignmentInline(admin.TabularInline):
    model = LeadAssignment
    fk_name = "lead"
    extra = 0
    can_delete = False
    readonly_fields = ["from_user", "to_user", "reason", "assigned_by", "assigned_at"]


@admin.register(Lead)
class LeadAdmin(AuditedAdminMixin, StatefulAdmin, LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
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
    readonly_fields = [
        "response_due_at",
        "reassign_due_at",
        "first_response_at",
        "first_response_minutes",
        "escalated_at",
        "reassigned_at",
        "updated_at",
    ]
    inlines = [StatusChangeInline, AssignmentInline]
    date_hierarchy = "created_at"


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["priority", "location", "source", "type", "assign_to", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["location", "source", "type", "is_active"]
    search_fields = ["assign_to__username", "assign_to__first_name", "assign_to__last_name"]
    list_select_related = ["location", "assign_to"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["location", "first_response_minutes", "reassign_after_minutes"]
    search_fields = ["location__name"]
    list_select_related = ["location"]


@admin.register(CadenceStep)
class CadenceStepAdmin(admin.ModelAdmin):
    list_display = ["lead_type", "position", "delay_minutes", "action", "template_key", "is_active"]
    list_filter = ["lead_type", "action", "is_active"]
    list_editable = ["is_active"]


@admin.register(ConsultantAvailability)
class ConsultantAvailabilityAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "user__locations"
    list_display = ["user", "is_available", "changed_at"]
    list_filter = ["is_available", "user__locations"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    readonly_fields = ["changed_at"]


@admin.register(Activity)
class ActivityAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "customer__location"
    list_display = ["kind", "direction", "outcome", "customer", "user", "occurred_at"]
    list_filter = ["kind", "direction", "outcome", "customer__location"]
    search_fields = ["customer__search_name", "customer__email", "body"]
    raw_id_fields = ["customer", "lead", "user"]
    list_select_related = ["customer", "user"]
    date_hierarchy = "occurred_at"


@admin.register(Task)
class TaskAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = ("customer__location", "lead__location")
    list_display = ["title", "kind", "owner", "due_at", "completed_at"]
    list_filter = ["kind", ("completed_at", admin.EmptyFieldListFilter), "owner__locations"]
    search_fields = ["title", "owner__username", "owner__last_name"]
    raw_id_fields = ["customer", "lead", "owner", "created_by"]
    list_select_related = ["owner"]
    readonly_fields = ["created_at", "created_by", "dedupe_key"]
    date_hierarchy = "due_at"


@admin.register(CustomerMerge)
class CustomerMergeAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "kept__location"
    list_display = ["kept", "merged", "merged_by", "merged_at"]
    search_fields = ["kept__search_name", "kept__email", "merged__email"]
    list_select_related = ["kept", "merged", "merged_by"]
    date_hierarchy = "merged_at"
    readonly_fields = ["kept", "merged", "merged_snapshot", "moved", "merged_by", "merged_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ProviderApiKey)
class ProviderApiKeyAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["name", "prefix", "location", "source", "is_active", "last_used_at"]
    list_filter = ["is_active", "source", "location"]
    search_fields = ["name", "prefix"]
    list_select_related = ["location"]
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
class AdfDocumentAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "provider__location"
    list_display = ["received_at", "channel", "provider", "status"]
    list_filter = ["status", "channel"]
    search_fields = ["sha256", "provider__name"]
    list_select_related = ["provider"]
    date_hierarchy = "received_at"
    readonly_fields = ["received_at", "channel", "provider", "sha256", "status", "problems", "text"]
    exclude = ["raw"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("document"))
    def text(self, obj):
        return obj.text


class HistoryAdmin(admin.ModelAdmin):
    """Audit rows: read-only for everyone (written by the services only)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeadStatusChange)
class LeadStatusChangeAdmin(LocationScopedAdmin, HistoryAdmin):
    location_path = "lead__location"
    list_display = ["lead", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status", "from_status", "lead__location"]
    search_fields = ["=lead__id", "lead__customer__email", "changed_by__username"]
    list_select_related = ["lead__customer", "changed_by"]
    date_hierarchy = "changed_at"


@admin.register(LeadAssignment)
class LeadAssignmentAdmin(LocationScopedAdmin, HistoryAdmin):
    location_path = "lead__location"
    list_display = ["lead", "from_user", "to_user", "reason", "assigned_by", "assigned_at"]
    list_filter = ["reason", "lead__location"]
    search_fields = ["=lead__id", "to_user__username", "from_user__username"]
    list_select_related = ["lead__customer", "from_user", "to_user", "assigned_by"]
    date_hierarchy = "assigned_at"
