"""Every registered ModelAdmin's changelist runs a fixed number of queries: loading it with
three rows and with six costs the same (no N+1 from list columns)."""

import datetime
import hashlib
import itertools

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales.models import Complaint, RecallCampaign, ServiceAppointment, ServiceReminder
from campaigns.models import Campaign, Recipient, Segment
from dealership.accounts.roles import Role
from dealership.messaging.models import InboundSms, MessageTemplate, Suppression
from dealership.ops.models import JobHeartbeat
from inventory.models import Feed, PriceChange, SavedSearch, VehicleTransfer
from leads.models import (
    AdfDocument,
    AssignmentRule,
    ConsultantAvailability,
    CustomerMerge,
    Lead,
    LeadAssignment,
    LeadStatusChange,
    ProviderApiKey,
    ResponseTarget,
)
from orders.models import Payment, PaymentEvent
from scoring.models import ScoreRule, ScoringRun
from surveys.models import Survey
from surveys.services import survey_create_standard
from tests.accounts.factories import LocationFactory, UserFactory
from tests.aftersales.factories import (
    MaintenancePlanFactory,
    ServiceItemFactory,
    WorkshopCapacityFactory,
    owned_vehicle,
)
from tests.conversations.factories import ReplyTemplateFactory
from tests.inventory.factories import FeatureFactory, VehicleFactory
from tests.knowledge.factories import ArticleFactory
from tests.leads.factories import (
    ActivityFactory,
    CadenceStepFactory,
    CustomerFactory,
    LeadFactory,
    TaskFactory,
)
from tests.messaging.factories import ConsentFactory, OutboxMessageFactory, QuietHoursFactory
from tests.orders.factories import AddOnFactory, DeliverySlotFactory, make_order
from tests.surveys.factories import InvitationFactory
from tests.testdrives.factories import BookingFactory, TestDriveSettingsFactory

counter = itertools.count(1)


def staff():
    return UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])


def _n() -> int:
    return next(counter)


def _axes(label: str, **extra):
    def build():
        return apps.get_model(label).objects.create(
            user_agent="Mozilla/5.0",
            ip_address="127.0.0.1",
            username=f"user{_n()}",
            http_accept="text/html",
            path_info="/staff/accounts/login/",
            **extra,
        )

    return build


def _survey():

    survey = survey_create_standard(name=f"Survey {_n()}", touchpoint="service")
    Survey.objects.filter(pk=survey.pk).update(is_active=False)
    return survey


def _invitation():

    return InvitationFactory(survey=_survey(), touchpoint="service")


def _order():

    return make_order(VehicleFactory())


def _payment():

    return Payment.objects.create(
        order=_order(),
        kind=Payment.Kind.DEPOSIT,
        provider="test",
        amount="500.00",
        currency="EUR",
        idempotency_key=f"pay-{_n()}",
    )


def _service_item():

    return ServiceItemFactory(plan=MaintenancePlanFactory(make=f"Make{_n()}"))


def _appointment():

    car = owned_vehicle()
    now = timezone.now()
    return ServiceAppointment.objects.create(
        owned_vehicle=car,
        customer=car.customer,
        location=car.location,
        day=now.date(),
        drop_off_at=now,
        handover=ServiceAppointment.Handover.DROP_OFF,
        booked_via=ServiceAppointment.BookedVia.STAFF,
    )


def _reminder():

    return ServiceReminder.objects.create(
        owned_vehicle=owned_vehicle(),
        item=_service_item(),
        due_on=datetime.date(2026, 1, 15),
        number=1,
        created_at=timezone.now(),
        queued_at=timezone.now(),
    )


def _complaint():

    customer = CustomerFactory()
    return Complaint.objects.create(
        customer=customer,
        location=customer.location,
        channel=Complaint.Channel.PHONE,
        category=Complaint.Category.SERVICE,
        severity=Complaint.Severity.LOW,
        subject="Scratch",
        description="A scratch after the service.",
        handler=staff(),
        target_at=timezone.now(),
        created_at=timezone.now(),
    )


def _recall():

    return RecallCampaign.objects.create(
        code=f"R{_n()}",
        title="Brake hose",
        description="Check",
        remedy="Replace",
        created_by=staff(),
    )


def _booking():

    return BookingFactory(
        start_at=timezone.now() + datetime.timedelta(days=1, minutes=_n()), consultant=staff()
    )


