"""Staff roles. Each is a Django group created by a migration; permissions hang off the group."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONSULTANT = "Consultant", _("Consultant")
    SALES_MANAGER = "Sales manager", _("Sales manager")
    SERVICE_ADVISOR = "Service advisor", _("Service advisor")
    ADMINISTRATOR = "Administrator", _("Administrator")


# Roles that run the dealership's rules and may use Django admin.
MANAGER_ROLES = (Role.SALES_MANAGER, Role.ADMINISTRATOR)


# What each role may do in Django admin, by app label ("*": every permission of that app).
# Consultants and service advisors work in the staff UI, whose querysets enforce their access.
OUR_APPS = (
    "messaging",
    "knowledge",
    "inventory",
    "leads",
    "testdrives",
    "aftersales",
    "orders",
    "surveys",
    "scoring",
)
SALES_APPS = (
    "messaging",
    "knowledge",
    "inventory",
    "leads",
    "testdrives",
    "orders",
    "surveys",
    "scoring",
)

# The erasure log ("privacy") is for administrators: managers erase from the customer's page.
ROLE_PERMISSIONS: dict[Role, dict[str, str]] = {
    Role.ADMINISTRATOR: dict.fromkeys(("accounts", "auth", "ops", "privacy", *OUR_APPS), "*"),
    Role.SALES_MANAGER: {**dict.fromkeys(SALES_APPS, "*"), "accounts": "view"},
    Role.SERVICE_ADVISOR: {"aftersales": "view"},
    Role.CONSULTANT: {},
}

# Single permissions ("app_label.codename") beyond the app scopes above. Opening Django admin
# at all takes ADMIN_PERMISSION: administrators have it with "accounts": "*".
ADMIN_PERMISSION = "accounts.use_admin"
ROLE_EXTRA_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SALES_MANAGER: (ADMIN_PERMISSION,),
}


# The roles a staff member may give others (or themselves) in admin: never more than their
# own. Superusers may give any; is_superuser and single permissions only superusers.
GRANTABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.ADMINISTRATOR: tuple(Role),
    Role.SALES_MANAGER: (Role.CONSULTANT, Role.SALES_MANAGER),
}
