"""Django admin limited to the staff member's locations, as every staff page is.

A ModelAdmin whose rows belong to a location (directly or through a lead, customer, order,
vehicle or booking) mixes in `LocationScopedAdmin` and names the way there:

    @admin.register(Payment)
    class PaymentAdmin(LocationScopedAdmin, admin.ModelAdmin):
        location_path = "order__location"

Administrators and superusers see every row; anyone else (sales managers, service advisors)
only the rows of their own locations: the changelist, the change and delete pages (a row of
another location is "not found") and bulk actions all go through `get_queryset`. Foreign-key
choices are limited the same way when the related model's admin is scoped too.
"""

from django.db.models import Q, QuerySet

from .models import User
from .roles import Role


def sees_every_location(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMINISTRATOR)


def scope_to_locations(qs: QuerySet, *, user: User, paths: tuple[str, ...]) -> QuerySet:
    """`qs` limited to rows whose location (reached through any of `paths`) is the user's.
    One subquery on the user's locations, no extra round trip."""
    if sees_every_location(user):
        return qs
    if not user.is_authenticated:
        return qs.none()
    locations = user.locations.values("pk")
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{path}__in": locations})
    return qs.filter(condition)


class LocationScopedAdmin:
    """Mix in before admin.ModelAdmin; set `location_path` ("location", "lead__location", or
    a tuple of paths of which any may match, for rows reached through optional links)."""

    location_path: str | tuple[str, ...] = ""

    @classmethod
    def location_paths(cls) -> tuple[str, ...]:
        if not cls.location_path:
            raise NotImplementedError(f"{cls.__name__} must set location_path")
        if isinstance(cls.location_path, str):
            return (cls.location_path,)
        return tuple(cls.location_path)

    def get_queryset(self, request):
        return scope_to_locations(
            super().get_queryset(request), user=request.user, paths=self.location_paths()
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            model = db_field.remote_field.model
            related = (
                self.admin_site.get_model_admin(model)
                if self.admin_site.is_registered(model)
                else None
            )
            if isinstance(related, LocationScopedAdmin):
                kwargs["queryset"] = scope_to_locations(
                    model._default_manager.all(),
                    user=request.user,
                    paths=related.location_paths(),
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
