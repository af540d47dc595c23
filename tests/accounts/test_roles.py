"""The roles' admin permissions as roles_sync grants them."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from dealership.accounts.roles import Role
from dealership.accounts.services import roles_sync
from dealership.privacy.models import Erasure
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _codenames(role: Role, app_label: str) -> list[str]:
    return sorted(
        Group.objects.get(name=role.value)
        .permissions.filter(content_type__app_label=app_label)
        .values_list("codename", flat=True)
    )


def test_administrators_get_every_privacy_permission_and_others_none():
    # When the roles are synced
    roles_sync()

    # Then administrators may view (and, were it not read-only, manage) the erasure log
    assert _codenames(Role.ADMINISTRATOR, "privacy") == [
        "add_erasure",
        "change_erasure",
        "delete_erasure",
        "view_erasure",
    ]
    # and no other role reaches it through admin
    for role in (Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.CONSULTANT):
        assert _codenames(role, "privacy") == []


def test_an_administrator_who_is_not_superuser_opens_erasures_in_admin(client):
    # Given an erasure and an administrator (not a superuser) after the roles were synced
    roles_sync()
    erasure = Erasure.objects.create(
        customer=CustomerFactory(location=LocationFactory()),
        trigger=Erasure.Trigger.REQUEST,
        reason="Asked by email",
        erased_at=timezone.now(),
    )
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_superuser=False)
    client.force_login(administrator)

    # When they open the erasure log and the erasure
    listing = client.get(reverse("admin:privacy_erasure_changelist"))
    detail = client.get(reverse("admin:privacy_erasure_change", args=[erasure.pk]))

    # Then both open, and the log lists the erasure
    assert listing.status_code == 200
    assert [e.pk for e in listing.context["cl"].result_list] == [erasure.pk]
    assert detail.status_code == 200


def test_a_sales_manager_may_not_open_erasures_in_admin(client):
    roles_sync()
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[LocationFactory()])
    client.force_login(manager)

    assert client.get(reverse("admin:privacy_erasure_changelist")).status_code == 403
