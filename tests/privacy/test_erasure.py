import pytest
from django.core.files.storage import default_storage

from dealership.accounts.models import AuditEvent
from dealership.messaging.addresses import address_hash
from dealership.messaging.models import (
    Channel,
    Consent,
    InboundSms,
    OutboxMessage,
    Purpose,
    Suppression,
)
from dealership.messaging.selectors import consent_state
from dealership.messaging.services import message_enqueue, suppression_lift
from dealership.privacy.models import Erasure
from dealership.privacy.registry import ERASED
from dealership.privacy.services import customer_erase
from inventory.models import SavedSearch
from leads.models import Activity, Customer, CustomerMerge, Lead, Task, TradeInPhoto
from tests.leads.factories import ActivityFactory, CustomerFactory, LeadFactory, TaskFactory
from tests.messaging.factories import ConsentFactory, OutboxMessageFactory
from tests.privacy.factories import (
    AdfDocumentFactory,
    InboundSmsFactory,
    SavedSearchFactory,
    SuppressionFactory,
    TradeInPhotoFactory,
)

pytestmark = pytest.mark.django_db

EMAIL = "lena.hoffmann@example.de"
PHONE = "+4915123456789"


@pytest.fixture
def lena(location):
    customer = CustomerFactory(
        location=location,
        first_name="Lena",
        last_name="Hoffmann",
        email=EMAIL,
        mobile_phone=PHONE,
        street="Gartenstraße 3",
        postal_code="04107",
        city="Leipzig",
        notes="Prefers evenings",
        tags=["golf"],
    )
    lead = LeadFactory(
        customer=customer,
        message="My number is 0151 23456789",
        tradein_vin="WVWZZZ1JZXW000001",
        adf_document=AdfDocumentFactory(),
        status=Lead.Status.LOST,
    )
    TradeInPhotoFactory(lead=lead)
    ActivityFactory(customer=customer, lead=lead, body="Lena wants a blue one")
    TaskFactory(customer=customer, lead=lead, title="Call Lena back")
    ConsentFactory(address=EMAIL, customer_id=customer.pk)
    SuppressionFactory(channel=Channel.EMAIL, address=EMAIL)
    InboundSmsFactory(sender=PHONE)
    SavedSearchFactory(email=EMAIL)
    OutboxMessageFactory(to=EMAIL, customer_id=customer.pk, dedupe_key="lead:1:confirmation")
    OutboxMessageFactory(
        to=EMAIL,
        customer_id=customer.pk,
        dedupe_key="lead:1:cadence",
        status=OutboxMessage.Status.SENT,
        body="Hello Lena",
    )
    return customer


def test_erasure_removes_personal_data_and_keeps_what_must_stay(
    lena, manager, django_capture_on_commit_callbacks
):
    # Given a customer with leads, notes, messages, consents and an opt-out
    lead = lena.leads.get()
    photo_name = TradeInPhoto.objects.get().image.name
    assert default_storage.exists(photo_name)

    # When a manager erases them
    with django_capture_on_commit_callbacks(execute=True):
        erasure = customer_erase(customer=lena, by=manager, reason="Customer's email of 3 May")

    # Then the customer row stays, emptied
    lena.refresh_from_db()
    assert (lena.first_name, lena.last_name, lena.email, lena.mobile_phone) == ("", "", "", "")
    assert (lena.street, lena.postal_code, lena.city, lena.notes) == ("", "", "", "")
    assert lena.tags == []
    assert lena.do_not_contact is True
    assert str(lena) == f"#{lena.pk}"
    # leads are kept for the statistics, without what the customer wrote
    lead.refresh_from_db()
    assert (lead.message, lead.tradein_vin, lead.status) == ("", "", Lead.Status.LOST)
    assert bytes(lead.adf_document.raw) == b""
    assert Activity.objects.get().body == ""
    assert Task.objects.get().title == ERASED
    # photos, consents, inbound SMS and saved searches are gone, files included
    assert TradeInPhoto.objects.count() == 0
    assert not default_storage.exists(photo_name)
    assert Consent.objects.count() == 0
    assert InboundSms.objects.count() == 0
    assert SavedSearch.objects.count() == 0
    # the queued message is cancelled; every message is emptied but kept with its dedupe key
    pending = OutboxMessage.objects.get(dedupe_key="lead:1:confirmation")
    sent = OutboxMessage.objects.get(dedupe_key="lead:1:cadence")
    assert (pending.status, pending.cancelled_reason) == (OutboxMessage.Status.CANCELLED, "erasure")
    assert sent.status == OutboxMessage.Status.SENT
    assert (sent.to, sent.body, sent.context) == (ERASED, ERASED, {})
    # the opt-out is kept as a hash only
    assert list(Suppression.objects.values_list("channel", "address")) == [
        ("email", address_hash("email", EMAIL))
    ]
    assert not Suppression.objects.filter(address__icontains="lena").exists()
    # the erasure is logged, in the privacy log and the audit trail
    assert erasure.erased_by == manager
    assert erasure.counts["leads.Lead"] == 1
    assert erasure.counts["messaging.OutboxMessage"] == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert (event.actor, event.target_id, event.target_repr) == (
        manager,
        str(lena.pk),
        f"#{lena.pk}",
    )
    assert event.changes["reason"] == "Customer's email of 3 May"


