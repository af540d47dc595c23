from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "dealership.knowledge"
    label = "knowledge"
    verbose_name = _("Help and FAQ")
