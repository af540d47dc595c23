"""The pipeline board: which location it opens on, what a card shows, its query count."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)


def test_pipeline_opens_on_my_own_location_and_a_manager_switches(client):
    # Given an administrator of Porto, who sees every location (Berlin sorts first)
    LocationFactory(name="Berlin")
    porto = LocationFactory(name="Porto")
    admin = UserFactory(role=Role.ADMINISTRATOR, locations=[porto])
    client.force_login(admin)
    berlin_lead = LeadFactory(customer=CustomerFactory(location=LocationFactory(name="Aachen")))

    # When they open the board, then it is Porto's; switching shows another location's
    html = client.get("/staff/leads/pipeline/").content.decode()
    other = client.get(
        "/staff/leads/pipeline/", {"location": berlin_lead.location_id}
    ).content.decode()

    assert "Pipeline · Porto</h1>" in html
    assert "Pipeline · Aachen</h1>" in other
    assert str(berlin_lead.customer) in other


def test_a_card_shows_value_age_and_next_task_in_the_locations_zone(client):
    lisbon = LocationFactory(name="Lisbon", time_zone="Europe/Lisbon")
    consultant = UserFactory(role=Role.CONSULTANT, locations=[lisbon])
    client.force_login(consultant)
    car = VehicleFactory(location=lisbon, list_price=Decimal("24990.00"))
    lead = LeadFactory(
        customer=CustomerFactory(location=lisbon),
        location=lisbon,
        assigned_to=consultant,
        vehicle=car,
        created_at=NOW - datetime.timedelta(days=3, hours=2),
    )
    # The earliest open task is next; a done one is not.
    TaskFactory(
        lead=lead, customer=lead.customer, title="Later", due_at=NOW + datetime.timedelta(days=2)
    )
    TaskFactory(
        lead=lead,
        customer=lead.customer,
        title="Done",
        due_at=NOW - datetime.timedelta(days=1),
        completed_at=NOW,
    )
    TaskFactory(
        lead=lead,
        customer=lead.customer,
        title="Send the offer",
        due_at=datetime.datetime(2026, 3, 17, 9, 30, tzinfo=datetime.UTC),
    )
    priced = LeadFactory(
        customer=CustomerFactory(location=lisbon),
        location=lisbon,
        assigned_to=consultant,
        price=Decimal("18500.50"),
        created_at=NOW,
    )

    with time_machine.travel(NOW, tick=False):
        html = client.get("/staff/leads/pipeline/").content.decode()

    assert "<dt>Value</dt><dd>€24,990.00</dd>" in html
    assert "<dt>Age</dt><dd>3 days</dd>" in html
    # 09:30 UTC is 09:30 in Lisbon in March (WET)
    assert "17 Mar 2026, 09:30 WET</time> · Send the offer" in html
    assert "Later" not in html
    assert "Done" not in html
    assert str(priced.customer) in html
    assert "<dt>Value</dt><dd>€18,500.50</dd>" in html
    assert "<dt>Age</dt><dd>0 days</dd>" in html


def test_pipeline_query_count_is_fixed(client, location, manager, django_assert_num_queries):
    client.force_login(manager)
    for i in range(10):
        lead = LeadFactory(
            customer=CustomerFactory(location=location),
            vehicle=VehicleFactory(location=location) if i % 2 else None,
        )
        TaskFactory(lead=lead, customer=lead.customer)

    # Savepoint, session, user, groups, second-factor device, the visible locations, the
    # user's own location, the column counts, the cards (customer, assignee, car and next
    # task joined), release; the session save (3).
    with django_assert_num_queries(13):
        response = client.get("/staff/leads/pipeline/")

    assert response.status_code == 200
    assert response.content.decode().count("<dt>Next task</dt>") == 10


# --- Moving a card (drag and drop, or the card's "Move to" form) ---------------------------


def _move(client, lead, to_status, *, location=None, json=False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/staff/leads/{lead.pk}/move/",
        {"to_status": to_status, "location": location or lead.location_id},
        headers=headers,
    )


@pytest.fixture
def my_lead(location, consultant):
    return LeadFactory(customer=CustomerFactory(location=location), assigned_to=consultant)


def test_a_card_moves_by_its_form_and_comes_back_to_the_board(consultant_client, my_lead):
    response = _move(consultant_client, my_lead, "qualified")

    assert response.status_code == 302
    assert response["Location"] == f"/staff/leads/pipeline/?location={my_lead.location_id}"
    my_lead.refresh_from_db()
    assert my_lead.status == "qualified"
    assert my_lead.status_changes.get().to_status == "qualified"


def test_a_dropped_card_moves_and_gets_json(consultant_client, my_lead):
    response = _move(consultant_client, my_lead, "contacted", json=True)

    assert response.status_code == 200
    assert response.json() == {"status": "contacted", "message": "Moved to Contacted."}
    my_lead.refresh_from_db()
    assert my_lead.status == "contacted"


@pytest.mark.parametrize("json", [True, False])
def test_an_illegal_move_is_400_with_its_message(consultant_client, my_lead, json):
    response = _move(consultant_client, my_lead, "new", json=json)

    assert response.status_code == 400
    message = "A lead cannot move from “New” to “New”."
    if json:
        assert response.json() == {"error": message}
    else:
        assert message in response.content.decode()
    my_lead.refresh_from_db()
    assert my_lead.status == "new"
    assert not my_lead.status_changes.exists()


def test_moving_a_foreign_lead_is_404(consultant_client):
    foreign = LeadFactory(customer=CustomerFactory(location=LocationFactory(name="Elsewhere")))

    response = _move(consultant_client, foreign, "contacted")

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "new"


def test_moving_a_lead_of_another_locations_board_is_403(client, location):
    porto = LocationFactory(name="Porto")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[location, porto])
    lead = LeadFactory(customer=CustomerFactory(location=porto))
    client.force_login(manager)

    response = _move(client, lead, "contacted", location=location.pk, json=True)

    assert response.status_code == 403
    assert response.json() == {"error": "This lead is on another location's board."}
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_consultant_cannot_move_a_colleagues_lead(consultant_client, location):
    colleague = UserFactory(role=Role.CONSULTANT, locations=[location])
    lead = LeadFactory(customer=CustomerFactory(location=location), assigned_to=colleague)

    response = _move(consultant_client, lead, "contacted")

    assert response.status_code == 403
    assert "Only the lead&#x27;s consultant or a manager may move it." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_move_without_the_csrf_token_is_refused(consultant, my_lead):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(consultant)

    response = _move(client, my_lead, "contacted")

    assert response.status_code == 403
    my_lead.refresh_from_db()
    assert my_lead.status == "new"
