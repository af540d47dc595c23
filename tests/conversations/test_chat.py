"""Live chat over HTTP: the visitor's widget endpoints and the staff chat pages."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from conversations.chat import chat_accept, chat_timeouts_run
from conversations.models import ChatSession, Message
from conversations.visitor import COOKIE
from dealership.messaging.models import OutboxMessage
from leads.models import Customer, Lead
from tests.accounts.factories import LocationFactory
from tests.conversations.chat_helpers import consultant_at, open_location
from tests.conversations.factories import ChatSessionFactory
from tests.inventory.factories import VehicleFactory

pytestmark = pytest.mark.django_db

Status = ChatSession.Status


def start(client, body="Is the Golf still for sale?", **data):
    return client.post("/chat/start/", {"body": body, **data})


def test_first_message_opens_a_waiting_chat_and_sets_the_signed_cookie():
    location = open_location()
    consultant_at(location)
    visitor = Client()

    response = start(visitor, location=location.pk)

    assert response.status_code == 201
    session = ChatSession.objects.get()
    assert session.status == Status.WAITING
    assert session.location == location
    assert response.json()["status"] == "waiting"
    assert [line["body"] for line in response.json()["lines"]] == ["Is the Golf still for sale?"]
    assert visitor.cookies[COOKIE].value != session.visitor_token  # signed, not the bare token
    line = Message.objects.get()
    assert (line.channel, line.direction, line.customer, line.chat_session) == (
        "chat",
        "in",
        None,
        session,
    )


def test_the_visitor_keeps_the_thread_across_page_loads():
    location = open_location()
    consultant_at(location)
    visitor = Client()
    start(visitor, location=location.pk)
    visitor.post("/chat/send/", {"body": "It is the blue one"})

    state = visitor.get("/chat/").json()

    assert state["status"] == "waiting"
    assert [line["body"] for line in state["lines"]] == [
        "Is the Golf still for sale?",
        "It is the blue one",
    ]
    assert Client().get("/chat/").json() == {"status": "none", "lines": []}


def test_a_forged_cookie_opens_no_chat():
    session = ChatSessionFactory(location=open_location())
    forger = Client()
    forger.cookies[COOKIE] = session.visitor_token  # the token without a valid signature

    assert forger.get("/chat/").json()["status"] == "none"
    response = forger.post("/chat/send/", {"body": "hijack"})
    assert response.status_code == 404
    assert session.lines.count() == 1


def test_the_vehicle_page_attaches_the_car_and_its_location():
    location = open_location()
    consultant_at(location)
    vehicle = VehicleFactory(location=location)
    other = open_location()

    response = start(Client(), vehicle=vehicle.pk, location=other.pk)

    assert response.status_code == 201
    session = ChatSession.objects.get()
    assert (session.vehicle, session.location) == (vehicle, location)
    assert response.json()["vehicle"] == vehicle.title


def test_the_honeypot_creates_nothing():
    location = open_location()

    response = start(Client(), location=location.pk, website="http://spam.example")

    assert response.status_code == 200
    assert response.json()["status"] == "none"
    assert not ChatSession.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "x" * 2001}, "body"),
        ({"body": "Hello", "location": "999999"}, "location"),
        ({"body": "Hello", "vehicle": "not-a-number"}, "vehicle"),
    ],
)
def test_bad_first_messages_are_refused_with_a_reason(data, field):
    open_location()

    response = Client().post("/chat/start/", data)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ChatSession.objects.exists()


def test_first_messages_are_rate_limited_per_address(settings):
    settings.CHAT_START_RATE_LIMIT = 2
    location = open_location()
    visitor = Client()

    codes = [start(visitor, location=location.pk).status_code for _ in range(3)]

    assert codes == [201, 201, 429]
    assert ChatSession.objects.count() == 2


def test_messages_are_rate_limited_per_visitor(settings):
    settings.CHAT_MESSAGE_RATE_LIMIT = 2
    location = open_location()
    visitor = Client()
    start(visitor, location=location.pk)

    codes = [visitor.post("/chat/send/", {"body": f"line {n}"}).status_code for n in range(3)]

    assert codes == [201, 201, 429]
    assert Message.objects.count() == 3


def test_outside_opening_hours_the_chat_is_offline_at_once():
    location = LocationFactory(weekday_hours={})  # never open
    consultant_at(location)

    response = start(Client(), location=location.pk)

    assert response.json()["status"] == "offline"
    assert ChatSession.objects.get().status == Status.OFFLINE


def test_without_a_consultant_on_duty_the_chat_is_offline_at_once():
    location = open_location()

    assert start(Client(), location=location.pk).json()["status"] == "offline"


def test_offline_details_turn_the_chat_into_a_lead_with_the_transcript():
    location = open_location()
    consultant = consultant_at(location)
    vehicle = VehicleFactory(location=location)
    visitor = Client()
    start(visitor, vehicle=vehicle.pk, body="<b>Price</b> for the Golf?")
    session = ChatSession.objects.get()
    ChatSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    assert chat_timeouts_run() == 1

    response = visitor.post(
        "/chat/details/", {"first_name": "Lena", "email": "lena@example.de", "phone": ""}
    )

    assert response.status_code == 200
    assert response.json()["has_details"] is True
    lead = Lead.objects.get()
    customer = Customer.objects.get()
    assert (lead.source, lead.type, lead.vehicle, lead.customer) == (
        Lead.Source.CHAT,
        Lead.Type.VEHICLE_ENQUIRY,
        vehicle,
        customer,
    )
    assert lead.assigned_to == consultant  # the usual rules: the only consultant on duty
    assert "<b>Price</b> for the Golf?" in lead.message
    assert (customer.first_name, customer.email) == ("Lena", "lena@example.de")
    session.refresh_from_db()
    assert (session.customer, session.lead) == (customer, lead)
    assert list(Message.objects.values_list("customer", flat=True)) == [customer.pk]
    # Twice: still one lead.
    visitor.post("/chat/details/", {"first_name": "Lena", "email": "lena@example.de"})
    assert Lead.objects.count() == 1


def test_details_need_an_email_or_a_phone():
    location = open_location()
    visitor = Client()
    start(visitor, location=location.pk)

    response = visitor.post("/chat/details/", {"first_name": "Lena"})

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == ["Give us an email address or a phone number."]
    assert not Lead.objects.exists()


def test_the_transcript_goes_out_once_through_the_outbox():
    location = open_location()
    visitor = Client()
    start(visitor, location=location.pk, body="<script>alert(1)</script>")

    first = visitor.post("/chat/transcript/", {"email": "Lena@Example.de"})
    second = visitor.post("/chat/transcript/", {"email": "lena@example.de"})

    assert (first.status_code, second.status_code) == (200, 200)
    outbox = OutboxMessage.objects.get()
    assert outbox.to == "lena@example.de"
    assert outbox.channel == "email"
    assert "<script>alert(1)</script>" in outbox.body  # plain text, as written
    assert not outbox.body_html
    assert outbox.dedupe_key.startswith(f"chat-transcript:{ChatSession.objects.get().pk}:")


def test_the_transcript_needs_a_valid_email():
    location = open_location()
    visitor = Client()
    start(visitor, location=location.pk)

    response = visitor.post("/chat/transcript/", {"email": "not an email"})

    assert response.status_code == 400
    assert not OutboxMessage.objects.exists()


# --- Staff ----------------------------------------------------------------------------------


def test_the_board_shows_waiting_chats_of_my_locations_only(client):
    location = open_location()
    consultant = consultant_at(location)
    ChatSessionFactory(location=location, first_line="<i>Mine</i> to answer")
    ChatSessionFactory(location=open_location(), first_line="Another location's")
    client.force_login(consultant)

    response = client.get("/staff/chats/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;i&gt;Mine&lt;/i&gt; to answer" in html
    assert "Another location" not in html


def test_accepting_makes_the_consultant_the_owner_and_others_see_it_taken(client):
    location = open_location()
    first, second = consultant_at(location, first_name="Anna"), consultant_at(location)
    session = ChatSessionFactory(location=location)
    client.force_login(first)

    response = client.post(f"/staff/chats/{session.pk}/accept/")

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.accepted_by) == (Status.ACTIVE, first)
    late = Client()
    late.force_login(second)
    refused = late.post(f"/staff/chats/{session.pk}/accept/", HTTP_ACCEPT="application/json")
    assert refused.status_code == 409
    assert refused.json()["errors"]["__all__"] == ["Taken by Anna."]
    session.refresh_from_db()
    assert session.accepted_by == first


def test_only_the_owner_answers(client):
    location = open_location()
    owner, colleague = consultant_at(location), consultant_at(location)
    session = chat_accept(session=ChatSessionFactory(location=location), by=owner)
    client.force_login(colleague)

    refused = client.post(
        f"/staff/chats/{session.pk}/send/", {"body": "Hi"}, HTTP_ACCEPT="application/json"
    )
    owner_client = Client()
    owner_client.force_login(owner)
    sent = owner_client.post(
        f"/staff/chats/{session.pk}/send/", {"body": "Yes, it is!"}, HTTP_ACCEPT="application/json"
    )

    assert refused.status_code == 403
    assert sent.status_code == 201
    assert sent.json()["body"] == "Yes, it is!"
    assert list(session.lines.values_list("direction", "body", "author")) == [
        ("in", "Hello, is the Golf still for sale?", None),
        ("out", "Yes, it is!", owner.pk),
    ]


def test_another_locations_chat_is_404(client):
    consultant = consultant_at(open_location())
    theirs = ChatSessionFactory(location=open_location())
    client.force_login(consultant)

    assert client.get(f"/staff/chats/{theirs.pk}/").status_code == 404
    assert client.post(f"/staff/chats/{theirs.pk}/accept/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.WAITING


def test_the_chat_page_escapes_the_visitors_words(client):
    location = open_location()
    consultant = consultant_at(location)
    session = ChatSessionFactory(location=location, first_line='<img src=x onerror="alert(1)">')
    client.force_login(consultant)

    html = client.get(f"/staff/chats/{session.pk}/").content.decode()

    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert '<img src=x onerror="alert(1)">' not in html


def test_the_board_answers_in_a_fixed_number_of_queries(client, django_assert_num_queries):
    location = open_location()
    consultant = consultant_at(location)
    for _ in range(5):
        ChatSessionFactory(location=location)
    client.force_login(consultant)
    client.get("/staff/chats/?partial=1")

    # session, user, savepoint, groups, the three lists (first line, location, car and
    # consultant joined in), release; the session's save (savepoint, update, release)
    with django_assert_num_queries(11):
        client.get("/staff/chats/?partial=1")
    for _ in range(5):
        ChatSessionFactory(location=location)
    with django_assert_num_queries(11):
        client.get("/staff/chats/?partial=1")


# --- Nobody answers -------------------------------------------------------------------------


def test_chats_nobody_accepted_in_two_minutes_go_offline_once():
    location = open_location()
    old = ChatSessionFactory(
        location=location, created_at=timezone.now() - datetime.timedelta(seconds=121)
    )
    fresh = ChatSessionFactory(location=location)

    assert chat_timeouts_run() == 1
    assert chat_timeouts_run() == 0

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (Status.OFFLINE, Status.WAITING)


def test_a_chat_accepted_in_time_is_not_sent_offline():
    location = open_location()
    session = ChatSessionFactory(
        location=location, created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    chat_accept(session=session, by=consultant_at(location))

    assert chat_timeouts_run() == 0
    session.refresh_from_db()
    assert session.status == Status.ACTIVE


def test_anonymous_chats_are_purged_after_a_month_and_known_ones_stay():
    from conversations.chat import chat_anonymous_purge
    from tests.leads.factories import CustomerFactory

    location = open_location()
    old = timezone.now() - datetime.timedelta(days=31)
    anonymous = ChatSessionFactory(location=location, created_at=old)
    known = ChatSessionFactory(
        location=location, created_at=old, customer=CustomerFactory(location=location)
    )
    recent = ChatSessionFactory(location=location)

    chat_anonymous_purge()

    assert set(ChatSession.objects.values_list("pk", flat=True)) == {known.pk, recent.pk}
    assert not Message.objects.filter(chat_session_id=anonymous.pk).exists()
