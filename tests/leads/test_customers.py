import pytest
from django.core.exceptions import ValidationError

from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Activity, Customer, CustomerMerge, Lead, Task
from leads.services import customer_get_or_create_from_contact, customer_merge
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import ActivityFactory, CustomerFactory, LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_a_german_national_number_is_stored_in_e164(location):
    customer, created = customer_get_or_create_from_contact(
        location=location, source="website", first_name="Lena", phone="0151 23456789"
    )

    assert created is True
    assert customer.mobile_phone == "+4915123456789"
    assert customer.search_name == "lena"


def test_a_match_by_email_ignores_case_and_fills_blanks(location):
    first, _ = customer_get_or_create_from_contact(
        location=location, source="website", email="Lena@Example.de"
    )

    again, created = customer_get_or_create_from_contact(
        location=location,
        source="adf",
        email="lena@example.de",
        first_name="Lena",
        last_name="Hoffmann",
        phone="+49 151 23456789",
    )

    assert created is False
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.first_name, again.last_name, again.mobile_phone) == (
        "Lena",
        "Hoffmann",
        "+4915123456789",
    )
    assert again.source == "website"


def test_a_match_by_phone_in_another_format(location):
    first, _ = customer_get_or_create_from_contact(
        location=location, source="website", phone="0151 23456789"
    )

    again, created = customer_get_or_create_from_contact(
        location=location, source="website", phone="+49 (151) 234-56789"
    )

    assert (again.pk, created) == (first.pk, False)


def test_merged_customers_are_not_matched(location):
    kept = CustomerFactory(location=location, email="kept@example.de")
    old = CustomerFactory(location=location, email="old@example.de")
    customer_merge(kept=kept, merged=old, by=None)

    found, created = customer_get_or_create_from_contact(
        location=location, source="website", email="old@example.de"
    )

    # The merged customer's email did not overwrite the kept one's, so nobody live matches.
    assert created is True
    assert found not in (kept, old)


def test_no_contact_details_is_refused(location):
    with pytest.raises(ValidationError, match=r"Give an email address or a phone number\."):
        customer_get_or_create_from_contact(location=location, source="website", first_name="Lena")

    assert Customer.objects.count() == 0


def test_merge_moves_every_related_record_and_logs_it(location):
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[location])
    kept = CustomerFactory(
        location=location,
        email="lena@example.de",
        mobile_phone="",
        tags=["vip"],
        notes="Prefers calls",
    )
    merged = CustomerFactory(
        location=location,
        email="l.hoffmann@example.de",
        mobile_phone="+4915123456789",
        city="Leipzig",
        tags=["golf"],
        notes="Has a dog",
    )
    leads = LeadFactory.create_batch(2, customer=merged)
    LeadFactory(customer=kept)
    ActivityFactory.create_batch(3, customer=merged)
    TaskFactory(customer=merged)
    OutboxMessage.objects.create(
        channel="email",
        purpose="transactional",
        to="l.hoffmann@example.de",
        customer_id=merged.pk,
        template_key="x",
        context={},
        subject="s",
        body="b",
        dedupe_key="m1",
        send_after=merged.created_at,
    )

    log = customer_merge(kept=kept, merged=merged, by=manager)

    kept.refresh_from_db()
    merged.refresh_from_db()
    assert Lead.objects.filter(customer=kept).count() == 3
    assert Activity.objects.filter(customer=kept).count() == 3
    assert Task.objects.filter(customer=kept).count() == 1
    assert OutboxMessage.objects.get(dedupe_key="m1").customer_id == kept.pk
    assert not Lead.objects.filter(customer=merged).exists()
    assert {lead.pk for lead in leads} <= set(
        Lead.objects.filter(customer=kept).values_list("pk", flat=True)
    )
    assert merged.merged_into == kept
    assert kept.mobile_phone == "+4915123456789"
    assert kept.city == "Leipzig"
    assert kept.email == "lena@example.de"
    assert kept.tags == ["golf", "vip"]
    assert kept.notes == "Prefers calls\n\nHas a dog"
    assert log.merged_by == manager
    assert log.merged_snapshot["email"] == "l.hoffmann@example.de"
    assert log.moved == {
        "leads.Lead": 2,
        "leads.Activity": 3,
        "leads.Task": 1,
        "messaging.OutboxMessage": 1,
    }


def test_merging_into_itself_or_twice_is_refused(location):
    kept, other = CustomerFactory(location=location), CustomerFactory(location=location)
    with pytest.raises(ValidationError, match=r"A customer cannot be merged into itself\."):
        customer_merge(kept=kept, merged=kept, by=None)
    customer_merge(kept=kept, merged=other, by=None)

    with pytest.raises(ValidationError, match=r"One of these customers has already been merged\."):
        customer_merge(kept=kept, merged=other, by=None)

    assert CustomerMerge.objects.count() == 1


def test_duplicates_page_and_merge_view(client, manager, location):
    a = CustomerFactory(location=location, email="same@example.de", last_name="Older")
    b = CustomerFactory(location=location, email="same@example.de", last_name="Newer")
    LeadFactory(customer=b)
    CustomerFactory(location=LocationFactory(), email="same@example.de", last_name="Elsewhere")
    client.force_login(manager)

    html = client.get("/staff/customers/duplicates/").content.decode()
    assert "Older" in html
    assert "Newer" in html
    assert "Elsewhere" not in html

    response = client.post("/staff/customers/merge/", {"kept": a.pk, "merged": b.pk})

    assert response.status_code == 302
    assert response["Location"] == f"/staff/customers/{a.pk}/"
    assert Lead.objects.get().customer == a
    redirect = client.get(f"/staff/customers/{b.pk}/")
    assert redirect.status_code == 302
    assert redirect["Location"] == f"/staff/customers/{a.pk}/"


def test_merge_view_refuses_a_customer_of_another_branch(client, manager, location):
    mine = CustomerFactory(location=location)
    foreign = CustomerFactory(location=LocationFactory())
    client.force_login(manager)

    response = client.post("/staff/customers/merge/", {"kept": mine.pk, "merged": foreign.pk})

    assert response.status_code == 404
    assert CustomerMerge.objects.count() == 0
