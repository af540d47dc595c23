import datetime
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache

from aftersales.models import Complaint, RecallCampaign, RecallVehicle
from aftersales.services import (
    complaint_create,
    complaint_transition,
    complaints_escalate_overdue,
    recall_campaign_import,
    recall_parse_vins,
)
from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Task
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory

from .factories import owned_vehicle, vin

pytestmark = pytest.mark.django_db
UTC = zoneinfo.ZoneInfo("UTC")


def test_parse_reports_invalid_vins_by_line():
    text = f"vin\n{vin(1)}\nWVWZZZ1KZ8\n{vin(2)}\n1HGCM82633A00435X\n{vin(1)}\nWVWZZZ1KZ8WI00001\n"
    parsed = recall_parse_vins(text)
    assert parsed.vins == [vin(1), vin(2)]
    assert parsed.duplicates == 1
    assert parsed.errors == [
        (3, "WVWZZZ1KZ8", "A VIN has 17 characters; this one has 10."),
        (
            5,
            "1HGCM82633A00435X",
            "The check digit (character 9) of the VIN is “3” but should be “2”: a character is probably mistyped.",
        ),
        (7, "WVWZZZ1KZ8WI00001", "Character 12 of the VIN is “I”: I, O and Q are never used."),
    ]


# Midday in Berlin: the SMS is not held back by quiet hours, whatever time the suite runs.
@time_machine.travel(datetime.datetime(2025, 12, 16, 11, 0, tzinfo=datetime.UTC), tick=False)
def test_import_previews_then_imports_the_valid_rest_only_on_confirmation(client, manager):
    ov = owned_vehicle(CustomerFactory(location=manager.locations.first()))
    client.force_login(manager)
    form = {
        "code": "24V-123",
        "title": "Airbag inflator",
        "description": "The inflator may rupture.",
        "remedy": "Replace the inflator.",
        "vins": f"{ov.vin}\nNOT-A-VIN\n{vin(999)}\n",
    }
    preview = client.post("/staff/service/recalls/import/", form)
    assert preview.status_code == 200
    assert "Line 2 (“NOT-A-VIN”)" in preview.content.decode()
    assert RecallCampaign.objects.count() == 0
    assert OutboxMessage.objects.count() == 0

    response = client.post("/staff/service/recalls/import/", {**form, "confirm": "True"})
    assert response.status_code == 302
    campaign = RecallCampaign.objects.get()
    assert sorted(RecallVehicle.objects.values_list("vin", "owned_vehicle_id")) == sorted(
        [(ov.vin, ov.pk), (vin(999), None)]
    )
    # Transactional: sent without marketing consent.
    assert sorted(OutboxMessage.objects.values_list("dedupe_key", "status")) == [
        (f"aftersales:recall:{campaign.pk}:{ov.pk}:email", "queued"),
        (f"aftersales:recall:{campaign.pk}:{ov.pk}:sms", "queued"),
    ]


def test_consultants_may_not_import_recalls(client, consultant):
    client.force_login(consultant)
    assert client.get("/staff/service/recalls/import/").status_code == 403


def test_import_of_a_repeated_code_is_refused(manager):
    recall_campaign_import(
        code="X1", title="t", description="d", remedy="r", vins=[vin(5)], by=manager
    )
    with pytest.raises(Exception, match="exists already"):
        recall_campaign_import(
            code="X1", title="t", description="d", remedy="r", vins=[vin(6)], by=manager
        )
    assert RecallVehicle.objects.count() == 1


def _complaint(location, severity="high"):
    return complaint_create(
        customer=CustomerFactory(location=location),
        location=location,
        channel=Complaint.Channel.PHONE,
        category=Complaint.Category.SERVICE,
        severity=severity,
        subject="Scratch after service",
        description="The door was scratched.",
    )


