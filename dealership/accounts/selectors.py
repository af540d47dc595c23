from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from .models import AuditEvent, Location, User
from .roles import MANAGER_ROLES, Role


def location_list_public() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).prefetch_related("opening_hours")


def location_list_for_user(*, user: User) -> QuerySet[Location]:
    """The locations whose records this staff member may see.

    Administrators see every location; everyone else the locations they are assigned to.
    """
    if user_sees_every_location(user):
        return Location.objects.all()
    return user.locations.all()


def user_sees_every_location(user: User) -> bool:
    """Administrators: location_list_for_user is every location, not their own."""
    return user.is_superuser or user.has_role(Role.ADMINISTRATOR)


def user_is_manager(*, user: User) -> bool:
    return user.is_active and user.is_staff and user.has_role(*MANAGER_ROLES)


def audit_event_list_for_object(*, obj) -> QuerySet[AuditEvent]:
    """The audit trail of one record, newest first (uses the (type, id, time) index).

    Callers decide who may see a record's history; slice it (`[:50]`) for a page.
    """
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        target_id=str(obj.pk),
    ).order_by("-created_at", "-id")
