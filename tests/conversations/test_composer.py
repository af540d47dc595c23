"""The composer: SMS or email, only where the customer can receive it, through the outbox
(one row, dedupe key conv:<id>, sent after commit); templates filled in; the first reply
stops the lead's response clock as a logged call does."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import Message
from dealership.messaging.models import Channel, OutboxMessage, Suppression
from dealership.messaging.services import sms_inbound_handle, suppression_add
from leads.models import Activity, Lead
from tests.conversations.factories import ReplyTemplateFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(location):
    return CustomerFactory(
        location=location, first_name="Lena", email="lena@example.de", mobile_phone="+4915123456789"
    )


def send(client, customer, **data):
    return client.post(f"/staff/conversations/{customer.pk}/send/", data)


def test_an_sms_reply_goes_through_the_outbox_after_commit(
    consultant_client, consultant, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(consultant_client, customer, channel="sms", body="The car is ready.")

    assert response.status_code == 302
    assert response["Location"] == f"/staff/conversations/{customer.pk}/"
    message = Message.objects.get()
    assert (message.direction, message.channel, message.author) == ("out", "sms", consultant)
    outbox = OutboxMessage.objects.get()
    assert message.outbox_message == outbox
    assert outbox.dedupe_key == f"conv:{message.pk}"
    assert (outbox.to, outbox.customer_id, outbox.channel) == (
        customer.mobile_phone,
        customer.pk,
        "sms",
    )
    assert outbox.body == "The car is ready.\n"
    assert len(callbacks) >= 1  # the send waited for the commit
    outbox.refresh_from_db()
    # sent by the eager task on commit, or held back by quiet hours
    assert outbox.status in (OutboxMessage.Status.SENT, OutboxMessage.Status.SCHEDULED)


def test_an_email_reply_needs_a_subject_and_carries_it(consultant_client, customer):
    refused = send(consultant_client, customer, channel="email", body="Hello")
    assert refused.status_code == 400
    assert "An email needs a subject." in refused.content.decode()
    assert not Message.objects.exists()

    response = send(consultant_client, customer, channel="email", subject="Your Golf", body="Hi")

    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    assert (outbox.channel, outbox.to, outbox.subject) == ("email", "lena@example.de", "Your Golf")


def test_sms_is_refused_for_a_customer_who_texted_stop(consultant_client, customer):
    sms_inbound_handle(provider_id="p-1", sender=customer.mobile_phone, body="STOP")
    before = OutboxMessage.objects.count()  # the STOP confirmation

    page = consultant_client.get(f"/staff/conversations/{customer.pk}/").content.decode()
    assert "This customer texted STOP." in page
    assert 'value="sms" id="channel-' in page
    sms_input = page.split('value="sms"', 1)[1].split(">", 1)[0]
    assert "disabled" in sms_input

    response = send(consultant_client, customer, channel="sms", body="Are you still there?")

    assert response.status_code == 400
    assert "This customer texted STOP." in response.content.decode()
    assert not Message.objects.exists()
    assert OutboxMessage.objects.count() == before


def test_email_unavailable_after_unsubscribing_sms_still_fine(consultant_client, customer):
    suppression_add(
        channel=Channel.EMAIL, address=customer.email, reason=Suppression.Reason.UNSUBSCRIBED
    )

    response = send(consultant_client, customer, channel="email", subject="Hi", body="Hi")

    assert response.status_code == 400
    assert "unsubscribed from all emails" in response.content.decode()
    assert send(consultant_client, customer, channel="sms", body="Hi").status_code == 302


def test_no_mobile_number_means_no_sms(consultant_client, location):
    customer = CustomerFactory(location=location, mobile_phone="")

    page = consultant_client.get(f"/staff/conversations/{customer.pk}/").content.decode()

    assert "No mobile number on file." in page
    assert send(consultant_client, customer, channel="sms", body="Hi").status_code == 400


def test_an_sms_over_ten_segments_is_refused(consultant_client, customer):
    body = "x" * (153 * 10 + 1)  # 11 GSM segments

    response = send(consultant_client, customer, channel="sms", body=body)

    assert response.status_code == 400
    assert "This SMS would take 11 segments; at most 10 are allowed." in response.content.decode()
    assert not Message.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_ten_segments_are_allowed(consultant_client, customer):
    assert send(consultant_client, customer, channel="sms", body="x" * 1530).status_code == 302


def test_an_empty_message_is_refused(consultant_client, customer):
    response = send(consultant_client, customer, channel="sms", body="   ")

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_a_template_is_filled_in_server_side(consultant_client, consultant, customer):
    LeadFactory(
        customer=customer, make="Volkswagen", model="Golf", year=2022, price=Decimal("23990.00")
    )
    template = ReplyTemplateFactory(
        body="Hi {customer_first_name}, the {vehicle} at {price} is here. {consultant} {unknown}"
    )

    response = consultant_client.get(
        f"/staff/conversations/{customer.pk}/fragment/", {"template": template.pk}
    )

    form = response.context["form"]
    name = consultant.get_full_name() or consultant.username
    assert (
        form.initial["body"]
        == f"Hi Lena, the 2022 Volkswagen Golf at 23,990.00 is here. {name} {{unknown}}"
    )
    assert form.initial["channel"] == "sms"


def test_a_template_body_is_escaped_in_the_composer(consultant_client, customer):
    template = ReplyTemplateFactory(body="<b>{customer_first_name}</b>")

    html = consultant_client.get(
        f"/staff/conversations/{customer.pk}/", {"template": template.pk}
    ).content.decode()

    assert "&lt;b&gt;Lena&lt;/b&gt;" in html


def test_the_first_reply_stops_the_response_clock_as_a_logged_call_does(
    consultant_client, consultant, customer
):
    lead = LeadFactory(
        customer=customer,
        assigned_to=consultant,
        response_due_at=timezone.now() + datetime.timedelta(hours=1),
    )

    send(consultant_client, customer, channel="sms", body="Thanks for your enquiry!")

    lead.refresh_from_db()
    assert lead.first_response_at is not None
    assert lead.status == Lead.Status.CONTACTED
    assert lead.cadence_paused_at is None  # it had no cadence running
    activity = Activity.objects.get(lead=lead)
    assert (activity.kind, activity.direction, activity.user) == ("sms", "outbound", consultant)
    first = lead.first_response_at

    send(consultant_client, customer, channel="sms", body="A second message")

    lead.refresh_from_db()
    assert lead.first_response_at == first
    assert Activity.objects.filter(lead=lead).count() == 1
    assert Message.objects.filter(direction="out").count() == 2


def test_sent_from_the_lead_page_it_returns_there_and_never_to_another_site(
    consultant_client, customer
):
    lead = LeadFactory(customer=customer)
    fragment = consultant_client.get(
        f"/staff/conversations/{customer.pk}/fragment/",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver/staff/leads/{lead.pk}/",
        },
    )
    assert (
        f'name="next" value="http://testserver/staff/leads/{lead.pk}/"' in fragment.content.decode()
    )

    back = send(
        consultant_client,
        customer,
        channel="sms",
        body="Hi",
        next=f"http://testserver/staff/leads/{lead.pk}/",
    )
    elsewhere = send(
        consultant_client, customer, channel="sms", body="Hi again", next="https://evil.example/"
    )

    assert back["Location"] == f"http://testserver/staff/leads/{lead.pk}/"
    assert elsewhere["Location"] == f"/staff/conversations/{customer.pk}/"


def test_the_reply_template_admin_refreshes_the_composers_cache(admin_client, location):
    from conversations.selectors import reply_templates

    assert reply_templates() == []
    response = admin_client.post(
        "/admin/conversations/replytemplate/add/",
        {"name": "Price", "channel": "sms", "body": "The price is {price}.", "is_active": "on"},
    )

    assert response.status_code == 302
    assert [t.name for t in reply_templates()] == ["Price"]


def test_the_first_reply_pauses_a_running_cadence_with_its_reason(
    consultant_client, consultant, customer
):
    from leads.models import CadenceEvent

    lead = LeadFactory(
        customer=customer,
        assigned_to=consultant,
        response_due_at=timezone.now() + datetime.timedelta(hours=1),
        cadence_next_at=timezone.now() + datetime.timedelta(hours=4),
    )

    send(consultant_client, customer, channel="sms", body="Thanks for your enquiry!")

    lead.refresh_from_db()
    assert lead.cadence_paused_at is not None
    event = CadenceEvent.objects.get(lead=lead)
    assert (event.action, event.reason, event.by) == (
        "paused",
        "The consultant replied.",
        consultant,
    )
