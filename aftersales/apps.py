from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self):
        # Leads may not import after-sales (a lower layer); after-sales plugs into its 360.
        from leads.timeline import customer_action_register, timeline_provider_register

        from .selectors import customer_timeline

        timeline_provider_register(customer_timeline)
        customer_action_register(label=_("Add a car"), url_name="aftersales:vehicle_new")
        customer_action_register(label=_("Log a complaint"), url_name="aftersales:complaint_log")
