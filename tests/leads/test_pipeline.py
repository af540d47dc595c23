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
    assert "17.03.2026 09:30 Europe/Lisbon</time> · Send the offer" in html
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