def test_complaint_escalates_to_the_manager_after_its_target_once(location, manager):
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, tzinfo=UTC), tick=False):
        complaint = _complaint(location)
    assert complaint.target_at == datetime.datetime(2025, 3, 5, 9, tzinfo=UTC)
    with time_machine.travel(datetime.datetime(2025, 3, 5, 8, 59, tzinfo=UTC), tick=False):
        assert complaints_escalate_overdue() == 0
    assert Task.objects.count() == 0
    with time_machine.travel(datetime.datetime(2025, 3, 5, 9, tzinfo=UTC), tick=False):
        assert complaints_escalate_overdue() == 1
        assert complaints_escalate_overdue() == 0
    task = Task.objects.get()
    assert (task.owner, task.kind, task.title) == (
        manager,
        Task.Kind.ESCALATION,
        f"Overdue complaint #{complaint.pk}: Scratch after service",
    )
    assert OutboxMessage.objects.filter(template_key="aftersales.complaint_escalation").count() == 1


def test_resolved_complaints_do_not_escalate(location, manager):
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, tzinfo=UTC), tick=False):
        complaint = _complaint(location)
        complaint_transition(
            complaint=complaint, to_status="resolved", note="Repainted.", by=manager
        )
    with time_machine.travel(datetime.datetime(2025, 3, 9, 9, tzinfo=UTC), tick=False):
        assert complaints_escalate_overdue() == 0


def test_status_moves_notify_the_customer_and_illegal_moves_are_refused(location, manager):
    complaint = _complaint(location)
    complaint_transition(
        complaint=complaint, to_status="in_progress", note="Looking into it.", by=manager
    )
    with pytest.raises(Exception, match="cannot go from “In progress” to “Closed”"):
        complaint_transition(complaint=complaint, to_status="closed", note="", by=manager)
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    assert OutboxMessage.objects.filter(template_key="aftersales.complaint_update").count() == 2


def test_public_complaint_form(client, location):
    UserFactory(role=Role.SERVICE_ADVISOR, locations=[location])
    data = {
        "location": location.pk,
        "first_name": "Eva",
        "last_name": "Klein",
        "email": "eva@example.de",
        "category": "service",
        "subject": "Long wait",
        "description": "I waited three hours.",
    }
    assert client.post("/service/complaints/new/", {**data, "subject": ""}).status_code == 400
    assert Complaint.objects.count() == 0
    assert client.post("/service/complaints/new/", {**data, "website": "spam"}).status_code == 302
    assert Complaint.objects.count() == 0
    assert client.post("/service/complaints/new/", data).status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.customer.email, complaint.severity, complaint.handler.groups.get().name) == (
        "eva@example.de",
        "medium",
        "Service advisor",
    )


def test_public_complaint_form_is_rate_limited(client, location, settings):
    cache.clear()
    settings.AFTERSALES_FORM_RATE_LIMIT = 1
    data = {
        "location": location.pk,
        "first_name": "E",
        "last_name": "K",
        "email": "e@example.de",
        "category": "other",
        "subject": "s",
        "description": "d",
    }
    client.post("/service/complaints/new/", data)
    response = client.post("/service/complaints/new/", data)
    assert response.status_code == 429
    assert Complaint.objects.count() == 1


def test_staff_move_a_complaint_and_hand_it_over(client, location, manager):
    colleague = UserFactory(
        role=Role.SERVICE_ADVISOR, locations=[location], first_name="Jan", last_name="Vogel"
    )
    outsider = UserFactory(role=Role.SERVICE_ADVISOR)
    complaint = _complaint(location)
    client.force_login(manager)
    url = f"/staff/service/complaints/{complaint.pk}/"
    refused = client.post(url, {"action": "assign", "handler": outsider.pk})
    assert refused.status_code == 400
    assert client.post(url, {"action": "assign", "handler": colleague.pk}).status_code == 302
    bad = client.post(url, {"to_status": "resolved", "note": ""})
    assert "Say how the complaint was resolved." in bad.content.decode()
    assert (
        client.post(
            url,
            {"to_status": "in_progress", "note": "Calling the customer.", "notify_customer": "on"},
        ).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert (complaint.handler, complaint.status) == (colleague, "in_progress")
    assert list(complaint.notes.values_list("to_status", "note")) == [
        ("new", ""),
        ("new", "Assigned to Jan Vogel."),
        ("in_progress", "Calling the customer."),
    ]
