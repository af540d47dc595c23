from django.contrib import admin

from dealership.accounts.admin_scoping import LocationScopedAdmin

from .models import Erasure


@admin.register(Erasure)
class ErasureAdmin(LocationScopedAdmin, admin.ModelAdmin):
    """The erasure log, read-only: erasures happen from the customer's page."""

    location_path = "customer__location"
    list_display = ["customer", "trigger", "erased_by", "erased_at"]
    list_filter = ["trigger"]
    list_select_related = ["customer", "erased_by"]
    readonly_fields = ["customer", "trigger", "reason", "erased_by", "erased_at", "counts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
