from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads and customers")

    def ready(self):
        # This app's switches on the customer's email preference page.
        from dealership.messaging.preferences import register

        from .preferences import SmsOffers

        register(SmsOffers())
