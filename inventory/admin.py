from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dealership.accounts.admin_scoping import (
    LocationListFilter,
    LocationScopedAdmin,
    NotFoundOutsideScope,
)
from dealership.accounts.selectors import location_list_for_user
from dealership.core.admin import StatusHistoryInline
from dealership.routers import replica_reads

from .feeds import COLUMNS, inventory_export_csv, inventory_import_csv
from .forms import VehicleAdminForm
from .models import (
    Feature,
    Feed,
    PriceChange,
    SavedSearch,
    Vehicle,
    VehiclePhoto,
    VehicleTransfer,
    VehicleTransferEvent,
)
from .page_views import views_day
from .photos import photo_add, photo_check_upload
from .selectors import vehicle_list_for_staff, vehicles_with_views
from .services import vehicle_save_from_admin, vehicles_set_status
from .vin import decode_vin


class ViewsChangeList(ChangeList):
    """The vehicle change list with each row's page views (30 days) annotated."""

    def get_queryset(self, request, exclude_parameters=None):
        # Annotated before the change list filters and orders (the column sorts); the counts
        # leave the unused subqueries out.
        if "views_recent" not in self.root_queryset.query.annotations:
            self.root_queryset = vehicles_with_views(self.root_queryset, today=views_day())
        return super().get_queryset(request, exclude_parameters)


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class VehiclePhotoForm(forms.ModelForm):
    original = forms.FileField(label=_("Upload"), required=False)

    class Meta:
        model = VehiclePhoto
        fields = ["original", "alt_text", "position", "is_primary"]

    def clean_original(self):
        upload = self.cleaned_data.get("original")
        if upload and hasattr(upload, "content_type"):
            photo_check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        # Only when nothing was chosen: a refused file already says why on the field.
        if (
            not self.instance.pk
            and not cleaned.get("original")
            and "original" not in self.errors
            and self.has_changed()
        ):
            self.add_error("original", _("Choose a photo to upload."))
        return cleaned


class VehiclePhotoInline(admin.TabularInline):
    model = VehiclePhoto
    form = VehiclePhotoForm
    extra = 1
    fields = ["preview", "original", "alt_text", "position", "is_primary", "status"]
    readonly_fields = ["preview", "status"]

    @admin.display(description=_("Preview"))
    def preview(self, photo):
        if photo.pk and photo.thumbnail:
            return format_html('<img src="{}" alt="" width="120">', photo.thumbnail.url)
        return _("Processing…") if photo.pk else "—"


class VehicleImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and show errors, change nothing"),
        required=False,
        initial=True,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 10 MB."))
        return upload


