"""The audit trail of customers and leads (issue #11): who, when, what changed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealership.accounts.roles import Role
from leads.models import Customer, Lead
from leads.services import (
    customer_get_or_create_from_contact,
    customer_merge,
    lead_assign,
    lead_transition,
    leads_bulk_assign,
)
from tests.accounts.audit import events_after, last_event_id, target
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db


def test_a_new_customer_from_a_form_is_audited_as_created_by_the_system(location):
    mark = last_event_id()

    customer, created = customer_get_or_create_from_contact(
        location=location,
        source="website",
        first_name="Lena",
        last_name="Hoffmann",
        email="Lena@Example.de",
    )

    assert created
    [event] = events_after(mark)
    assert (event.actor, event.actor_name, event.action) == (None, "system", "create")
    assert target(event) == (Customer, str(customer.pk))
    assert event.changes == {
        "first_name": [None, "Lena"],
        "last_name": [None, "Hoffmann"],
        "email": [None, "lena@example.de"],
        "location": [None, location.pk],
        "via": "website",
    }


def test_a_match_that_fills_blanks_is_audited_as_an_update(location):
    customer = CustomerFactory(location=location, email="lena@example.de", city="")
    mark = last_event_id()

    customer_get_or_create_from_contact(
        location=location, source="phone", email="lena@example.de", city="Leipzig"
    )

    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (
        None,
        "update",
        (Customer, str(customer.pk)),
    )
    assert event.changes == {"city": ["", "Leipzig"], "via": "phone"}


def test_a_match_with_nothing_new_and_a_refused_contact_write_no_audit_event(location):
    CustomerFactory(location=location, email="lena@example.de", city="Leipzig")
    mark = last_event_id()

    customer_get_or_create_from_contact(location=location, source="phone", email="lena@example.de")
    with pytest.raises(ValidationError):
        customer_get_or_create_from_contact(location=location, source="phone", first_name="Anon")

    assert events_after(mark) == []


def test_a_status_change_is_audited_with_the_actor(location, consultant):
    lead = LeadFactory(customer__location=location)
    mark = last_event_id()

    lead_transition(lead=lead, to_status=Lead.Status.CONTACTED, by=consultant)

    [event] = events_after(mark)
    assert (event.actor, event.actor_name, event.action) == (
        consultant,
        consultant.username,
        "update",
    )
    assert target(event) == (Lead, str(lead.pk))
    assert event.changes == {"status": ["new", "contacted"]}


def test_losing_a_lead_records_the_lost_reason(location, consultant):
    lead = LeadFactory(customer__location=location, status=Lead.Status.QUALIFIED)
    mark = last_event_id()

    lead_transition(lead=lead, to_status=Lead.Status.LOST, by=consultant, lost_reason="price")

    [event] = events_after(mark)
    assert event.changes == {"status": ["qualified", "lost"], "lost_reason": ["", "price"]}


def test_refused_status_changes_write_no_audit_event(location, consultant):
    lead = LeadFactory(customer__location=location, status=Lead.Status.QUALIFIED)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        lead_transition(lead=lead, to_status=Lead.Status.NEW, by=consultant)
    with pytest.raises(ValidationError):
        lead_transition(lead=lead, to_status=Lead.Status.LOST, by=consultant, lost_reason="")

    assert events_after(mark) == []


def test_a_reassignment_is_audited_with_both_consultants(location, manager, consultant):
    other = UserFactory(role=Role.CONSULTANT, locations=[location])
    lead = LeadFactory(customer__location=location, assigned_to=consultant)
    mark = last_event_id()

    lead_assign(lead=lead, to_user=other, by=manager)

    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (manager, "update", (Lead, str(lead.pk)))
    assert event.changes == {"assigned_to": [consultant.pk, other.pk]}


def test_a_reassignment_to_another_branch_writes_no_audit_event(location, manager, consultant):
    stranger = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])
    lead = LeadFactory(customer__location=location, assigned_to=consultant)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        lead_assign(lead=lead, to_user=stranger, by=manager)

    assert events_after(mark) == []


def test_a_bulk_reassignment_writes_one_event_per_lead_that_moved(location, manager, consultant):
    other = UserFactory(role=Role.CONSULTANT, locations=[location])
    moving = LeadFactory.create_batch(3, customer__location=location, assigned_to=consultant)
    staying = LeadFactory(customer__location=location, assigned_to=other)
    mark = last_event_id()

    moved = leads_bulk_assign(
        leads=Lead.objects.filter(pk__in=[*(lead.pk for lead in moving), staying.pk]),
        to_user=other,
        by=manager,
    )

    assert moved == 3
    events = events_after(mark)
    assert [(target(e), e.actor, e.changes) for e in events] == [
        ((Lead, str(lead.pk)), manager, {"assigned_to": [consultant.pk, other.pk]})
        for lead in moving
    ]


def test_a_merge_is_one_event_on_the_kept_customer(location, manager):
    kept = CustomerFactory(location=location, email="lena@example.de", city="", tags=["vip"])
    merged = CustomerFactory(location=location, email="", city="Leipzig", tags=["fleet"])
    LeadFactory(customer=merged)
    mark = last_event_id()

    customer_merge(kept=kept, merged=merged, by=manager)

    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (
        manager,
        "update",
        (Customer, str(kept.pk)),
    )
    assert event.changes == {
        "city": ["", "Leipzig"],
        "other_phone": ["", merged.mobile_phone],
        "tags": [["vip"], ["fleet", "vip"]],
        "merged_customer": merged.pk,
        "moved": {"leads.Lead": 1},
    }


def test_a_refused_merge_writes_no_audit_event(location, manager):
    kept = CustomerFactory(location=location)
    mark = last_event_id()

    with pytest.raises(ValidationError):
        customer_merge(kept=kept, merged=kept, by=manager)

    assert events_after(mark) == []


def test_an_admin_edit_of_a_customer_is_audited_field_by_field(admin_client, admin_user, location):
    customer = CustomerFactory(location=location, city="Halle", notes="")
    url = reverse("admin:leads_customer_change", args=[customer.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in ((f, form[f].value()) for f in form.fields)
    }
    data.update(city="Leipzig", notes="Prefers calls after 5 pm", tags='["vip"]')
    data = {k: v for k, v in data.items() if v is not False}
    mark = last_event_id()

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [event] = events_after(mark)
    assert (event.actor, event.action, target(event)) == (
        admin_user,
        "update",
        (Customer, str(customer.pk)),
    )
    assert event.changes == {
        "city": ["Halle", "Leipzig"],
        "notes": ["", "Prefers calls after 5 pm"],
        "tags": [[], ["vip"]],
    }
