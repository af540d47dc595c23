"""A customer's conversation is in their data export and goes with their erasure."""

import pytest

from conversations.models import Message
from dealership.messaging.services import sms_inbound_handle
from dealership.privacy.selectors import customer_export
from dealership.privacy.services import customer_erase
from tests.conversations.factories import MessageFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_export_and_erasure_cover_the_conversation(location, manager):
    customer = CustomerFactory(location=location, mobile_phone="+4915123456789")
    other = MessageFactory(customer=CustomerFactory(location=location), body="Someone else")
    inbound = sms_inbound_handle(provider_id="p-1", sender=customer.mobile_phone, body="Hi")
    MessageFactory(customer=customer, body="Hi", inbound_sms=inbound)

    export = customer_export(customer=customer)
    section = next(s for s in export["sections"] if s["model"] == "conversations.Message")
    assert [row["body"] for row in section["rows"]] == ["Hi"]

    customer_erase(customer=customer, by=manager, reason="Request by email")

    assert list(Message.objects.all()) == [other]
