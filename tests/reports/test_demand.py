"""The inventory demand page: stock, days' supply, views, leads, saved searches and test
drives per make/model/body/fuel/price band over 30 days; cars with many views and no leads;
demand without stock. Exact values from a hand-counted fixture; query count asserted.

Leipzig, now Monday 7 December 2026 09:00 UTC; the period starts 7 November 09:00 UTC.
"""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dealership.accounts.roles import Role
from dealership.reports.demand import band_of, demand_for_location
from inventory.models import SavedSearch, Vehicle, VehicleDailyViews
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


def ago(days: int) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def shop(frozen):
    leipzig = LocationFactory(slug="leipzig", name="Showroom Leipzig")
    dresden = LocationFactory(slug="dresden", name="Showroom Dresden")
    golf = {"make": "Volkswagen", "model": "Golf", "body_type": "hatchback", "fuel": "petrol"}
    quiet = VehicleFactory(location=leipzig, stock_number="G1", **golf)  # 24,990: 20–30k
    asked = VehicleFactory(location=leipzig, stock_number="G2", **golf)
    VehicleFactory(
        location=leipzig, stock_number="G3", status=Vehicle.Status.SOLD, sold_at=ago(10), **golf
    )
    VehicleFactory(
        location=leipzig, stock_number="G4", status=Vehicle.Status.SOLD, sold_at=ago(40), **golf
    )
    # Another location's car and demand: not counted.
    other = VehicleFactory(location=dresden, stock_number="D1", **golf)
    VehicleDailyViews.objects.create(vehicle=other, day=NOW.date(), views=999)

    for days, views in ((1, 60), (2, 40), (29, 20), (31, 500)):  # the last one is too old
        VehicleDailyViews.objects.create(
            vehicle=quiet, day=(NOW - datetime.timedelta(days=days)).date(), views=views
        )
    VehicleDailyViews.objects.create(vehicle=asked, day=ago(3).date(), views=5)

    customer = CustomerFactory(location=leipzig)
    LeadFactory(customer=customer, vehicle=asked, created_at=ago(2))
    LeadFactory(customer=customer, vehicle=asked, created_at=ago(20))
    LeadFactory(customer=customer, vehicle=quiet, created_at=ago(45))  # before the period
    # Demand for a car not in stock: the lead names it, a saved search asks for it.
    LeadFactory(
        customer=customer, make="Tesla", model="Model 3", price=Decimal("41990"), created_at=ago(5)
    )
    SavedSearch.objects.create(
        email="a@example.de",
        query="make=Tesla&model=Model+3&price_max=50000",
        last_checked_at=NOW,
    )
    SavedSearch.objects.create(
        email="b@example.de", query="make=Tesla&location=dresden", last_checked_at=NOW
    )

    BookingFactory(vehicle=asked, start_at=ago(4), status=Booking.Status.COMPLETED)
    BookingFactory(vehicle=asked, start_at=ago(6), status=Booking.Status.CANCELLED)
    BookingFactory(vehicle=other, start_at=ago(4), status=Booking.Status.COMPLETED)
    manager = UserFactory(username="demand-manager", role=Role.SALES_MANAGER, locations=[leipzig])
    return {"leipzig": leipzig, "dresden": dresden, "quiet": quiet, "manager": manager}


def _row(demand, make, model):
    rows = [r for r in demand.rows if (r.make, r.model) == (make, model)]
    assert len(rows) == 1, rows
    return rows[0]


def test_price_bands():
    assert band_of(Decimal("9999.99")) == "0-10000"
    assert band_of(Decimal("24990")) == "20000-30000"
    assert band_of(Decimal("50000")) == "50000+"
    assert band_of(None) == ""


def test_figures_per_group_over_thirty_days(shop):
    demand = demand_for_location(location=shop["leipzig"])

    golf = _row(demand, "Volkswagen", "Golf")
    assert (golf.body_type, golf.fuel, golf.band) == ("hatchback", "petrol", "20000-30000")
    assert golf.stock == 2
    assert golf.sold == 1  # the other sale was 40 days ago
    assert golf.days_supply == Decimal("60")  # 2 in stock ÷ (1 sold ÷ 30 days)
    assert golf.views == 125  # 60 + 40 + 20 + 5; the day 31 days ago is out
    assert golf.leads == 2
    assert golf.test_drives == 1  # the cancelled one does not count
    assert golf.saved_searches == 0
    assert golf.days_supply_sentence == (
        "2 in stock ÷ (1 sold in 30 days ÷ 30) = 60 days to sell them at this rate."
    )

    tesla = _row(demand, "Tesla", "Model 3")
    assert (tesla.body_type, tesla.fuel, tesla.band) == ("", "", "30000-50000")
    assert (tesla.stock, tesla.leads, tesla.saved_searches, tesla.test_drives) == (0, 1, 1, 0)
    assert tesla.days_supply is None
    assert len(demand.rows) == 2


def test_many_views_no_leads_and_demand_without_stock_are_explained(shop):
    demand = demand_for_location(location=shop["leipzig"])

    assert demand.views_per_lead == 42  # 125 views ÷ 3 leads
    assert [(c.vehicle.stock_number, c.views) for c in demand.quiet_cars] == [("G1", 120)]
    assert demand.quiet_cars[0].sentence == (
        "Viewed 120 times in 30 days without a lead, where this location's cars get one lead "
        "every 42 views: check the price and the photos."
    )
    assert [(r.make, r.model) for r in demand.without_stock] == [("Tesla", "Model 3")]
    assert demand.without_stock[0].demand_sentence == (
        "In 30 days: leads 1, saved searches 1, test drives 0, and no car in stock: buy one or "
        "ask another location for one."
    )


def test_the_page_shows_them_in_a_fixed_number_of_queries(client, shop, django_assert_num_queries):
    client.force_login(shop["manager"])
    url = reverse("inventory-demand")
    client.get(url)  # the session's first save
    with django_assert_num_queries(20):
        response = client.get(url, {"location": "leipzig"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Viewed 120 times in 30 days without a lead" in html
    assert "Days' supply: cars in stock divided by cars sold per day" in html
    assert re.search(r'<label\s+for="id_location"[^>]*>\s*Location', html)

    for n in range(5):
        car = VehicleFactory(location=shop["leipzig"], stock_number=f"X{n}", make=f"Make{n}")
        VehicleDailyViews.objects.create(vehicle=car, day=NOW.date(), views=80)
        LeadFactory(customer=CustomerFactory(location=shop["leipzig"]), make=f"Want{n}")
    with django_assert_num_queries(20):
        assert client.get(url, {"location": "leipzig"}).status_code == 200


def test_another_locations_demand_is_refused_with_400(client, shop):
    client.force_login(shop["manager"])
    response = client.get(reverse("inventory-demand"), {"location": "dresden"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_consultants_may_not_open_it(client, shop):
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[shop["leipzig"]]))
    assert client.get(reverse("inventory-demand")).status_code == 403


def test_the_period_is_thirty_days_back_from_now(shop):
    assert demand_for_location(location=shop["leipzig"]).since == timezone.now() - (
        datetime.timedelta(days=30)
    )
