from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dealership.accounts.admin_scoping import LocationScopedAdmin
from dealership.core.admin import StatefulAdmin, StatusHistoryInline

from .models import (
    Complaint,
    ComplaintNote,
    MaintenancePlan,
    OdometerReading,
    OwnedVehicle,
    RecallCampaign,
    RecallVehicle,
    ServiceAppointment,
    ServiceAppointmentTransition,
    ServiceItem,
    ServiceRecord,
    ServiceReminder,
    WorkshopCapacity,
)


class ServiceItemInline(admin.TabularInline):
    model = ServiceItem
    extra = 1


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(admin.ModelAdmin):
    list_display = ["name", "make", "model", "fuel", "is_active"]
    list_filter = ["is_active", "fuel"]
    inlines = [ServiceItemInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from .tasks import recompute_plan

        # The cars' stored next-due dates follow the plan; recomputed in the background.
        recompute_plan.delay_on_commit(form.instance.pk)
        messages.info(request, _("The next due services of matching cars are being recomputed."))


class OdometerReadingInline(admin.TabularInline):
    model = OdometerReading
    extra = 0
    readonly_fields = ["km", "read_on", "source", "accepted", "warning", "recorded_at"]
    can_delete = False


class ServiceRecordInline(admin.TabularInline):
    model = ServiceRecord
    extra = 0


@admin.register(OwnedVehicle)
class OwnedVehicleAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["vin", "make", "model", "customer", "location", "status", "next_due_on"]
    list_filter = ["status", "location", "origin"]
    search_fields = ["vin", "customer__email", "customer__last_name"]
    raw_id_fields = ["customer", "inventory_vehicle"]
    readonly_fields = [
        "odometer_km",
        "odometer_on",
        "km_per_day",
        "plan",
        "next_item",
        "next_due_on",
        "next_due_km",
        "next_due_by",
        "next_remind_on",
    ]
    inlines = [OdometerReadingInline, ServiceRecordInline]


@admin.register(WorkshopCapacity)
class WorkshopCapacityAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["location", "appointments_per_day", "courtesy_cars", "slot_minutes"]


class ServiceAppointmentTransitionInline(StatusHistoryInline):
    model = ServiceAppointmentTransition


@admin.register(ServiceAppointment)
class ServiceAppointmentAdmin(StatefulAdmin, LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["owned_vehicle", "location", "drop_off_at", "status", "booked_via"]
    list_filter = ["status", "location", "booked_via"]
    date_hierarchy = "day"
    raw_id_fields = ["owned_vehicle", "customer"]
    inlines = [ServiceAppointmentTransitionInline]


@admin.register(ServiceReminder)
class ServiceReminderAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "owned_vehicle__location"
    list_display = ["owned_vehicle", "item", "due_on", "number", "created_at", "queued_at"]
    list_filter = ["number"]
    raw_id_fields = ["owned_vehicle"]


class RecallVehicleInline(admin.TabularInline):
    model = RecallVehicle
    extra = 0
    raw_id_fields = ["owned_vehicle", "remedied_appointment"]


@admin.register(RecallCampaign)
class RecallCampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "created_at"]
    search_fields = ["code", "title"]
    inlines = [RecallVehicleInline]


class ComplaintNoteInline(StatusHistoryInline):
    model = ComplaintNote
    extra_fields = ("customer_notified",)


@admin.register(Complaint)
class ComplaintAdmin(StatefulAdmin, LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["pk", "subject", "location", "severity", "status", "handler", "target_at"]
    list_select_related = ["location", "handler"]
    list_filter = ["status", "severity", "category", "location"]
    raw_id_fields = ["customer", "owned_vehicle", "appointment"]
    inlines = [ComplaintNoteInline]
