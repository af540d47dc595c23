import datetime

import pytest
import time_machine

from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, OutboxMessage
from dealership.messaging.selectors import messages_for_customer
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.messaging.factories import OutboxMessageFactory

Status = OutboxMessage.Status
NOON = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def other_location():
    return LocationFactory()


@pytest.fixture
def own_customer(location, consultant):
    """A customer the consultant owns: the outbox shows a consultant only their customers'."""
    return CustomerFactory(location=location, owner=consultant)


def test_staff_see_only_their_locations_messages(
    consultant_client, location, other_location, own_customer
):
    mine = OutboxMessageFactory(
        location=location, to="mine@example.com", customer_id=own_customer.pk
    )
    OutboxMessageFactory(location=other_location, to="theirs@example.com")

    response = consultant_client.get("/staff/outbox/")

    assert response.status_code == 200
    assert [m.pk for m in response.context["page"]] == [mine.pk]
    html = response.content.decode()
    assert "mine@example.com" in html
    assert "theirs@example.com" not in html
    assert "Cancel message" not in html  # consultants may not cancel


def test_filters_by_status_channel_template_and_recipient(
    consultant_client, location, own_customer
):
    wanted = OutboxMessageFactory(
        location=location,
        customer_id=own_customer.pk,
        channel=Channel.SMS,
        to="+4915123456789",
        template_key="testdrives.reminder",
        status=Status.SCHEDULED,
    )
    mine = {"location": location, "customer_id": own_customer.pk}
    OutboxMessageFactory(**mine, channel=Channel.SMS, status=Status.SENT)
    OutboxMessageFactory(**mine, template_key="testdrives.reminder")
    OutboxMessageFactory(**mine, status=Status.SCHEDULED)

    response = consultant_client.get(
        "/staff/outbox/",
        {"status": "scheduled", "channel": "sms", "template": "testdrives.reminder", "q": "23456"},
    )

    assert [m.pk for m in response.context["page"]] == [wanted.pk]


def test_the_outbox_page_has_labelled_filters(consultant_client):
    html = consultant_client.get("/staff/outbox/").content.decode()

    for field, label in (("status", "Status"), ("channel", "Channel"), ("q", "Recipient")):
        assert f'<label for="id_{field}" class="form-label">{label}</label>' in html


def test_the_outbox_page_runs_a_fixed_number_of_queries(
    consultant_client, location, own_customer, django_assert_num_queries
):
    OutboxMessageFactory.create_batch(5, location=location, customer_id=own_customer.pk)
    consultant_client.get("/staff/outbox/")  # warm the session
    OutboxMessageFactory.create_batch(30, location=location, customer_id=own_customer.pk)

    # SAVEPOINT, session, user, groups, count, page rows, RELEASE, and the session save
    # (SESSION_SAVE_EVERY_REQUEST): SAVEPOINT, UPDATE, RELEASE. The same for 5 or 35 rows.
    with django_assert_num_queries(10):
        response = consultant_client.get("/staff/outbox/")

    assert len(response.context["page"]) == 35


def test_a_consultant_sees_only_messages_to_their_own_customers(
    client, consultant, location, own_customer
):
    colleague = UserFactory(role=Role.CONSULTANT, locations=[location])
    assigned = LeadFactory(
        customer=CustomerFactory(location=location, owner=colleague), assigned_to=consultant
    ).customer
    colleagues = CustomerFactory(location=location, owner=colleague)
    owned = OutboxMessageFactory(location=location, customer_id=own_customer.pk)
    via_lead = OutboxMessageFactory(location=location, customer_id=assigned.pk)
    OutboxMessageFactory(location=location, customer_id=colleagues.pk, to="colleague@example.com")
    OutboxMessageFactory(location=location, customer_id=None, to="nobody@example.com")

    client.force_login(consultant)
    response = client.get("/staff/outbox/")
    client.force_login(colleague)
    theirs = client.get("/staff/outbox/")

    assert {m.pk for m in response.context["page"]} == {owned.pk, via_lead.pk}
    assert "colleague@example.com" not in response.content.decode()
    assert "colleague@example.com" in theirs.content.decode()


def test_a_manager_and_a_service_advisor_see_every_message_of_their_location(
    client, manager, location, own_customer
):
    advisor = UserFactory(role=Role.SERVICE_ADVISOR, locations=[location])
    messages = [
        OutboxMessageFactory(location=location, customer_id=own_customer.pk),
        OutboxMessageFactory(location=location, customer_id=None),
    ]

    for user in (manager, advisor):
        client.force_login(user)
        page = client.get("/staff/outbox/").context["page"]
        assert {m.pk for m in page} == {m.pk for m in messages}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/staff/outbox/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/login/?next=/staff/outbox/"


@time_machine.travel(NOON, tick=False)
def test_a_manager_cancels_a_scheduled_message(client, manager, location):
    message = OutboxMessageFactory(
        location=location, status=Status.SCHEDULED, send_after=NOON + datetime.timedelta(days=1)
    )
    client.force_login(manager)

    page = client.get("/staff/outbox/")
    response = client.post(
        f"/staff/outbox/{message.pk}/cancel/", {"reason": "Customer called"}, follow=True
    )

    assert "Cancel message" in page.content.decode()
    assert response.status_code == 200
    assert f"The message to {message.to} is cancelled." in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.cancelled_reason) == (Status.CANCELLED, "Customer called")


def test_a_sent_message_cannot_be_cancelled(client, manager, location):
    message = OutboxMessageFactory(location=location, status=Status.SENT)
    client.force_login(manager)

    response = client.post(f"/staff/outbox/{message.pk}/cancel/", {"reason": "x"}, follow=True)

    assert "The message was already sent or cancelled." in response.content.decode()
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_cancelling_needs_a_reason(client, manager, location):
    message = OutboxMessageFactory(location=location, status=Status.SCHEDULED)
    client.force_login(manager)

    response = client.post(f"/staff/outbox/{message.pk}/cancel/", {"reason": ""}, follow=True)

    assert "Give a reason to cancel the message." in response.content.decode()
    message.refresh_from_db()
    assert message.status == Status.SCHEDULED


def test_a_consultant_may_not_cancel(consultant_client, location):
    message = OutboxMessageFactory(location=location, status=Status.SCHEDULED)

    response = consultant_client.post(f"/staff/outbox/{message.pk}/cancel/", {"reason": "x"})

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SCHEDULED


def test_a_manager_gets_404_for_another_locations_message(client, manager, other_location):
    message = OutboxMessageFactory(location=other_location, status=Status.SCHEDULED)
    client.force_login(manager)

    response = client.post(f"/staff/outbox/{message.pk}/cancel/", {"reason": "x"})

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == Status.SCHEDULED


def test_an_administrator_sees_every_message(client, location, other_location):
    admin = UserFactory(role=Role.ADMINISTRATOR)
    OutboxMessageFactory(location=location)
    OutboxMessageFactory(location=other_location)
    OutboxMessageFactory(location=None)
    client.force_login(admin)

    response = client.get("/staff/outbox/")

    assert len(response.context["page"]) == 3


def test_messages_for_customer_is_the_customers_timeline(location):
    older = OutboxMessageFactory(customer_id=7, location=location)
    newer = OutboxMessageFactory(customer_id=7, location=location)
    OutboxMessageFactory(customer_id=8, location=location)

    assert list(messages_for_customer(customer_id=7)) == [newer, older]
