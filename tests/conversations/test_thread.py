"""The thread: every message in and out plus the outbox's system messages, oldest first, in
the location's time zone, escaped; only for staff of the customer's location."""

import datetime

import pytest
from django.utils import timezone

from conversations.models import Message
from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue
from tests.accounts.factories import LocationFactory, UserFactory
from tests.conversations.factories import MessageFactory, ReplyTemplateFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)  # 10:00 in Berlin


@pytest.fixture
def customer(location):
    return CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann")


def system_message(customer, *, key="lead:1:confirmation", at=T0):
    message = message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=customer.email,
        template_key="leads.enquiry_received",
        context={"first_name": "Lena", "lead_type": "Enquiry", "location": "Leipzig"},
        dedupe_key=key,
        location=customer.location,
        customer_id=customer.pk,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=at)
    return message


def test_thread_shows_messages_and_system_messages_oldest_first(
    consultant_client, consultant, customer
):
    system_message(customer, at=T0 + datetime.timedelta(minutes=5))
    MessageFactory(customer=customer, body="First question", created_at=T0)
    MessageFactory(
        customer=customer,
        direction=Message.Direction.OUT,
        author=consultant,
        body="My answer",
        created_at=T0 + datetime.timedelta(minutes=10),
    )

    response = consultant_client.get(f"/staff/conversations/{customer.pk}/")

    assert response.status_code == 200
    entries = response.context["entries"]
    assert [e.direction for e in entries] == ["in", "system", "out"]
    assert [e.sender for e in entries] == [
        "Lena Hoffmann",
        "System",
        consultant.get_full_name() or consultant.username,
    ]
    assert entries[1].delivery == "queued"
    html = response.content.decode()
    assert html.index("First question") < html.index("My answer")
    # 09:00 UTC is 10:00 in Berlin, shown with the zone
    assert '<time datetime="2026-03-10T10:00:00+01:00">10 Mar 2026, 10:00 CET</time>' in html
    assert 'data-direction="system"' in html


def test_delivery_states_follow_the_outbox(consultant_client, customer):
    for n, status in enumerate(["sent", "delivered", "failed"]):
        outbox = system_message(customer, key=f"k{n}", at=T0 + datetime.timedelta(minutes=n))
        OutboxMessage.objects.filter(pk=outbox.pk).update(status=status)

    response = consultant_client.get(f"/staff/conversations/{customer.pk}/")

    assert [e.delivery for e in response.context["entries"]] == ["sent", "delivered", "failed"]


def test_a_consultants_outbox_row_is_not_shown_twice(consultant_client, consultant, customer):
    outbox = system_message(customer, key="conv:x")
    MessageFactory(
        customer=customer,
        direction=Message.Direction.OUT,
        author=consultant,
        outbox_message=outbox,
        body="Reply",
    )

    response = consultant_client.get(f"/staff/conversations/{customer.pk}/")

    assert [e.direction for e in response.context["entries"]] == ["out"]


def test_bodies_are_escaped(consultant_client, customer):
    MessageFactory(customer=customer, body="<script>alert(1)</script>")

    for url in (
        f"/staff/conversations/{customer.pk}/",
        f"/staff/conversations/{customer.pk}/fragment/",
    ):
        html = consultant_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_another_locations_thread_is_404(consultant_client):
    foreign = CustomerFactory(location=LocationFactory(name="Lisbon"))
    MessageFactory(customer=foreign)

    assert consultant_client.get(f"/staff/conversations/{foreign.pk}/").status_code == 404
    assert consultant_client.get(f"/staff/conversations/{foreign.pk}/fragment/").status_code == 404
    response = consultant_client.post(
        f"/staff/conversations/{foreign.pk}/send/", {"channel": "sms", "body": "Hi"}
    )
    assert response.status_code == 404
    assert Message.objects.filter(direction="out").count() == 0


def test_anonymous_visitors_go_to_the_login(client, customer):
    response = client.get(f"/staff/conversations/{customer.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/login/")


def test_lead_and_customer_pages_load_the_thread_fragment(consultant_client, customer):
    lead = LeadFactory(customer=customer)
    fragment = f'hx-get="/staff/conversations/{customer.pk}/fragment/" hx-trigger="load"'
    link = f'href="/staff/conversations/{customer.pk}/"'

    for url in (f"/staff/leads/{lead.pk}/", f"/staff/customers/{customer.pk}/"):
        html = consultant_client.get(url).content.decode()
        assert fragment in html
        assert link in html


