from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from .roles import ROLE_PERMISSIONS, Role


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Give each role group exactly the admin permissions ROLE_PERMISSIONS names.

    Idempotent: run after every migrate (make run, the container's start) so new models'
    permissions reach the roles. Returns the number of permissions per role.
    """
    counts = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        condition = Q(pk__in=[])
        for app_label, scope in ROLE_PERMISSIONS.get(role, {}).items():
            app_q = Q(content_type__app_label=app_label)
            if scope != "*":
                app_q &= Q(codename__startswith=f"{scope}_")
            condition |= app_q
        permissions = list(Permission.objects.filter(condition))
        group.permissions.set(permissions)
        counts[role.value] = len(permissions)
    return counts