def _audit_event():
    from dealership.accounts.models import AuditEvent
    from dealership.accounts.services import audit_record

    lead = LeadFactory()
    event = audit_record(actor=staff(), action=AuditEvent.Action.UPDATE, obj=lead)
    return event


def _vehicle_transfer():
    vehicle = VehicleFactory()
    return VehicleTransfer.objects.create(
        vehicle=vehicle,
        from_location=vehicle.location,
        to_location=LocationFactory(),
        reason="A customer in Leipzig",
        requested_by=staff(),
    )


def _campaign():
    segment = Segment.objects.create(name=f"Segment {_n()}", location=LocationFactory())
    campaign = Campaign.objects.create(
        name=f"Campaign {_n()}",
        segment=segment,
        location=segment.location,
        channel="email",
        created_by=staff(),
    )
    Recipient.objects.create(
        campaign=campaign, customer=CustomerFactory(), channel="email", status="queued"
    )
    return campaign


# One row of each registered model, with every foreign key the list shows filled in.
ROW_BUILDERS = {
    "axes.AccessAttempt": _axes(
        "axes.AccessAttempt",
        get_data="",
        post_data="",
        failures_since_start=1,
        attempt_time=timezone.now(),
    ),
    "axes.AccessLog": _axes("axes.AccessLog", attempt_time=timezone.now()),
    "axes.AccessFailureLog": _axes("axes.AccessFailureLog", attempt_time=timezone.now()),
    "accounts.AuditEvent": _audit_event,
    "auth.Group": lambda: Group.objects.create(name=f"Group {_n()}"),
    "accounts.Location": lambda: LocationFactory(),
    "accounts.User": lambda: UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()]),
    "messaging.MessageTemplate": lambda: MessageTemplate.objects.create(
        key=f"leads.k{_n()}", channel="email", language="", subject="Hi", body="Hello"
    ),
    "messaging.OutboxMessage": lambda: OutboxMessageFactory(location=LocationFactory()),
    "messaging.Consent": lambda: ConsentFactory(location=LocationFactory()),
    "messaging.Suppression": lambda: Suppression.objects.create(
        channel="email", address=f"s{_n()}@example.de", reason=Suppression.Reason.UNSUBSCRIBED
    ),
    "messaging.InboundSms": lambda: InboundSms.objects.create(
        provider_id=f"p{_n()}", sender="+4915100000000", body="Hello"
    ),
    "messaging.QuietHours": lambda: QuietHoursFactory(location=LocationFactory()),
    "conversations.ReplyTemplate": lambda: ReplyTemplateFactory(),
    "knowledge.Article": lambda: ArticleFactory(),
    "inventory.Feature": lambda: FeatureFactory(),
    "inventory.Vehicle": lambda: VehicleFactory(),
    "inventory.PriceChange": lambda: PriceChange.objects.create(
        vehicle=VehicleFactory(), old_price=20000, new_price=19000
    ),
    "inventory.SavedSearch": lambda: SavedSearch.objects.create(
        email=f"v{_n()}@example.de", query="make=VW", last_checked_at=timezone.now()
    ),
    "inventory.VehicleTransfer": lambda: _vehicle_transfer(),
    "inventory.Feed": lambda: Feed.objects.create(
        name=f"Feed {_n()}", kind=Feed.Kind.GOOGLE_TSV, location=LocationFactory()
    ),
    "leads.Customer": lambda: CustomerFactory(owner=staff()),
    "leads.Lead": lambda: LeadFactory(assigned_to=staff()),
    "leads.AssignmentRule": lambda: AssignmentRule.objects.create(
        location=LocationFactory(), assign_to=staff()
    ),
    "leads.ResponseTarget": lambda: ResponseTarget.objects.create(location=LocationFactory()),
    "leads.CadenceStep": lambda: CadenceStepFactory(position=_n()),
    "leads.ConsultantAvailability": lambda: ConsultantAvailability.objects.create(user=staff()),
    "leads.Activity": lambda: ActivityFactory(user=staff(), lead=LeadFactory()),
    "leads.Task": lambda: TaskFactory(owner=staff(), lead=LeadFactory()),
    "leads.CustomerMerge": lambda: CustomerMerge.objects.create(
        kept=CustomerFactory(), merged=CustomerFactory(), merged_snapshot={}, merged_by=staff()
    ),
    "leads.ProviderApiKey": lambda: ProviderApiKey.objects.create(
        name="Marketplace", location=LocationFactory(), prefix=f"k{_n()}", key_hash="0" * 64
    ),
    "leads.AdfDocument": lambda: AdfDocument.objects.create(
        received_at=timezone.now(),
        channel="http",
        provider=ProviderApiKey.objects.create(
            name="Feed", location=LocationFactory(), prefix=f"d{_n()}", key_hash="0" * 64
        ),
        sha256=hashlib.sha256(str(_n()).encode()).hexdigest(),
        raw=b"<adf/>",
        status=AdfDocument.Status.IMPORTED,
    ),
    "leads.LeadStatusChange": lambda: LeadStatusChange.objects.create(
        lead=LeadFactory(),
        from_status=Lead.Status.NEW,
        to_status=Lead.Status.CONTACTED,
        changed_by=staff(),
        changed_at=timezone.now(),
    ),
    "leads.LeadAssignment": lambda: LeadAssignment.objects.create(
        lead=LeadFactory(),
        from_user=staff(),
        to_user=staff(),
        assigned_by=staff(),
        reason=LeadAssignment.Reason.MANUAL,
        assigned_at=timezone.now(),
    ),
    "ops.JobHeartbeat": lambda: JobHeartbeat.objects.create(
        name=f"job{_n()}", last_run_at=timezone.now() - datetime.timedelta(minutes=1)
    ),
    "aftersales.MaintenancePlan": lambda: _service_item().plan,
    "aftersales.OwnedVehicle": owned_vehicle,
    "aftersales.WorkshopCapacity": lambda: WorkshopCapacityFactory(location=LocationFactory()),
    "aftersales.ServiceAppointment": _appointment,
    "aftersales.ServiceReminder": _reminder,
    "aftersales.RecallCampaign": _recall,
    "aftersales.Complaint": _complaint,
    "orders.AddOn": lambda: AddOnFactory(),
    "orders.DeliverySlot": lambda: DeliverySlotFactory(location=LocationFactory()),
    "orders.Order": _order,
    "orders.Payment": _payment,
    "orders.PaymentEvent": lambda: PaymentEvent.objects.create(
        provider="test", event_id=f"evt{_n()}", kind="payment.succeeded", outcome="applied"
    ),
    "surveys.Survey": _survey,
    "surveys.Invitation": _invitation,
    "testdrives.Booking": _booking,
    "scoring.ScoreRule": lambda: ScoreRule.objects.create(
        kind=ScoreRule.Kind.SOURCE, parameters={"source": "walk_in"}, points=5, position=_n()
    ),
    "scoring.ScoringRun": lambda: ScoringRun.objects.create(name=f"run{_n()}"),
    "campaigns.Segment": lambda: Segment.objects.create(
        name=f"Segment {_n()}", location=LocationFactory(), created_by=staff()
    ),
    "campaigns.Campaign": _campaign,
    "campaigns.Recipient": lambda: Recipient.objects.create(
        campaign=_campaign(), customer=CustomerFactory(), channel="email", status="queued"
    ),
    "testdrives.TestDriveSettings": lambda: TestDriveSettingsFactory(location=LocationFactory()),
    "privacy.Erasure": lambda: apps.get_model("privacy.Erasure").objects.create(
        customer=CustomerFactory(),
        trigger="request",
        reason="Asked by email",
        erased_by=staff(),
        erased_at=timezone.now(),
    ),
}

REGISTERED = sorted(model._meta.label for model in admin.site._registry)


def test_every_registered_model_has_a_row_builder():
    # A new ModelAdmin must join the N+1 check below.
    assert sorted(ROW_BUILDERS) == REGISTERED


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, label):
    model = apps.get_model(label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    build = ROW_BUILDERS[label]
    for _ in range(3):
        build()
    admin_client.get(url)  # the session's first save
    with CaptureQueriesContext(connection) as three:
        assert admin_client.get(url).status_code == 200
    for _ in range(3):
        build()
    assert model.objects.count() >= 6
    with CaptureQueriesContext(connection) as six:
        assert admin_client.get(url).status_code == 200
    assert len(six) == len(three), "\n".join(q["sql"][:200] for q in six.captured_queries)
