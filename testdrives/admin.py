from django.contrib import admin

from dealership.accounts.admin_scoping import LocationScopedAdmin
from dealership.core.admin import StatefulAdmin, StatusHistoryInline

from .models import Booking, BookingStatusChange, TestDriveSettings


@admin.register(TestDriveSettings)
class TestDriveSettingsAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["location", "slot_minutes", "buffer_minutes", "min_notice_minutes"]


class HistoryInline(StatusHistoryInline):
    model = BookingStatusChange


@admin.register(Booking)
class BookingAdmin(StatefulAdmin, LocationScopedAdmin, admin.ModelAdmin):
    """Read-mostly: changes go through the staff calendar so messages and history follow."""

    location_path = "location"
    list_display = ["start_at", "kind", "vehicle", "consultant", "customer", "status", "location"]
    list_select_related = ["vehicle", "consultant", "customer", "location"]
    list_filter = ["status", "kind", "location"]
    date_hierarchy = "start_at"
    raw_id_fields = ["vehicle", "consultant", "customer", "lead", "created_by"]
    readonly_fields = ["version", "created_at", "updated_at", "vehicle_unavailable_at"]
    inlines = [HistoryInline]