@admin.register(Vehicle)
class VehicleAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    form = VehicleAdminForm
    inlines = [VehiclePhotoInline]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        # A refused save (a bad VIN, a hostile photo) is the form again with its errors, as a
        # 400 like every other refused form on the site, not a 200.
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and response.status_code == 200 and context.get("errors"):
            response.status_code = 400
        return response

    list_display = [
        "stock_number",
        "title",
        "trim",
        "price_display",
        "mileage",
        "status",
        "location",
        "days_in_stock",
        "views_recent",
    ]
    list_filter = [
        "status",
        "condition",
        ("location", LocationListFilter),
        "make",
        "body_type",
        "fuel",
        "transmission",
    ]
    search_fields = ["vin", "stock_number", "make", "model", "trim"]
    list_select_related = ["location"]
    autocomplete_fields = ["features"]
    readonly_fields = [
        "slug",
        "published_at",
        "sold_at",
        "created_at",
        "updated_at",
        "vin_decoded",
    ]
    actions = [
        "mark_available",
        "mark_reserved",
        "mark_sold",
        "mark_archived",
        "mark_draft",
        "export_csv",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["vin", "vin_decoded", "stock_number", "location", "status", "condition"]},
        ),
        (
            _("Vehicle"),
            {
                "fields": [
                    "make",
                    "model",
                    "trim",
                    "model_year",
                    "body_type",
                    "fuel",
                    "transmission",
                    "drivetrain",
                    "engine",
                    "mileage",
                    "exterior_colour",
                    "exterior_colour_name",
                    "interior_colour",
                    "seats",
                    "doors",
                ]
            },
        ),
        (_("Price"), {"fields": ["list_price", "sale_price"]}),
        (_("Listing"), {"fields": ["features", "description", "in_stock_since"]}),
        (_("Record"), {"fields": ["slug", "published_at", "sold_at", "created_at", "updated_at"]}),
    ]
    change_list_template = "admin/inventory/vehicle/change_list.html"

    class Media:
        js = ["js/vin-prefill.js"]

    def get_queryset(self, request):
        # Staff see the vehicles of their locations, like everywhere else.
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=vehicle_list_for_staff(user=request.user).values("pk"))
        )

    def get_changelist(self, request, **kwargs):
        # The views column is read in the change list's own query (a subquery per row shown),
        # only there: the change form and the actions don't need it.
        return ViewsChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = location_list_for_user(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("Vehicle"), ordering="make")
    def title(self, vehicle):
        return vehicle.title

    @admin.display(description=_("Price"), ordering="price")
    def price_display(self, vehicle):
        return vehicle.price

    @admin.display(description=_("Views (30 days)"), ordering="views_recent")
    def views_recent(self, vehicle):
        return getattr(vehicle, "views_recent", None)

    @admin.display(description=_("Decoded from the VIN"))
    def vin_decoded(self, vehicle):
        data = vehicle.vin_data or {}
        keys = ["Make", "Model", "Model Year", "Trim", "Body Class", "Plant Country"]
        shown = [f"{key}: {data[key]}" for key in keys if data.get(key)]
        return "; ".join(shown) or "—"

    def save_model(self, request, obj, form, change):
        vehicle_save_from_admin(vehicle=obj, is_new=not change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not VehiclePhoto:
            return super().save_formset(request, form, formset, change)
        vehicle = form.instance
        deleted, added, changed = [], [], []
        with transaction.atomic():
            for photo_form in formset.deleted_forms:
                if photo_form.instance.pk:
                    deleted.append(photo_form.instance)
                    photo_form.instance.delete()
            for photo_form in formset.forms:
                if not photo_form.has_changed() or photo_form in formset.deleted_forms:
                    continue
                data = photo_form.cleaned_data
                if photo_form.instance.pk is None:
                    added.append(
                        photo_add(
                            vehicle=vehicle,
                            upload=data["original"],
                            alt_text=data.get("alt_text", ""),
                            is_primary=data.get("is_primary") or None,
                        )
                    )
                else:
                    photo = photo_form.instance
                    if data.get("is_primary"):
                        VehiclePhoto.objects.filter(vehicle=vehicle, is_primary=True).exclude(
                            pk=photo.pk
                        ).update(is_primary=False)
                    photo.save(update_fields=["alt_text", "position", "is_primary"])
                    changed.append((photo, photo_form.changed_data))
        # What the admin's change message reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            added,
            changed,
            deleted,
        )

    def _set_status(self, request, queryset, status, label):
        ids = list(queryset.values_list("pk", flat=True))
        changed = vehicles_set_status(vehicle_ids=ids, status=status, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d vehicle marked %(status)s.",
                "%(count)d vehicles marked %(status)s.",
                changed,
            )
            % {"count": changed, "status": label},
            messages.SUCCESS,
        )
        left = len(ids) - changed
        if left:
            self.message_user(
                request,
                ngettext(
                    "%(count)d vehicle was left as it was: it already was %(status)s, or its "
                    "status cannot move there (a sold car can only be archived, an archived "
                    "one goes back to draft first, a reserved one is released or sold).",
                    "%(count)d vehicles were left as they were: they already were %(status)s, "
                    "or their status cannot move there (a sold car can only be archived, an "
                    "archived one goes back to draft first, a reserved one is released or "
                    "sold).",
                    left,
                )
                % {"count": left, "status": label},
                messages.WARNING,
            )

    @admin.action(description=_("Mark selected vehicles available"))
    def mark_available(self, request, queryset):
        self._set_status(request, queryset, Vehicle.Status.AVAILABLE, _("available"))

    @admin.action(description=_("Mark selected vehicles reserved"))
    def mark_reserved(self, request, queryset):
        self._set_status(request, queryset, Vehicle.Status.RESERVED, _("reserved"))

    @admin.action(description=_("Mark selected vehicles sold"))
    def mark_sold(self, request, queryset):
        self._set_status(request, queryset, Vehicle.Status.SOLD, _("sold"))

    @admin.action(description=_("Archive selected vehicles"))
    def mark_archived(self, request, queryset):
        self._set_status(request, queryset, Vehicle.Status.ARCHIVED, _("archived"))

    @admin.action(description=_("Move selected vehicles back to draft"))
    def mark_draft(self, request, queryset):
        self._set_status(request, queryset, Vehicle.Status.DRAFT, _("draft"))

    @admin.action(description=_("Export selected vehicles as CSV"))
    def export_csv(self, request, queryset):
        return self._csv_response(queryset)

    def _csv_response(self, queryset):
        # An export may lag a little: it reads on the replica when one is configured
        # (dealership/routers.py), the features' prefetch included.
        with replica_reads():
            text = inventory_export_csv(
                vehicles=queryset.select_related("location")
                .prefetch_related("features")
                .order_by("id")
            )
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="inventory-{stamp}.csv"'
        return response

    def get_urls(self):
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="inventory_vehicle_import",
            ),
            path(
                "decode-vin/",
                self.admin_site.admin_view(self.decode_vin_view),
                name="inventory_vehicle_decode_vin",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="inventory_vehicle_export",
            ),
        ]
        return extra + super().get_urls()

    def decode_vin_view(self, request):
        """JSON for the VIN field: the decoded fields, or which character fails (400)."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            return JsonResponse({"error": _("Not allowed.")}, status=403)
        try:
            decoded = decode_vin(request.GET.get("vin", ""))
        except ValidationError as error:
            return JsonResponse({"error": error.messages[0]}, status=400)
        return JsonResponse({"vin": decoded.vin, "fields": decoded.prefill()})

    def export_view(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        return self._csv_response(self.get_queryset(request))

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return redirect("admin:index")
        report = None
        form = VehicleImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = inventory_import_csv(
                data=form.cleaned_data["file"].read(), dry_run=form.cleaned_data["dry_run"]
            )
            if report.ok and not report.dry_run:
                self.message_user(
                    request,
                    _(
                        "Import done: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
                    )
                    % {
                        "created": report.created,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                    },
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:inventory_vehicle_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import vehicles from CSV"),
            "form": form,
            "report": report,
            "opts": self.model._meta,
            "columns": ", ".join(COLUMNS),
        }
        return TemplateResponse(request, "admin/inventory/vehicle/import.html", context)


@admin.register(PriceChange)
class PriceChangeAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "vehicle__location"
    list_display = ["vehicle", "old_price", "new_price", "changed_at"]
    list_select_related = ["vehicle"]
    list_filter = ["vehicle__location"]
    search_fields = ["vehicle__stock_number", "vehicle__vin"]
    date_hierarchy = "changed_at"
    readonly_fields = ["vehicle", "old_price", "new_price", "changed_at"]


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["email", "query", "created_at", "last_alert_on", "cancelled_at"]
    search_fields = ["email"]
    list_filter = [("cancelled_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["token", "created_at", "last_checked_at", "last_alert_on"]


class VehicleTransferEventInline(StatusHistoryInline):
    model = VehicleTransferEvent


@admin.register(VehicleTransfer)
class VehicleTransferAdmin(LocationScopedAdmin, admin.ModelAdmin):
    """Read-only: transfers move through the staff pages (/staff/inventory/transfers/), whose
    services check who may decide and lock the car."""

    location_path = ("from_location", "to_location")
    list_display = ["vehicle", "from_location", "to_location", "status", "eta", "requested_at"]
    list_select_related = ["vehicle", "from_location", "to_location"]
    list_filter = ["status", "from_location", "to_location"]
    search_fields = ["vehicle__stock_number", "vehicle__vin"]
    date_hierarchy = "requested_at"
    inlines = [VehicleTransferEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feed)
class FeedAdmin(LocationScopedAdmin, admin.ModelAdmin):
    """Marketplace feeds: the URL to give Google or Meta, and when it was last built (by the
    inventory.feeds_refresh job). A location's feed is its managers'; a feed of every
    location is the administrators'."""

    list_display = ["name", "kind", "location", "is_active", "last_built_at", "row_count"]
    list_select_related = ["location"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["feed_url", "last_built_at", "row_count"]
    fields = ["name", "kind", "location", "is_active", "feed_url", "last_built_at", "row_count"]

    location_path = "location"

    @admin.display(description=_("Feed URL"))
    def feed_url(self, obj):
        if not obj.pk:
            return "–"
        from django.conf import settings

        url = settings.SITE_URL.rstrip("/") + obj.get_absolute_url()
        return format_html("<code>{}</code>", url)
