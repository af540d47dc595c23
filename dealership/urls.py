from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from dealership import page_languages, views
from dealership.accounts.roles import ADMIN_PERMISSION
from dealership.accounts.views import set_language
from dealership.ops.views import healthz

admin.site.site_header = _("Showroom administration")
admin.site.site_title = _("Showroom admin")
admin.site.index_title = _("Dealership management")


def _admin_has_permission(request) -> bool:
    """Django admin takes accounts.use_admin (managers and administrators through their role;
    superusers always). Staff without it are refused (403): they are logged in already, so
    the login page would only send them round in a circle. Anyone else goes to the login."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if user.has_perm(ADMIN_PERMISSION):
        return True
    raise PermissionDenied


admin.site.has_permission = _admin_has_permission

# Every page in every language: /de/vehicles/ is German, /vehicles/ English (or, for a
# visitor who chose another language, a redirect to it: dealership/accounts/language.py).
# Webhooks, the ADF feed and the sitemap resolve unprefixed as before.
urlpatterns = i18n_patterns(
    path("", views.home, name="home"),
    path("locations/<slug:slug>/", views.location_detail, name="location-detail"),
    path("", include("inventory.urls")),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/accounts/", include("dealership.accounts.urls")),
    path("", include("leads.urls")),
    path("", include("conversations.urls")),
    path("", include("dealership.messaging.urls")),
    path("", include("dealership.knowledge.urls")),
    path("staff/privacy/", include("dealership.privacy.urls")),
    path("", include("surveys.urls")),
    path("staff/reports/", include("dealership.reports.urls")),
    # One login for everyone, with the lockout and the second factor: the admin's own
    # password-only form is never served.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
        name="admin-login",
    ),
    path("", include("aftersales.urls")),
    path("", include("testdrives.urls")),
    path("", include("orders.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
urlpatterns += [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
]
page_languages.register()

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
