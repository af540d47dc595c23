from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from dealership.accounts.models import AuditEvent, Location
from dealership.accounts.services import audit_diff, audit_record
from tests.accounts.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_audit_record_stores_who_what_and_the_changes(manager):
    location = LocationFactory(name="Leipzig")

    event = audit_record(
        actor=manager,
        action=AuditEvent.Action.UPDATE,
        obj=location,
        changes=audit_diff(
            {"documentation_fee": Decimal("249.00"), "city": "Leipzig"},
            {"documentation_fee": Decimal("299.00"), "city": "Leipzig"},
        ),
    )

    event.refresh_from_db()
    assert event.actor == manager
    assert event.actor_name == manager.username
    assert event.action == "update"
    assert event.target_type == ContentType.objects.get_for_model(Location)
    assert event.target_id == str(location.pk)
    assert event.target_repr == "Leipzig"
    assert event.changes == {"documentation_fee": ["249.00", "299.00"]}


def test_the_trail_survives_the_deletion_of_record_and_actor(manager):
    location = LocationFactory(name="Closed branch")
    username = manager.username
    audit_record(actor=manager, action="delete", obj=location, changes={})

    location.delete()
    manager.delete()

    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_name, event.target_repr) == (None, username, "Closed branch")


def test_system_changes_are_recorded_as_system():
    event = audit_record(actor=None, action="erase", obj=LocationFactory(), changes={})

    assert event.actor_name == "system"


def test_an_unknown_action_is_refused_and_nothing_is_written(manager):
    with pytest.raises(ValidationError) as error:
        audit_record(actor=manager, action="tampered", obj=LocationFactory(), changes={})

    assert error.value.message_dict["action"] == ["Value 'tampered' is not a valid choice."]
    assert not AuditEvent.objects.exists()


def test_audit_diff_lists_only_changed_fields():
    assert audit_diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


def test_nobody_can_edit_or_delete_the_trail_in_admin(client, manager):
    from django.contrib.auth.models import Group

    admin_user = manager
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    Group.objects.get(name="Administrator").user_set.add(admin_user)
    event = audit_record(actor=admin_user, action="view", obj=LocationFactory(), changes={})
    client.force_login(admin_user)

    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get(f"/admin/accounts/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/accounts/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    assert AuditEvent.objects.count() == 1


def test_the_trail_of_one_record_newest_first_in_two_queries(manager, django_assert_num_queries):
    from django.contrib.contenttypes.models import ContentType

    from dealership.accounts.selectors import audit_event_list_for_object

    location, other = LocationFactory(), LocationFactory()
    first = audit_record(actor=manager, action="create", obj=location, changes={})
    audit_record(actor=manager, action="update", obj=other, changes={})
    second = audit_record(actor=manager, action="update", obj=location, changes={})
    ContentType.objects.clear_cache()

    with django_assert_num_queries(2):  # the content type (then cached), the events
        events = list(audit_event_list_for_object(obj=location)[:50])

    assert events == [second, first]


def test_recording_an_event_costs_one_insert(manager, django_assert_num_queries):
    location = LocationFactory()
    ContentType.objects.get_for_model(location)  # cached from here on, as in a running site

    with django_assert_num_queries(1):
        audit_record(actor=manager, action="update", obj=location, changes={"a": [1, 2]})
