"""Every dashboard the reports page offers, in tab order: the leads and inventory panels of
selectors.py, then orders and finance, after-sales and NPS."""

from django.utils.translation import gettext_lazy

from .selectors import PANELS as LEAD_AND_INVENTORY_PANELS
from .selectors_aftersales import aftersales_report
from .selectors_nps import nps_report
from .selectors_orders import orders_report

PANELS = {
    **LEAD_AND_INVENTORY_PANELS,
    "orders": (gettext_lazy("Orders and finance"), orders_report),
    "aftersales": (gettext_lazy("After-sales"), aftersales_report),
    "nps": (gettext_lazy("NPS"), nps_report),
}
