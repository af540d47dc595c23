"""Django admin limited to the staff member's locations, as every staff page is.

A ModelAdmin whose rows belong to a location (directly or through a lead, customer, order,
vehicle or booking) mixes in `LocationScopedAdmin` and names the way there:

    @admin.register(Payment)
    class PaymentAdmin(LocationScopedAdmin, admin.ModelAdmin):
        location_path = "order__location"

Administrators and superusers see every row; anyone else (sales managers, service advisors)
only the rows of their own locations: the changelist, the change and delete pages (a row of
another location is "not found": 404, as a foreign id on every staff page) and bulk actions
all go through `get_queryset`. Foreign-key
choices are limited the same way when the related model's admin is scoped too, and so are
the list filters on a location ("location", "lead__location", "user__locations"): they offer
only the staff member's locations (`LocationListFilter`).
"""

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Location, User
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
        if _is_multi_valued(qs.model, path):
            # Through a many-to-many ("user__locations"): a subquery, so that a row linked
            # to two of the user's locations is listed once.
            matching = qs.model._default_manager.filter(**{f"{path}__in": locations})
            condition |= Q(pk__in=matching.values("pk"))
        else:
            condition |= Q(**{f"{path}__in": locations})
    return qs.filter(condition)


def _is_multi_valued(model, path: str) -> bool:
    if path == "pk":
        return False
    return any(f.many_to_many or f.one_to_many for f in get_fields_from_path(model, path))


def _leads_to_location(model, path: str) -> bool:
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return False
    return getattr(field, "related_model", None) is Location


class LocationListFilter(admin.RelatedFieldListFilter):
    """A filter on a location (or a path to one) offering only the locations the staff
    member may see: the rows are scoped, and so are the names in the sidebar. Use it as
    `list_filter = [("location", LocationListFilter)]`; LocationScopedAdmin swaps it in for
    every plain location entry by itself."""

    def field_choices(self, field, request, model_admin):
        user = request.user
        locations = Location.objects.all()
        if not sees_every_location(user):
            locations = locations.filter(pk__in=user.locations.values("pk"))
        return [(location.pk, str(location)) for location in locations.order_by("name", "pk")]


def scoped_list_filter(model, list_filter) -> list:
    """`list_filter` with each plain entry that ends on a location turned into a
    LocationListFilter; other entries as they are."""
    return [
        (entry, LocationListFilter)
        if isinstance(entry, str) and _leads_to_location(model, entry)
        else entry
        for entry in list_filter
    ]


class NotFoundOutsideScope:
    """A change, delete or history page of a row outside the admin's queryset is a 404.
    Django's admin would redirect to its index saying the row doesn't exist; a foreign row is
    simply not found, as on every staff page. Someone without any permission on the model
    is refused first (403), as Django does on the change page, also on the history page
    (where Django looks for the row first)."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        raise Http404(_("Not found."))


class LocationScopedAdmin(NotFoundOutsideScope):
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

    def get_list_filter(self, request):
        return scoped_list_filter(self.model, super().get_list_filter(request))

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
