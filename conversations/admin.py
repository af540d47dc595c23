"""Managers' screen: the reply templates consultants insert in the composer."""

from django.contrib import admin

from .models import ReplyTemplate
from .selectors import reply_templates_changed


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "is_active", "updated_at")
    list_filter = ("channel", "is_active")
    search_fields = ("name", "body")

    # The composer caches the active templates (selectors.reply_templates): refresh on change.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        reply_templates_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        reply_templates_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        reply_templates_changed()
