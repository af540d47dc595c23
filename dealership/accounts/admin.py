from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_scoping import LocationScopedAdmin
from .location_cache import locations_invalidate
from .models import AuditEvent, Location, OpeningHours, User
from .services import two_factor_reset

# django-otp's own device admin shows every user's TOTP secret as a QR code: anyone with
# admin access could clone a colleague's second factor. Staff enrol themselves in the staff
# UI; administrators can only reset a lost device (the "Reset two-factor" action below).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    max_num = 7


@admin.register(Location)
class LocationAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "pk"
    list_display = [
        "name",
        "city",
        "country",
        "time_zone",
        "sales_tax_rate",
        "documentation_fee",
        "is_active",
    ]
    list_filter = ["is_active", "country"]
    search_fields = ["name", "city", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline]

    # The showroom caches the public locations and their opening hours (location_cache.py):
    # every change here starts a new version once it is committed.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(locations_invalidate)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(locations_invalidate)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(locations_invalidate)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "roles",
        "is_active",
        "is_staff",
    ]
    list_filter = ["is_active", "is_staff", "groups", "locations"]
    filter_horizontal = ["groups", "user_permissions", "locations"]
    actions = ["reset_two_factor"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Dealership"), {"fields": ("phone", "locations")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(obj.role_names)

    @admin.action(
        description=_("Reset two-factor authentication (lost phone)"), permissions=["change"]
    )
    def reset_two_factor(self, request, queryset):
        users = list(queryset)
        for user in users:
            two_factor_reset(actor=request.user, user=user)
        self.message_user(
            request,
            ngettext(
                "Two-factor authentication reset for %(count)d user: they set it up again "
                "at their next login.",
                "Two-factor authentication reset for %(count)d users: they set it up again "
                "at their next login.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: nobody edits or deletes history, administrators included."""

    list_display = ["created_at", "actor_name", "action", "target_type", "target_repr"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_repr", "target_id"]
    date_hierarchy = "created_at"
    list_select_related = ["target_type"]
    show_full_result_count = False  # one COUNT(*) of millions of rows per page is enough

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