def test_the_thread_posts_read_when_shown_and_a_get_changes_nothing(consultant_client, customer):
    message = MessageFactory(customer=customer)

    html = consultant_client.get(f"/staff/conversations/{customer.pk}/fragment/").content.decode()
    message.refresh_from_db()
    assert message.read_at is None
    assert f'hx-post="/staff/conversations/{customer.pk}/read/" hx-trigger="load"' in html

    response = consultant_client.post(
        f"/staff/conversations/{customer.pk}/read/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.read_at is not None
    html = consultant_client.get(f"/staff/conversations/{customer.pk}/").content.decode()
    assert "Mark as read" not in html


def test_marking_another_locations_thread_read_is_404(consultant_client):
    foreign = CustomerFactory(location=LocationFactory(name="Faro"))
    message = MessageFactory(customer=foreign)

    assert consultant_client.post(f"/staff/conversations/{foreign.pk}/read/").status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


@pytest.mark.parametrize("path", ["", "fragment/"])
def test_a_500_message_thread_takes_a_fixed_number_of_queries(
    consultant_client, consultant, customer, django_assert_num_queries, path
):
    Message.objects.bulk_create(
        Message(
            customer=customer,
            location=customer.location,
            direction=Message.Direction.IN if n % 2 else Message.Direction.OUT,
            author=None if n % 2 else consultant,
            channel=Message.Channel.SMS,
            body=f"Message {n}",
            created_at=T0 + datetime.timedelta(minutes=n),
        )
        for n in range(480)
    )
    for n in range(20):
        system_message(customer, key=f"sys{n}", at=T0 + datetime.timedelta(hours=n))
    ReplyTemplateFactory()
    url = f"/staff/conversations/{customer.pk}/{path}"
    consultant_client.get(url)  # the reply templates are cached from then on

    # session, user, the user's roles, the customer, the thread (with the suppressions),
    # the session's save, and four savepoints (ATOMIC_REQUESTS inside the test's transaction)
    with django_assert_num_queries(10):
        response = consultant_client.get(url)

    assert response.status_code == 200
    assert len(response.context["entries"]) == 500


def test_administrators_open_any_locations_thread(client):
    from dealership.accounts.roles import Role

    admin = UserFactory(role=Role.ADMINISTRATOR)
    client.force_login(admin)
    foreign = CustomerFactory(location=LocationFactory(name="Porto"))

    assert client.get(f"/staff/conversations/{foreign.pk}/").status_code == 200
    assert timezone.now()  # aware clock in use


def _entry(**fields):
    from conversations.selectors import ThreadEntry

    values = {
        "at": T0,
        "direction": "in",
        "channel": "sms",
        "channel_label": "SMS",
        "body": "Hallo",
        "subject": "",
        "sender": "Lena",
        "delivery": "",
        "delivery_label": "",
        "sort_key": (T0, 0, 1),
    }
    return ThreadEntry(**(values | fields))


def test_the_entries_are_rendered_in_the_active_language_and_zone(location):
    from django.utils import translation

    from conversations.templatetags.conversations_tags import thread_entries

    entries = [
        _entry(body='Line one\r\nline "two" & <b>three</b>'),
        _entry(
            direction="out",
            at=T0 + datetime.timedelta(days=120, minutes=7),  # summer time
            subject="Ihr <Angebot>",
            delivery="failed",
            delivery_label="Suppressed",
        ),
        _entry(direction="system", delivery="delivered", delivery_label="Delivered"),
    ]
    with translation.override("de"):
        html = str(thread_entries(entries, location))
        failed, system = translation.gettext("Failed"), translation.gettext("System")

    assert '<time datetime="2026-03-10T10:00:00+01:00">10.03.2026 10:00 CET</time>' in html
    assert '<time datetime="2026-07-08T11:07:00+02:00">08.07.2026 11:07 CEST</time>' in html
    assert "Line one<br>line &quot;two&quot; &amp; &lt;b&gt;three&lt;/b&gt;" in html
    assert '<div class="fw-semibold">Ihr &lt;Angebot&gt;</div>' in html
    # The labels in German (from the catalogue, compiled by `make test`), the reason as given.
    assert f'title="Suppressed">{failed} (Suppressed)</span>' in html
    assert f'<span class="badge text-bg-secondary">{system}</span>' in html
    assert html.count('<li class="card mb-2 ms-5 border-primary" data-direction="out">') == 1
    assert 'class="card mb-2 ms-5 border-secondary bg-light" data-direction="system"' in html
    assert 'class="card mb-2 me-5" data-direction="in"' in html
    assert "text-bg-success" in html
