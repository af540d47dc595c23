"""Django admin for managers is limited to their locations: every registered model whose rows
belong to a location. Uses the N+1 check's row builders (one row, foreign keys filled in), so a
new ModelAdmin joins this check too."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.urls import reverse

from dealership.accounts.admin_scoping import LocationListFilter, LocationScopedAdmin
from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from dealership.accounts.services import audit_record, roles_sync
from inventory.models import Vehicle
from leads.models import ConsultantAvailability
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
# The audit trail has no location (a row may be about a user, a location or a setting): only
# administrators read it in admin (test_audit_trail_is_for_administrators_only below).
NOT_LOCATION_BOUND = {"accounts.AuditEvent"}


def grant(user, model) -> None:
    """The model's admin permissions (and admin itself), whatever the role grants: the
    scoping is under test."""
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label=model._meta.app_label,
            codename__in=[
                f"{action}_{model._meta.model_name}" for action in ("view", "add", "change")
            ],
        ),
        Permission.objects.get(content_type__app_label="accounts", codename="use_admin"),
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
    # (users are scoped, but a row's author or handler does not place the row: users work at
    # several locations)
    bound = {Location, Vehicle, *(apps.get_model(label) for label in SCOPED)} - {User}
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
    assert (
        client.get(reverse("admin:{}_{}_change".format(*info), args=[theirs.pk])).status_code == 404
    )


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


# --- List filters on a location --------------------------------------------------------------


def _ends_on_location(model, entry) -> bool:
    path = entry[0] if isinstance(entry, tuple) else entry
    if not isinstance(path, str):
        return False
    field = get_fields_from_path(model, path)[-1]
    return getattr(field, "related_model", None) is Location


def _location_filters(response) -> list:
    return [
        spec
        for spec in response.context["cl"].filter_specs
        if isinstance(spec, admin.RelatedFieldListFilter) and spec.field.related_model is Location
    ]


WITH_LOCATION_FILTER = [
    label
    for label in CHECKED
    if any(
        _ends_on_location(apps.get_model(label), entry)
        for entry in admin.site._registry[apps.get_model(label)].list_filter
    )
]


def test_the_location_filters_are_checked_somewhere():
    # The scoped admins with a location filter, through a relation or not, are all below.
    assert {"orders.Order", "leads.Activity", "leads.Task", "accounts.User"} <= set(
        WITH_LOCATION_FILTER
    )
    assert "leads.ConsultantAvailability" in WITH_LOCATION_FILTER


@pytest.mark.parametrize("label", WITH_LOCATION_FILTER)
def test_location_filters_offer_only_the_managers_locations(client, label):
    # Given rows at two locations and a manager of the first and of a third
    model = apps.get_model(label)
    mine, theirs = ROW_BUILDERS[label](), ROW_BUILDERS[label]()
    here = Location.objects.get(pk=_location_of(model, mine.pk))
    assert _location_of(model, theirs.pk) != here.pk
    also = LocationFactory(name="Zwickau")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[here, also])
    grant(manager, model)
    client.force_login(manager)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    # When they open the changelist
    response = client.get(url)

    # Then every location filter offers their two locations and nothing else
    filters = _location_filters(response)
    assert filters
    for spec in filters:
        assert isinstance(spec, LocationListFilter)
        assert spec.lookup_choices == [(here.pk, str(here)), (also.pk, "Zwickau")]

    # and with one location there is nothing to choose (the filter shows only where the
    # location may also be empty, "(None)")
    manager.locations.remove(also)
    for spec in _location_filters(client.get(url)):
        assert spec.include_empty_choice
        assert spec.lookup_choices == [(here.pk, str(here))]


def test_administrators_filter_by_every_location(client):
    leipzig, dresden = LocationFactory(name="Leipzig"), LocationFactory(name="Dresden")
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_superuser=False)
    grant(administrator, apps.get_model("orders.Order"))
    client.force_login(administrator)

    response = client.get(reverse("admin:orders_order_changelist"))

    [spec] = _location_filters(response)
    assert spec.lookup_choices == [(dresden.pk, "Dresden"), (leipzig.pk, "Leipzig")]


# --- Users, consultants' availability and the audit trail ----------------------------------


@pytest.fixture
def two_shops():
    leipzig, dresden = LocationFactory(name="Leipzig"), LocationFactory(name="Dresden")
    manager = UserFactory(username="maria", role=Role.SALES_MANAGER, locations=[leipzig])
    return {
        "leipzig": leipzig,
        "dresden": dresden,
        "manager": manager,
        "jonas": UserFactory(username="jonas", role=Role.CONSULTANT, locations=[leipzig]),
        "eva": UserFactory(username="eva", role=Role.CONSULTANT, locations=[leipzig, dresden]),
        "karl": UserFactory(username="karl", role=Role.CONSULTANT, locations=[dresden]),
        "boss": UserFactory(
            username="boss", role=Role.ADMINISTRATOR, locations=[leipzig], is_superuser=False
        ),
        "root": UserFactory(username="root", is_superuser=True),
    }


def _listed(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return sorted(str(row) for row in response.context["cl"].result_list)


def test_managers_see_the_staff_of_their_locations_only(client, two_shops):
    manager = two_shops["manager"]
    grant(manager, User)
    client.force_login(manager)

    # Leipzig's staff, Eva (Leipzig and Dresden) once; not Karl (Dresden) nor the superuser
    assert _listed(client, reverse("admin:accounts_user_changelist")) == [
        "boss",
        "eva",
        "jonas",
        "maria",
    ]
    karl = reverse("admin:accounts_user_change", args=[two_shops["karl"].pk])
    assert client.get(karl).status_code == 404


def test_managers_give_no_more_than_their_own_role_and_locations(client, two_shops):
    manager, eva = two_shops["manager"], two_shops["eva"]
    grant(manager, User)
    client.force_login(manager)
    url = reverse("admin:accounts_user_change", args=[eva.pk])

    # The form offers the roles a sales manager may give and their own location only;
    # superuser status and single permissions are read-only
    form = client.get(url).context["adminform"].form
    assert sorted(form.fields["groups"].queryset.values_list("name", flat=True)) == [
        "Consultant",
        "Sales manager",
    ]
    assert list(form.fields["locations"].queryset) == [two_shops["leipzig"]]
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields

    # A forged Administrator role is refused, and nothing changes
    administrator = Group.objects.get(name=Role.ADMINISTRATOR.value)
    data = {
        "username": "eva",
        "email": eva.email,
        "first_name": "Eva",
        "last_name": "Zeller",
        "is_active": "on",
        "is_staff": "on",
        "groups": [administrator.pk],
        "locations": [two_shops["leipzig"].pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["groups"] == [
        f"Select a valid choice. {administrator.pk} is not one of the available choices."
    ]
    eva.refresh_from_db()
    assert eva.role_names == ["Consultant"]
    assert eva.last_name == "Schmidt"

    # A valid edit keeps Dresden, which the manager could not see in the form
    consultant = Group.objects.get(name=Role.CONSULTANT.value)
    response = client.post(url, {**data, "groups": [consultant.pk]})
    assert response.status_code == 302
    eva = User.objects.get(pk=eva.pk)
    assert eva.last_name == "Zeller"
    assert sorted(eva.locations.values_list("name", flat=True)) == ["Dresden", "Leipzig"]
    assert eva.role_names == ["Consultant"]


def test_a_colleague_with_more_rights_is_read_only_for_a_manager(client, two_shops):
    manager, boss = two_shops["manager"], two_shops["boss"]
    grant(manager, User)
    client.force_login(manager)
    url = reverse("admin:accounts_user_change", args=[boss.pk])

    page = client.get(url)
    response = client.post(url, {"username": "boss", "last_name": "Mayer"})

    assert page.status_code == 200
    assert "adminform" in page.context
    assert page.context["has_change_permission"] is False
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.last_name == "Schmidt"


def test_administrators_see_every_user_but_cannot_make_a_superuser(client, two_shops):
    boss = two_shops["boss"]
    grant(boss, User)
    client.force_login(boss)

    assert _listed(client, reverse("admin:accounts_user_changelist")) == [
        "boss",
        "eva",
        "jonas",
        "karl",
        "maria",
        "root",
    ]
    form = (
        client.get(reverse("admin:accounts_user_change", args=[two_shops["karl"].pk]))
        .context["adminform"]
        .form
    )
    assert "is_superuser" not in form.fields
    assert sorted(form.fields["groups"].queryset.values_list("name", flat=True)) == sorted(
        role.value for role in Role
    )
    # and the superuser is read-only for them
    root = client.get(reverse("admin:accounts_user_change", args=[two_shops["root"].pk]))
    assert root.context["has_change_permission"] is False


def test_managers_see_their_consultants_availability_only(client, two_shops):
    rows = {
        name: ConsultantAvailability.objects.create(user=two_shops[name])
        for name in ("jonas", "eva", "karl")
    }
    manager = two_shops["manager"]
    grant(manager, ConsultantAvailability)
    client.force_login(manager)

    # Eva works at both locations and is listed once; Karl (Dresden) not at all
    assert _listed(client, reverse("admin:leads_consultantavailability_changelist")) == [
        str(rows["eva"]),
        str(rows["jonas"]),
    ]
    karl = reverse("admin:leads_consultantavailability_change", args=[rows["karl"].pk])
    assert client.get(karl).status_code == 404


def test_audit_trail_is_for_administrators_only(client, two_shops):
    # Given an audit row and the roles' permissions (sales managers may view accounts)
    roles_sync()
    event = audit_record(actor=two_shops["boss"], action="update", obj=two_shops["leipzig"])
    changelist = reverse("admin:accounts_auditevent_changelist")
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])

    # A sales manager is refused the list and the row
    client.force_login(two_shops["manager"])
    assert client.get(changelist).status_code == 403
    assert client.get(change).status_code == 403

    # An administrator reads both
    client.force_login(two_shops["boss"])
    assert [e.pk for e in client.get(changelist).context["cl"].result_list] == [event.pk]
    assert client.get(change).status_code == 200
