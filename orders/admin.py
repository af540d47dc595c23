from django.contrib import admin

from dealership.accounts.admin_scoping import LocationScopedAdmin
from dealership.core.admin import StatusHistoryInline

from .models import AddOn, DeliverySlot, Order, OrderTransition, OrderVersion, Payment, PaymentEvent


@admin.register(AddOn)
class AddOnAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "tax_rule", "is_active", "position"]
    list_editable = ["price", "tax_rule", "is_active", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DeliverySlot)
class DeliverySlotAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["location", "starts_at", "ends_at", "capacity"]
    list_filter = ["location"]
    date_hierarchy = "starts_at"


class TransitionInline(StatusHistoryInline):
    model = OrderTransition


class VersionInline(admin.TabularInline):
    model = OrderVersion
    extra = 0
    can_delete = False
    readonly_fields = ["number", "reason", "created_by", "created_at", "accepted_at"]
    exclude = ["breakdown"]


@admin.register(Order)
class OrderAdmin(LocationScopedAdmin, admin.ModelAdmin):
    """Read-only: orders change through the desk, whose services keep the rules."""

    location_path = "location"
    list_display = ["reference", "customer", "vehicle", "location", "status", "created_at"]
    list_filter = ["status", "location", "payment_type"]
    search_fields = ["reference", "customer__email", "vehicle__stock_number"]
    inlines = [VersionInline, TransitionInline]
    list_select_related = ["customer", "vehicle", "location"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Payment)
class PaymentAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "order__location"
    list_display = ["order", "kind", "provider", "amount", "status", "created_at"]
    list_filter = ["kind", "status", "provider"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["provider", "event_id", "kind", "outcome", "received_at"]

    def has_change_permission(self, request, obj=None):
        return False
