"""Recompute from the database: each event rescores its leads on commit, the nightly pass is
idempotent and resumes after a crash, and a rule changed in admin changes the scores."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from conversations.models import Message
from dealership.accounts.roles import Role
from dealership.accounts.services import roles_sync
from inventory.models import VehicleDailyViews
from leads.models import Activity, Lead, LeadEvent
from leads.services import activity_log, lead_create, lead_event, lead_transition
from scoring.models import ScoreRule, ScoringRun
from scoring.services import leads_rescore, leads_rescore_all
from tests.accounts.factories import UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.orders.factories import FINANCE, apply_for_finance, make_order
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
K = ScoreRule.Kind
NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def _score(lead) -> tuple[int, list[int]]:
    lead.refresh_from_db()
    return lead.score, [r["points"] for r in lead.score_reasons]


def test_the_defaults_are_seeded_and_the_hook_and_nightly_job_are_configured():
    kinds = set(ScoreRule.objects.values_list("kind", flat=True))

    assert kinds == set(K.values)
    assert settings.LEADS_RESCORE_HOOK == "scoring.tasks.rescore_soon"
    assert settings.CELERY_BEAT_SCHEDULE["scoring-rescore-all"]["task"] == "scoring.rescore_all"


def test_a_booked_test_drive_rescores_its_lead_on_commit(
    rules, location, django_capture_on_commit_callbacks
):
    rules((K.TESTDRIVE_BOOKED, 20, {}))
    lead = LeadFactory(customer=CustomerFactory(location=location))
    booking = BookingFactory(
        lead=lead, customer=lead.customer, start_at=NOW + datetime.timedelta(days=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        lead_event(lead=lead, event=LeadEvent.TESTDRIVE_BOOKED, by=None, ref=f"b:{booking.pk}")

    lead.refresh_from_db()
    assert lead.score == 20
    assert lead.score_reasons == [{"points": 20, "reason": "booked a test drive"}]


def test_a_cancelled_test_drive_gives_no_points(rules, location):
    rules((K.TESTDRIVE_BOOKED, 20, {}))
    lead = LeadFactory(customer=CustomerFactory(location=location))
    BookingFactory(
        lead=lead,
        customer=lead.customer,
        start_at=NOW + datetime.timedelta(days=1),
        status="cancelled",
    )

    assert leads_rescore(lead_ids=[lead.pk]) == 0
    assert _score(lead) == (0, [])


def test_a_reply_logged_on_the_lead_rescores_it(
    rules, location, consultant, django_capture_on_commit_callbacks
):
    rules((K.REPLIED, 10, {}))
    lead = LeadFactory(customer=CustomerFactory(location=location), assigned_to=consultant)

    with django_capture_on_commit_callbacks(execute=True):
        activity_log(
            customer=lead.customer,
            lead=lead,
            kind=Activity.Kind.EMAIL,
            direction=Activity.Direction.INBOUND,
            by=consultant,
            body="Is it still available?",
        )

    assert _score(lead) == (10, [10])


def test_an_inbound_conversation_message_counts_as_a_reply_only_after_the_lead(rules, location):
    rules((K.REPLIED, 10, {}))
    lead = LeadFactory(customer=CustomerFactory(location=location), created_at=NOW)
    Message.objects.create(
        customer=lead.customer,
        location=location,
        direction=Message.Direction.IN,
        channel=Message.Channel.SMS,
        body="Before the enquiry",
        created_at=NOW - datetime.timedelta(hours=1),
    )
    leads_rescore(lead_ids=[lead.pk], now=NOW)
    assert _score(lead) == (0, [])

    Message.objects.create(
        customer=lead.customer,
        location=location,
        direction=Message.Direction.IN,
        channel=Message.Channel.SMS,
        body="Yes, Saturday works",
        created_at=NOW + datetime.timedelta(hours=1),
    )
    leads_rescore(customer_ids=[lead.customer_id], now=NOW)
    assert _score(lead) == (10, [10])


def test_a_finance_application_rescores_the_customers_leads(
    rules, django_capture_on_commit_callbacks
):
    rules((K.FINANCE_STARTED, 20, {}))
    vehicle = VehicleFactory()
    order = make_order(vehicle, deal=FINANCE)
    lead = LeadFactory(customer=order.customer, created_at=NOW - datetime.timedelta(days=400))

    with django_capture_on_commit_callbacks(execute=True):
        apply_for_finance(order)

    assert _score(lead) == (20, [20])


def test_a_status_change_rescores(rules, location, consultant, django_capture_on_commit_callbacks):
    rules((K.STATUS, 5, {"status": "contacted"}), (K.STATUS, 15, {"status": "negotiation"}))
    lead = LeadFactory(customer=CustomerFactory(location=location), assigned_to=consultant)

    with django_capture_on_commit_callbacks(execute=True):
        lead_transition(lead=lead, to_status=Lead.Status.CONTACTED, by=consultant)

    lead.refresh_from_db()
    assert lead.score == 5
    assert lead.score_reasons == [
        {"points": 5, "reason": "status: %(status)s", "args": {"status": "Contacted"}}
    ]


def test_closing_a_lead_takes_its_score_to_zero(
    rules, location, consultant, django_capture_on_commit_callbacks
):
    rules((K.REPLIED, 10, {}), (K.SOURCE, 15, {"source": "website"}))
    lead = LeadFactory(customer=CustomerFactory(location=location), assigned_to=consultant)
    leads_rescore(lead_ids=[lead.pk])
    assert _score(lead) == (15, [15])

    with django_capture_on_commit_callbacks(execute=True):
        lead_transition(lead=lead, to_status=Lead.Status.LOST, by=consultant, lost_reason="price")

    assert _score(lead) == (0, [])


def test_a_new_enquiry_rescores_the_customers_other_leads(
    rules, location, django_capture_on_commit_callbacks
):
    rules((K.REPEAT_ENQUIRY, 10, {"days": 30}))
    customer = CustomerFactory(location=location)
    first = LeadFactory(customer=customer, created_at=NOW - datetime.timedelta(days=60))

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        second = lead_create(
            customer=customer, source="website", type="vehicle_enquiry", location=location
        )

    # The old lead had another enquiry today; the new one had its only other 60 days ago.
    assert _score(first) == (10, [10])
    assert _score(second) == (0, [])


def test_page_views_of_the_car_and_the_budget_fit_come_from_the_database(rules, location):
    rules(
        (K.VEHICLE_VIEWS, 5, {"days": 7, "min_views": 50}),
        (K.BUDGET_FIT, 5, {"tolerance_percent": 10}),
    )
    vehicle = VehicleFactory(location=location, list_price=Decimal("21000.00"))
    lead = LeadFactory(
        customer=CustomerFactory(location=location), vehicle=vehicle, price=Decimal("20000")
    )
    VehicleDailyViews.objects.create(vehicle=vehicle, day=datetime.date(2026, 3, 9), views=30)
    VehicleDailyViews.objects.create(vehicle=vehicle, day=datetime.date(2026, 3, 10), views=20)

    leads_rescore(lead_ids=[lead.pk], now=NOW)

    lead.refresh_from_db()
    assert lead.score == 10
    assert {r["reason"] for r in lead.score_reasons} == {
        "popular car: %(views)s page views in the last %(days)s day",
        "the car's price fits their budget",
    }


def test_no_contact_decays_the_score_as_days_pass(rules, location, consultant):
    rules((K.SOURCE, 30, {"source": "website"}), (K.NO_CONTACT, -15, {"days": 14}))
    lead = LeadFactory(customer=CustomerFactory(location=location), created_at=NOW)
    Activity.objects.create(
        customer=lead.customer,
        lead=lead,
        kind=Activity.Kind.CALL,
        outcome=Activity.Outcome.REACHED,
        user=consultant,
        occurred_at=NOW + datetime.timedelta(days=5),
    )

    leads_rescore_all(now=NOW + datetime.timedelta(days=18))
    assert _score(lead) == (30, [30])  # 13 days since the call

    leads_rescore_all(now=NOW + datetime.timedelta(days=19))
    assert _score(lead) == (15, [30, -15])


def test_recompute_is_idempotent(rules, location):
    rules((K.SOURCE, 15, {"source": "website"}), (K.RECENT, 10, {"days": 3}))
    leads = [LeadFactory(customer=CustomerFactory(location=location)) for _ in range(3)]

    first = leads_rescore_all(now=NOW)
    stored = list(Lead.objects.order_by("pk").values_list("score", "score_reasons"))
    second = leads_rescore_all(now=NOW)
    again = leads_rescore(lead_ids=[lead.pk for lead in leads], now=NOW)

    assert first == {"leads": 3, "changed": 3, "batches": 1}
    assert second == {"leads": 3, "changed": 0, "batches": 1}
    assert again == 0
    assert list(Lead.objects.order_by("pk").values_list("score", "score_reasons")) == stored


def test_a_crashed_nightly_pass_resumes_after_the_last_batch_written(rules, location):
    rules((K.SOURCE, 15, {"source": "website"}))
    leads = [LeadFactory(customer=CustomerFactory(location=location)) for _ in range(5)]

    crashed = leads_rescore_all(now=NOW, batch_size=2, max_batches=1)
    run = ScoringRun.objects.get(name="nightly")
    resumed = leads_rescore_all(now=NOW + datetime.timedelta(hours=1), batch_size=2)

    assert crashed == {"leads": 2, "changed": 2, "batches": 1}
    assert (run.after_id, run.finished_at) == (leads[1].pk, None)
    assert resumed == {"leads": 3, "changed": 3, "batches": 2}
    assert ScoringRun.objects.get(name="nightly").finished_at is not None
    assert set(Lead.objects.values_list("score", flat=True)) == {15}


def test_a_closed_lead_still_holding_points_is_reset_by_the_nightly_pass(rules, location):
    rules((K.SOURCE, 15, {"source": "website"}))
    lead = LeadFactory(
        customer=CustomerFactory(location=location),
        status=Lead.Status.WON,
        score=40,
        score_reasons=[{"points": 40, "reason": "booked a test drive"}],
    )

    assert leads_rescore_all(now=NOW)["changed"] == 1
    assert _score(lead) == (0, [])


def test_a_manager_changes_a_rule_in_admin_and_the_scores_follow(
    client, rules, location, django_capture_on_commit_callbacks
):
    roles_sync()
    (rule,) = rules((K.SOURCE, 15, {"source": "website"}))
    lead = LeadFactory(customer=CustomerFactory(location=location))
    leads_rescore_all()
    assert _score(lead) == (15, [15])
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/scoring/scorerule/{rule.pk}/change/",
            {
                "kind": "source",
                "parameters": '{"source": "website"}',
                "points": "35",
                "label": "",
                "is_active": "on",
                "position": "1",
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert _score(lead) == (35, [35])


@pytest.mark.parametrize(
    ("kind", "parameters", "message"),
    [
        ("source", '{"source": "carrier_pigeon"}', "“carrier_pigeon” is not a valid source."),
        ("no_contact", "{}", "Give the parameter “days”."),
        ("no_contact", '{"days": 0}', "“days” must be a whole number from 1 to 3650."),
        ("replied", '{"days": 3}', "“Customer replied” takes no parameter “days”."),
        ("recent", "[3]", "Parameters are an object, e.g. {&quot;days&quot;: 14}."),
    ],
)
def test_admin_refuses_parameters_the_kind_cannot_use(
    client, rules, location, kind, parameters, message
):
    roles_sync()
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))

    response = client.post(
        "/admin/scoring/scorerule/add/",
        {"kind": kind, "parameters": parameters, "points": "10", "label": "", "position": "1"},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert ScoreRule.objects.count() == 0
