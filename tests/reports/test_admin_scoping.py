"""Django admin for managers is limited to their locations: every registered model whose rows
belong to a location. Uses the N+1 check's row builders (one row, foreign keys filled in), so a
new ModelAdmin joins this check too."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import reverse

from dealership.accounts.admin_scoping import LocationScopedAdmin
from dealership.accounts.models import Location
from dealership.accounts.roles import Role
from inventory.models import Vehicle
from orders.models import DeliverySlot
from tests.accounts.factories import LocationFactory, UserFactory

from .test_admin_changelists import ROW_BUILDERS

pytestmark = pytest.mark.django_db

SCOPED = sorted(
    model._meta.label
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, LocationScopedAdmin)
)
# The vehicle admin predates the mixin and filters through vehicle_list_for_staff.
CHECKED = [*SCOPED, "inventory.Vehicle"]
# Registered models reached from a location only through a person (users work at several).
NOT_LOCATION_BOUND = {"accounts.User", "accounts.AuditEvent", "leads.ConsultantAvailability"}


def grant(user, model) -> None:
    """The model's admin permissions, whatever the role grants: the scoping is under test."""
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label=model._meta.app_label,
            codename__in=[
                f"{action}_{model._meta.model_name}" for action in ("view", "add", "change")
            ],
        )
    )


def _paths(model) -> tuple[str, ...]:
    model_admin = admin.site._registry[model]
    if isinstance(model_admin, LocationScopedAdmin):
        return model_admin.location_paths()
    return ("location",)


def _location_of(model, pk) -> int:
    for path in _paths(model):
        value = model.objects.filter(pk=pk).values_list(path, flat=True).get()
        if value is not None:
            return value
    raise AssertionError(f"{model._meta.label} #{pk} has no location")


def test_every_model_linked_to_a_location_is_scoped():
    # Given every registered model with a foreign key to a location or to a scoped model
    bound = {Location, Vehicle, *(apps.get_model(label) for label in SCOPED)}
    linked = sorted(
        model._meta.label
        for model in admin.site._registry
        if any(
            isinstance(field, models.ForeignKey | models.OneToOneField)
            and field.related_model in bound
            for field in model._meta.get_fields()
            if field.concrete
        )
        and model._meta.label not in NOT_LOCATION_BOUND
    )
    # Then each is scoped (or is the vehicle admin, scoped its own way)
    assert [label for label in linked if label not in CHECKED] == []


@pytest.mark.parametrize("label", CHECKED)
def test_manager_sees_and_opens_only_their_locations_rows(client, label):
    # Given a row at the manager's location and one at another location
    model = apps.get_model(label)
    mine, theirs = ROW_BUILDERS[label](), ROW_BUILDERS[label]()
    here, there = _location_of(model, mine.pk), _location_of(model, theirs.pk)
    assert here != there
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[Location.objects.get(pk=here)])
    grant(manager, model)
    client.force_login(manager)
    info = model._meta.app_label, model._meta.model_name

    # When they open the changelist
    response = client.get(reverse("admin:{}_{}_changelist".format(*info)))

    # Then they see their row and nothing of the other location
    assert response.status_code == 200
    shown = [obj.pk for obj in response.context["cl"].result_list]
    assert mine.pk in shown
    assert theirs.pk not in shown
    assert {_location_of(model, pk) for pk in shown} == {here}
    # and the other location's row cannot be opened
    assert (
        client.get(reverse("admin:{}_{}_change".format(*info), args=[mine.pk])).status_code == 200
    )
    response = client.get(reverse("admin:{}_{}_change".format(*info), args=[theirs.pk]))
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("label", CHECKED)
def test_administrator_sees_every_location(client, label):
    model = apps.get_model(label)
    rows = [ROW_BUILDERS[label](), ROW_BUILDERS[label]()]
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_superuser=False)
    grant(administrator, model)
    client.force_login(administrator)

    response = client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    )

    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert {row.pk for row in rows} <= shown


def test_foreign_key_choices_are_the_managers_locations(client):
    # Given a manager of Leipzig, when they open the new delivery slot form
    leipzig, dresden = LocationFactory(name="Leipzig"), LocationFactory(name="Dresden")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[leipzig])
    grant(manager, DeliverySlot)
    client.force_login(manager)
    response = client.get(reverse("admin:orders_deliveryslot_add"))

    # Then the location field offers Leipzig only, and a forged Dresden is refused
    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields["location"].queryset) == [leipzig]
    response = client.post(
        reverse("admin:orders_deliveryslot_add"),
        {
            "location": dresden.pk,
            "starts_at_0": "2026-04-01",
            "starts_at_1": "09:00",
            "ends_at_0": "2026-04-01",
            "ends_at_1": "11:00",
            "capacity": 2,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["location"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert DeliverySlot.objects.count() == 0
