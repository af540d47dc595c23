from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_scoping import LocationScopedAdmin, sees_every_location
from .location_cache import locations_invalidate
from .models import AuditEvent, Location, OpeningHours, TaxRateChange, User
from .roles import GRANTABLE_ROLES
from .selectors import location_list_for_user
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


class TaxRateChangeInline(admin.TabularInline):
    """Rates to come (and past ones): the location's rate moves on the day, hourly job."""

    model = TaxRateChange
    extra = 0
    fields = ["rate", "valid_from", "applied_at"]
    readonly_fields = ["applied_at"]


@admin.register(Location)
class LocationAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "pk"
    list_display = [
        "name",
        "city",
        "country",
        "time_zone",
        "tax_regime",
        "sales_tax_rate",
        "documentation_fee",
        "default_language",
        "is_active",
    ]
    list_filter = ["is_active", "country", "tax_regime"]
    search_fields = ["name", "city", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline, TaxRateChangeInline]

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


def grantable_role_names(user: User) -> set[str]:
    """The roles `user` may give in admin (GRANTABLE_ROLES; superusers every group)."""
    if user.is_superuser:
        return set(Group.objects.values_list("name", flat=True))
    return {granted.value for role in user.role_names for granted in GRANTABLE_ROLES.get(role, ())}


@admin.register(User)
class UserAdmin(LocationScopedAdmin, DjangoUserAdmin):
    """Staff of the editor's locations (all for administrators). Nobody hands out more than
    their own role allows: roles from GRANTABLE_ROLES, locations from their own, superuser
    status and single permissions by superusers only; a colleague with more rights (or a
    superuser) is shown read-only. Roles and locations the editor cannot give are kept."""

    location_path = "locations"
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
        (_("Dealership"), {"fields": ("phone", "locations", "language")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def _may_manage(self, request, obj) -> bool:
        editor = request.user
        if obj is None or editor.is_superuser:
            return True
        if obj.is_superuser:
            return False
        return set(obj.role_names) <= grantable_role_names(editor)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_manage(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(
                name__in=grantable_role_names(request.user)
            ).order_by("name")
        elif db_field.name == "locations":
            kwargs["queryset"] = location_list_for_user(user=request.user).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        user = form.instance
        kept_groups, kept_locations = [], []
        if change and not request.user.is_superuser:
            # The form offered only what the editor may give: what else the user had stays.
            kept_groups = list(user.groups.exclude(name__in=grantable_role_names(request.user)))
            kept_locations = list(
                user.locations.exclude(pk__in=location_list_for_user(user=request.user))
            )
        super().save_related(request, form, formsets, change)
        user.groups.add(*kept_groups)
        user.locations.add(*kept_locations)

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

    # An audit row has no location (it may be about a user, a location, a setting or a
    # customer record): only those who see every location read the trail here. Managers
    # read a record's history on its own page, where the record's scope applies.
    def has_view_permission(self, request, obj=None):
        return sees_every_location(request.user) and super().has_view_permission(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if sees_every_location(request.user) else queryset.none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
