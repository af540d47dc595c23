"""Managers' screens for segments and campaigns: lists to find and check them, scoped to the
user's locations like the other admins. Building, sending, pausing and results live on the
staff pages (the same rules: consent, cap, dedupe); here a sent campaign and its recipients
are read-only, and nobody adds or edits recipients by hand."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from dealership.accounts.admin_scoping import LocationScopedAdmin

from .models import Campaign, CampaignMessage, Recipient, Segment

# A campaign past its draft has gone (or is going) out: what it was is the record.
_LOCKED = (
    Campaign.Status.SENDING,
    Campaign.Status.PAUSED,
    Campaign.Status.SENT,
    Campaign.Status.CANCELLED,
)


@admin.register(Segment)
class SegmentAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["name", "location", "builtin", "created_by", "updated_at"]
    list_filter = ["builtin", "location"]
    search_fields = ["name"]
    list_select_related = ["location", "created_by"]
    readonly_fields = ["builtin", "created_by", "created_at", "updated_at"]
    fields = ["name", "location", "conditions", *readonly_fields]

    def has_delete_permission(self, request, obj=None):
        # A built-in segment feeds the upgrade opportunities; one in use keeps its campaigns'
        # history (PROTECT would refuse it anyway, with a less friendly page).
        if obj is not None and (obj.builtin or obj.campaigns.exists()):
            return False
        return super().has_delete_permission(request, obj)


class CampaignMessageInline(admin.StackedInline):
    model = CampaignMessage
    extra = 0
    fields = ["language", "subject", "email_body", "sms_body"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status in _LOCKED:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.status in _LOCKED:
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status in _LOCKED:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Campaign)
class CampaignAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = [
        "name",
        "kind",
        "status",
        "channel",
        "segment",
        "location",
        "send_at",
        "queued_count",
        "excluded_count",
        "clicked_count",
    ]
    list_filter = ["status", "kind", "channel", "location"]
    search_fields = ["name", "segment__name"]
    list_select_related = ["segment", "location", "created_by"]
    date_hierarchy = "created_at"
    inlines = [CampaignMessageInline]
    readonly_fields = [
        "kind",
        "status",
        "created_by",
        "created_at",
        "test_sent_at",
        "launched_at",
        "finished_at",
        "queued_count",
        "excluded_count",
        "clicked_count",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_queued=Count("recipients", filter=Q(recipients__status=Recipient.Status.QUEUED)),
                n_excluded=Count(
                    "recipients", filter=Q(recipients__status=Recipient.Status.EXCLUDED)
                ),
                n_clicked=Count("recipients", filter=Q(recipients__clicked_at__isnull=False)),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in _LOCKED:
            # Gone out: nothing about it changes here (pause, cancel: the campaign page).
            return [f.name for f in Campaign._meta.fields if f.name != "id"] + [
                "queued_count",
                "excluded_count",
                "clicked_count",
            ]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status in _LOCKED:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("queued"), ordering="n_queued")
    def queued_count(self, obj):
        return getattr(obj, "n_queued", None)

    @admin.display(description=_("excluded"), ordering="n_excluded")
    def excluded_count(self, obj):
        return getattr(obj, "n_excluded", None)

    @admin.display(description=_("clicked"), ordering="n_clicked")
    def clicked_count(self, obj):
        return getattr(obj, "n_clicked", None)


@admin.register(Recipient)
class RecipientAdmin(LocationScopedAdmin, admin.ModelAdmin):
    """Who a campaign reached or left out, and why: read-only."""

    location_path = "campaign__location"
    list_display = [
        "campaign",
        "customer",
        "channel",
        "status",
        "exclusion",
        "is_control",
        "queued_at",
        "clicked_at",
    ]
    list_filter = ["status", "exclusion", "channel", "is_control"]
    search_fields = ["campaign__name", "customer__last_name", "customer__email"]
    list_select_related = ["campaign", "customer"]
    raw_id_fields = ["customer", "outbox_message"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
