"""Emails to staff are written in the recipient's own language (User.language): the complaint
escalation and the lead escalation, German for a German manager, English without a choice."""

import datetime

import pytest
import time_machine

from aftersales.models import Complaint
from aftersales.services import complaint_create, complaints_escalate_overdue
from dealership.accounts.language import user_language
from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Lead, ResponseTarget
from leads.services import lead_create, leads_escalate_overdue
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def _at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "language"), [("de", "de"), ("zh-hans", "zh-hans"), ("", ""), ("xx", "")]
)
def test_a_staff_members_language_is_their_stored_one_or_the_default(stored, language):
    assert user_language(UserFactory.build(language=stored)) == language


def _overdue_complaint(location):
    with time_machine.travel(_at(2025, 3, 3, 9), tick=False):
        complaint = complaint_create(
            customer=CustomerFactory(location=location),
            location=location,
            channel=Complaint.Channel.PHONE,
            category=Complaint.Category.SERVICE,
            severity="high",
            subject="Kratzer nach dem Service",
            description="Die Tür ist zerkratzt.",
        )
    with time_machine.travel(_at(2025, 3, 5, 9), tick=False):
        assert complaints_escalate_overdue() == 1
    return complaint


def test_the_complaint_escalation_reaches_a_german_manager_in_german():
    location = LocationFactory(time_zone="Europe/Berlin")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[location], language="de")
    complaint = _overdue_complaint(location)

    message = OutboxMessage.objects.get(template_key="aftersales.complaint_escalation")
    assert message.to == manager.email
    assert message.language == "de"
    assert message.subject == f"Überfällige Reklamation Nr. {complaint.pk} in {location.name}"
    assert (
        f"Reklamation Nr. {complaint.pk} („Kratzer nach dem Service“, Schweregrad Hoch) "
        "sollte bis 05.03.2025 10:00 CET gelöst sein und ist noch offen."
    ) in message.body


def test_the_complaint_escalation_stays_english_for_a_manager_without_a_language():
    location = LocationFactory(time_zone="Europe/Berlin")
    UserFactory(role=Role.SALES_MANAGER, locations=[location], language="")
    complaint = _overdue_complaint(location)

    message = OutboxMessage.objects.get(template_key="aftersales.complaint_escalation")
    assert message.language == ""
    assert message.subject == f"Overdue complaint #{complaint.pk} at {location.name}"
    assert "severity High" in message.body


def test_the_lead_escalation_reaches_a_german_manager_in_german():
    location = LocationFactory(time_zone="Europe/Berlin")
    ResponseTarget.objects.create(
        location=location, first_response_minutes=15, reassign_after_minutes=30
    )
    UserFactory(role=Role.CONSULTANT, locations=[location])
    manager = UserFactory(
        role=Role.SALES_MANAGER,
        locations=[location],
        language="de",
        first_name="Maren",
        last_name="Vogt",
        email="maren@showroom.example",
    )
    customer = CustomerFactory(location=location, language="en")
    with time_machine.travel(_at(2026, 6, 10, 8, 0), tick=False):
        lead = lead_create(
            customer=customer,
            source=Lead.Source.WEBSITE,
            type=Lead.Type.VEHICLE_ENQUIRY,
            location=location,
        )
    with time_machine.travel(_at(2026, 6, 10, 8, 16), tick=False):
        leads_escalate_overdue()

    message = OutboxMessage.objects.get(template_key="leads.escalation")
    assert message.to == manager.email
    assert message.language == "de"
    assert message.subject == f"Noch keine Erstreaktion: {customer.full_name}"
    assert message.body.startswith("Hallo Maren Vogt,")
    assert f"die Fahrzeuganfrage von {customer.full_name} in {location.name}" in message.body
    # The link to the staff page is under the German prefix.
    assert f"/de/staff/leads/{lead.pk}/" in message.body
