from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # Leads may not import orders (a lower layer); orders plugs into its pages.
        from leads.timeline import customer_action_register, lead_action_register

        customer_action_register(label=_("Desk a deal"), url_name="orders:quote-new")
        lead_action_register(label=_("Desk a deal"), url_name="orders:quote-new")
