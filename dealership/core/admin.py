"""The one read-only view of a status history, for every stateful model's admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class StatusHistoryInline(admin.TabularInline):
    """Subclass with ``model = <the app's StatusHistory>`` (and ``extra_fields`` for its own
    columns); shows every history alike: when, who, from, to, note."""

    extra = 0
    can_delete = False
    extra_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):
        note = ["note"] if any(f.name == "note" for f in self.model._meta.fields) else []
        return ["when", "who", "moved_from", "moved_to", *note, *self.extra_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(self.model.by_field)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("when"))
    def when(self, obj):
        return obj.when

    @admin.display(description=_("who"))
    def who(self, obj):
        return obj.who or "–"

    @admin.display(description=_("from"))
    def moved_from(self, obj):
        return obj.from_label or "–"

    @admin.display(description=_("to"))
    def moved_to(self, obj):
        return obj.to_label


class StatefulAdmin:
    """For the admin of a model with a status machine: an existing row's status is read-only,
    so every move goes through the app's service (``MACHINE.transition``: the table, the
    lock, the history row, the messages), never an edited field. Put it before ModelAdmin."""

    status_field = "status"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.status_field not in fields:
            fields.append(self.status_field)
        return fields
