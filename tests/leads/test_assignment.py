import threading
from collections import Counter

import pytest
from django.db import close_old_connections

from dealership.accounts.roles import Role
from leads.models import AssignmentRule, Customer, Lead, LeadAssignment
from leads.services import (
    consultant_set_availability,
    customer_get_or_create_from_contact,
    lead_assign,
    lead_create,
)
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory


def _new_lead(location, n=0, **kwargs):
    customer, _ = customer_get_or_create_from_contact(
        location=location,
        source=Customer.Source.WEBSITE,
        first_name="Lena",
        last_name=f"Hoffmann{n}",
        email=f"lena{n}@example.de",
    )
    return lead_create(
        customer=customer,
        source=kwargs.pop("source", Lead.Source.WEBSITE),
        type=kwargs.pop("type", Lead.Type.VEHICLE_ENQUIRY),
        location=location,
        **kwargs,
    )


@pytest.mark.django_db
def test_round_robin_takes_turns_among_consultants_on_duty(location):
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    jonas = UserFactory(role=Role.CONSULTANT, locations=[location])
    UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])  # another branch
    UserFactory(role=Role.SALES_MANAGER, locations=[location])  # not a consultant

    assignees = [_new_lead(location, n).assigned_to for n in range(5)]

    assert assignees == [anna, jonas, anna, jonas, anna]
    assert LeadAssignment.objects.filter(reason="round_robin").count() == 5


@pytest.mark.django_db
def test_an_unavailable_consultant_gets_no_new_leads(location):
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    jonas = UserFactory(role=Role.CONSULTANT, locations=[location])
    consultant_set_availability(user=anna, is_available=False)

    assignees = {_new_lead(location, n).assigned_to for n in range(3)}

    assert assignees == {jonas}


@pytest.mark.django_db
def test_nobody_on_duty_leaves_the_lead_unassigned(location):
    lead = _new_lead(location)

    assert lead.assigned_to is None
    assert LeadAssignment.objects.count() == 0


@pytest.mark.django_db
def test_a_rule_by_source_and_type_wins_over_the_rotation(location):
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    specialist = UserFactory(role=Role.CONSULTANT, locations=[location])
    AssignmentRule.objects.create(
        location=location, type=Lead.Type.TRADE_IN, assign_to=specialist, priority=1
    )

    trade_in = _new_lead(location, 1, type=Lead.Type.TRADE_IN)
    enquiry = _new_lead(location, 2)

    assert trade_in.assigned_to == specialist
    assert LeadAssignment.objects.get(lead=trade_in).reason == "rule"
    assert enquiry.assigned_to == anna
    assert LeadAssignment.objects.get(lead=enquiry).reason == "round_robin"


@pytest.mark.django_db
def test_manual_reassignment_is_logged(location, manager):
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    jonas = UserFactory(role=Role.CONSULTANT, locations=[location])
    lead = _new_lead(location)
    assert lead.assigned_to == anna

    lead_assign(lead=lead, to_user=jonas, by=manager)

    lead.refresh_from_db()
    assert lead.assigned_to == jonas
    entry = LeadAssignment.objects.filter(reason="manual").get()
    assert (entry.from_user, entry.to_user, entry.assigned_by) == (anna, jonas, manager)


@pytest.mark.django_db
def test_reassigning_to_someone_of_another_branch_is_refused(location, manager):
    outsider = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])
    lead = LeadFactory(customer=CustomerFactory(location=location))

    with pytest.raises(Exception, match="does not work at"):
        lead_assign(lead=lead, to_user=outsider, by=manager)

    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert LeadAssignment.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_web_leads_keep_the_rotation_fair():
    location = LocationFactory()
    consultants = [UserFactory(role=Role.CONSULTANT, locations=[location]) for _ in range(3)]
    errors = []
    barrier = threading.Barrier(10)

    def submit(batch):
        try:
            barrier.wait()
            for n in batch:
                _new_lead(location, n)
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit, args=(range(i * 5, i * 5 + 5),)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    counts = Counter(Lead.objects.values_list("assigned_to", flat=True))
    assert sum(counts.values()) == 50
    assert set(counts) == {c.pk for c in consultants}
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enquiries_from_one_new_person_make_one_customer():
    location = LocationFactory()
    barrier = threading.Barrier(8)
    errors = []

    def submit():
        try:
            barrier.wait()
            customer_get_or_create_from_contact(
                location=location,
                source=Customer.Source.WEBSITE,
                email="same@example.de",
            )
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Customer.objects.filter(email="same@example.de").count() == 1
