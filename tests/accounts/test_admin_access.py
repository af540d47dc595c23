"""Django admin is for managers and administrators: it takes accounts.use_admin, which the
role sync grants them. Consultants are refused (403), not sent round to the login."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from dealership.accounts.roles import ADMIN_PERMISSION, Role
from dealership.accounts.services import roles_sync
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _has_use_admin(role: Role) -> bool:
    return (
        Group.objects.get(name=role.value)
        .permissions.filter(content_type__app_label="accounts", codename="use_admin")
        .exists()
    )


def test_the_role_sync_grants_use_admin_to_managers_only():
    roles_sync()
    roles_sync()  # idempotent

    assert _has_use_admin(Role.SALES_MANAGER)
    assert _has_use_admin(Role.ADMINISTRATOR)
    assert not _has_use_admin(Role.CONSULTANT)
    assert not _has_use_admin(Role.SERVICE_ADVISOR)


@pytest.mark.parametrize("path", ["/admin/", "/admin/leads/lead/", "/admin/jsi18n/"])
def test_a_consultant_gets_403_on_admin(client, path):
    roles_sync()
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()]))

    response = client.get(path)

    assert response.status_code == 403


def test_a_service_advisor_gets_403_on_admin(client):
    roles_sync()
    client.force_login(UserFactory(role=Role.SERVICE_ADVISOR, locations=[LocationFactory()]))

    assert client.get(reverse("admin:index")).status_code == 403


def test_a_manager_opens_admin(client):
    roles_sync()
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[LocationFactory()])
    client.force_login(manager)

    index = client.get(reverse("admin:index"))
    leads = client.get(reverse("admin:leads_lead_changelist"))

    assert manager.has_perm(ADMIN_PERMISSION)
    assert index.status_code == 200
    assert leads.status_code == 200


def test_a_consultant_given_the_permission_opens_admin(client):
    from django.contrib.auth.models import Permission

    consultant = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])
    consultant.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="use_admin")
    )
    client.force_login(consultant)

    assert client.get(reverse("admin:index")).status_code == 200


def test_a_superuser_opens_admin_without_any_role(client):
    client.force_login(UserFactory(is_superuser=True, username="root"))

    assert client.get(reverse("admin:index")).status_code == 200


def test_anonymous_and_non_staff_still_go_to_the_login(client):
    anonymous = client.get(reverse("admin:index"))
    client.force_login(UserFactory(is_staff=False))
    non_staff = client.get(reverse("admin:index"))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert non_staff.status_code == 302
    assert non_staff["Location"].startswith("/admin/login/")
