from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dealership.accounts.admin_scoping import LocationScopedAdmin

from .models import Consent, InboundSms, MessageTemplate, OutboxMessage, QuietHours, Suppression
from .rendering import TemplateSource, render_source


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "channel", "language", "updated_at"]
    list_filter = ["channel", "language"]
    search_fields = ["key", "subject", "body"]
    readonly_fields = ["preview"]
    fields = [
        "key",
        "channel",
        "language",
        "subject",
        "body",
        "body_html",
        "sample_context",
        "preview",
    ]

    @admin.display(description=_("Preview with the sample context"))
    def preview(self, obj):
        if obj is None or not obj.pk:
            return _("Save to see a preview.")
        try:
            rendered = render_source(
                TemplateSource(obj.subject, obj.body, obj.body_html), obj.sample_context or {}
            )
        except Exception as exc:
            return _("Cannot render: %(error)s") % {"error": exc}
        return format_html("<strong>{}</strong><pre>{}</pre>", rendered.subject, rendered.body)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["created_at", "channel", "purpose", "to", "template_key", "status", "attempts"]
    list_filter = ["status", "channel", "purpose"]
    search_fields = ["to", "dedupe_key", "template_key"]
    date_hierarchy = "created_at"
    list_select_related = ["location"]

    def has_add_permission(self, request):
        return False  # messages are created by the services only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["recorded_at", "channel", "address", "granted", "source"]
    list_filter = ["channel", "granted"]
    search_fields = ["address"]

    def has_change_permission(self, request, obj=None):
        return False  # an audit trail: record a new decision instead


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "address", "reason"]
    list_filter = ["channel", "reason"]
    search_fields = ["address"]


@admin.register(InboundSms)
class InboundSmsAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "keyword", "body"]
    list_filter = ["keyword"]
    search_fields = ["sender", "body"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QuietHours)
class QuietHoursAdmin(LocationScopedAdmin, admin.ModelAdmin):
    location_path = "location"
    list_display = ["location", "start", "end"]
    list_select_related = ["location"]
