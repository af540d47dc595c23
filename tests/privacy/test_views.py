import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from dealership.accounts.models import AuditEvent
from dealership.accounts.roles import Role
from dealership.privacy.models import Erasure
from leads.models import Customer
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import ActivityFactory, CustomerFactory, LeadFactory
from tests.security.fuzz import fuzz_form, hostile_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(location):
    customer = CustomerFactory(
        location=location, first_name="Lena", last_name="Hoffmann", email="lena@example.de"
    )
    LeadFactory(customer=customer, message="Is the Golf still there?")
    return customer


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _urls(pk):
    return [
        f"/staff/privacy/customers/{pk}/export/",
        f"/staff/privacy/customers/{pk}/export.json",
        f"/staff/privacy/customers/{pk}/erase/",
    ]


def test_consultants_get_403_on_every_privacy_page(consultant_client, customer):
    for url in _urls(customer.pk):
        assert consultant_client.get(url).status_code == 403, url
    response = consultant_client.post(
        _urls(customer.pk)[2], {"confirm_name": "Lena Hoffmann", "reason": "x"}
    )
    assert response.status_code == 403
    assert not Erasure.objects.exists()


def test_a_manager_of_another_branch_gets_404(client, customer):
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[LocationFactory()]))

    for url in _urls(customer.pk):
        assert client.get(url).status_code == 404, url
    assert not AuditEvent.objects.exists()


def test_export_page_shows_everything_and_is_audited(
    manager_client, manager, customer, django_assert_num_queries
):
    for _ in range(3):
        ActivityFactory(customer=customer, body="Test drive on Saturday")

    # Savepoint, session, user, groups, customer; merged customers, addresses, leads; one per
    # mapped model (45 with quotes and their options, the order's new trade-in payoff line,
    # leads' transfer requests, conversations' messages, inbound emails, attachments and
    # chats, campaign recipients, messaging's latest consents, service appointments' status
    # changes); the content types of the audit trail shown and of the new audit row (the
    # cache emptied first, so the count does not depend on earlier tests); the audit row;
    # release; session save (3).
    ContentType.objects.clear_cache()
    with django_assert_num_queries(62):
        response = manager_client.get(f"/staff/privacy/customers/{customer.pk}/export/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "lena@example.de" in html
    assert "Is the Golf still there?" in html
    assert html.count("Test drive on Saturday") == 3
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.changes) == (manager, "export", {"as": "page"})


def test_export_json_is_a_download_of_every_mapped_model(manager_client, customer):
    response = manager_client.get(f"/staff/privacy/customers/{customer.pk}/export.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{customer.pk}.json"'
    )
    data = json.loads(response.content)
    sections = {section["model"]: section for section in data["sections"]}
    assert data["customer_id"] == customer.pk
    assert sections["leads.Customer"]["rows"][0]["email"] == "lena@example.de"
    assert [row["message"] for row in sections["leads.Lead"]["rows"]] == [
        "Is the Golf still there?"
    ]
    assert sections["leads.Lead"]["treatment"] == "pseudonymise"
    assert AuditEvent.objects.get().changes == {"as": "json"}


def test_erasure_needs_the_customers_name_typed(manager_client, customer):
    response = manager_client.post(
        f"/staff/privacy/customers/{customer.pk}/erase/",
        {"confirm_name": "Lena Hofmann", "reason": "Customer's request"},
    )

    assert response.status_code == 400
    assert "That is not the customer&#x27;s name. Type “Lena Hoffmann” exactly." in (
        response.content.decode()
    )
    customer.refresh_from_db()
    assert customer.email == "lena@example.de"
    assert not Erasure.objects.exists()
    assert not AuditEvent.objects.exists()


def test_erasure_from_the_staff_ui(manager_client, manager, customer):
    page = manager_client.get(f"/staff/privacy/customers/{customer.pk}/erase/")
    assert "Type the customer&#x27;s name to confirm" in page.content.decode()

    response = manager_client.post(
        f"/staff/privacy/customers/{customer.pk}/erase/",
        {"confirm_name": " lena  hoffmann ", "reason": "Customer's request of 3 May"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/staff/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("", "")
    erasure = Erasure.objects.get()
    assert (erasure.erased_by, erasure.reason) == (manager, "Customer's request of 3 May")
    again = manager_client.get(f"/staff/privacy/customers/{customer.pk}/erase/")
    assert "personal data was erased on" in again.content.decode()


def test_customer_360_shows_the_privacy_buttons_to_managers_only(manager, consultant, customer):
    manager_client, consultant_client = Client(), Client()
    manager_client.force_login(manager)
    consultant_client.force_login(consultant)

    manager_html = manager_client.get(f"/staff/customers/{customer.pk}/").content.decode()
    consultant_html = consultant_client.get(f"/staff/customers/{customer.pk}/").content.decode()

    assert "Export data" in manager_html
    assert "Erase personal data" in manager_html
    assert f"/staff/privacy/customers/{customer.pk}/erase/" in manager_html
    assert "Export data" not in consultant_html
    assert "Erase personal data" not in consultant_html


def test_the_erasure_form_survives_hostile_input(manager_client, customer):
    result = fuzz_form(
        manager_client,
        f"/staff/privacy/customers/{customer.pk}/erase/",
        {"confirm_name": hostile_text(), "reason": hostile_text()},
        models=[Erasure, AuditEvent],
        snapshot=lambda: list(Customer.objects.values_list("first_name", "email")),
        max_examples=100,
    )

    assert result.examples == 100
    assert result.accepted == 0  # nothing typed at random is the customer's name
    assert set(result.statuses) == {400}
