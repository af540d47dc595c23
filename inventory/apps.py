from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        # This app's switches on the customer's email preference page.
        from dealership.messaging.preferences import register

        from .preferences import SavedSearchAlerts

        register(SavedSearchAlerts())