def test_the_outbox_still_refuses_an_erased_address_that_comes_back(lena, manager, location):
    customer_erase(customer=lena, by=manager, reason="Request")

    # When the address turns up again (a new enquiry, in another spelling)
    message = message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to="Lena.Hoffmann@Example.de",
        template_key="leads.enquiry_received",
        context={
            "first_name": "Lena",
            "name": "Lena",
            "lead_type": "",
            "vehicle": "",
            "stock_number": "",
            "location": "",
            "location_phone": "",
            "location_email": "",
            "consultant": "",
        },
        dedupe_key="lead:99:confirmation",
        location=location,
    )

    # Then it is suppressed, and the preference page says so
    assert message.status == OutboxMessage.Status.SUPPRESSED
    assert consent_state(channel=Channel.EMAIL, address=EMAIL).suppressed is True
    # and the customer's own opt-in (START / preference page) still lifts it
    assert suppression_lift(channel=Channel.EMAIL, address=EMAIL) is True
    assert Suppression.objects.count() == 0


def test_erasure_is_idempotent(lena, manager):
    first = customer_erase(customer=lena, by=manager, reason="Request")

    second = customer_erase(customer=lena, by=manager, reason="Again")

    assert second.pk == first.pk
    assert Erasure.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).count() == 1
    assert Suppression.objects.count() == 1


def test_erasure_covers_merged_customers_and_spares_everyone_else(lena, manager, location):
    # Given a duplicate merged into Lena, and another customer
    duplicate = CustomerFactory(location=location, email="lena@old.example", merged_into=lena)
    CustomerMerge.objects.create(
        kept=lena, merged=duplicate, merged_snapshot={"email": "lena@old.example"}
    )
    ConsentFactory(address="lena@old.example")
    other = CustomerFactory(location=location, first_name="Jonas", email="jonas@example.de")
    ActivityFactory(customer=other, body="Jonas called")
    SuppressionFactory(channel=Channel.EMAIL, address="jonas@example.de")

    customer_erase(customer=lena, by=manager, reason="Request")

    duplicate.refresh_from_db()
    assert (duplicate.email, duplicate.first_name) == ("", "")
    assert CustomerMerge.objects.get().merged_snapshot == {}
    assert not Consent.objects.exists()
    other.refresh_from_db()
    assert (other.first_name, other.email) == ("Jonas", "jonas@example.de")
    assert Activity.objects.get(customer=other).body == "Jonas called"
    assert Suppression.objects.filter(address="jonas@example.de").count() == 1


def test_audit_events_about_the_customer_lose_the_old_values(lena, manager):
    from dealership.accounts.services import audit_record

    audit_record(actor=manager, action="update", obj=lena, changes={"email": ["a@x.de", EMAIL]})

    customer_erase(customer=lena, by=manager, reason="Request")

    update = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert (update.actor, update.target_repr, update.changes) == (manager, ERASED, {})


def test_a_customer_can_only_be_erased_once_even_by_the_retention_job(lena, manager):
    customer_erase(customer=lena, by=manager, reason="Request")

    again = customer_erase(
        customer=Customer(pk=lena.pk), by=None, reason="Retention", trigger="retention"
    )

    assert again.trigger == Erasure.Trigger.REQUEST
