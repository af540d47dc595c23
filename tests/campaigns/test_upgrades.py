"""Upgrade opportunities (issues 17 and 19): the built-in upgrade segments, shown to a
consultant for their own customers and to a service advisor for this week's visitors at his
locations, with the reason in words and an in-stock successor at its all-in price. Exact
customers and reasons from fixtures, and a fixed number of queries however many match."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from aftersales.models import OwnedVehicle, ServiceAppointment
from campaigns.selectors import upgrade_opportunities_for
from dealership.accounts.roles import Role
from inventory.models import Vehicle
from orders.models import Order
from tests.accounts.factories import LocationFactory, UserFactory
from tests.aftersales.factories import owned_vehicle
from tests.campaigns.factories import NOW  # Monday 2026-06-15, 10:00 UTC
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db
THURSDAY = datetime.date(2026, 6, 18)


def _car(customer, *, year, make="Volkswagen", model="Golf", km=0, delivered_on=None):
    car = owned_vehicle(
        customer,
        make=make,
        model=model,
        year=year,
        delivered_on=delivered_on or datetime.date(year, 3, 1),
    )
    # The reading today, no learned rate: the predicted mileage is exactly `km`.
    OwnedVehicle.objects.filter(pk=car.pk).update(
        odometer_km=km, odometer_on=NOW.date(), km_per_day=None
    )
    return car


def _visit(car, day, *, location=None, status=ServiceAppointment.Status.BOOKED):
    return ServiceAppointment.objects.create(
        owned_vehicle=car,
        customer=car.customer,
        location=location or car.location,
        day=day,
        drop_off_at=datetime.datetime.combine(day, datetime.time(7), tzinfo=datetime.UTC),
        handover=ServiceAppointment.Handover.DROP_OFF,
        booked_via=ServiceAppointment.BookedVia.STAFF,
        status=status,
    )


def _financed(location, owner, *, last_name):
    """A car financed over 48 months from 2022-10-20: the finance ends on 2026-10-20."""
    order = make_order(VehicleFactory(location=location), last_name=last_name)
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.DELIVERED,
        payment_type=Order.PaymentType.FINANCE,
        term_months=48,
        delivered_at=datetime.datetime(2022, 10, 20, 9, tzinfo=datetime.UTC),
    )
    Vehicle.objects.filter(pk=order.vehicle_id).update(status=Vehicle.Status.SOLD)
    customer = order.customer
    customer.owner = owner
    customer.save(update_fields=["owner"])
    return customer


@pytest.fixture
def floor():
    with time_machine.travel(NOW, tick=False):
        leipzig, halle = LocationFactory(), LocationFactory()
        anna = UserFactory(role=Role.CONSULTANT, locations=[leipzig])
        jonas = UserFactory(role=Role.CONSULTANT, locations=[leipzig])
        sven = UserFactory(role=Role.SERVICE_ADVISOR, locations=[leipzig])

        def customer(last_name, owner=None, location=leipzig):
            return CustomerFactory(location=location, owner=owner, last_name=last_name)

        old = customer("Adler", anna)
        _car(old, year=2020)  # six years old
        worn = customer("Bauer")  # anna's through the lead assigned to her
        LeadFactory(customer=worn, location=leipzig, assigned_to=anna)
        _car(worn, year=2024, make="Skoda", model="Octavia", km=80_000)
        financed = _financed(leipzig, anna, last_name="Albrecht")
        young = customer("Clausen", anna)
        _car(young, year=2024, km=20_000)
        visitor = customer("Dietrich", jonas)
        _visit(_car(visitor, year=2019, model="Passat"), THURSDAY)
        # Not this week, cancelled, or another branch's visit: not the advisor's.
        engel, fischer = customer("Engel", jonas), customer("Fischer", jonas)
        _visit(_car(engel, year=2018), THURSDAY + datetime.timedelta(days=9))
        _visit(
            _car(fischer, year=2018),
            THURSDAY,
            status=ServiceAppointment.Status.CANCELLED,
        )
        elsewhere = customer("Graf", location=halle)
        _visit(_car(elsewhere, year=2017), THURSDAY)
        # In stock: a newer Golf here, a newer Passat in Halle, an older Golf, a sold Golf.
        golf = VehicleFactory(location=leipzig, model_year=2022, list_price=Decimal("24990.00"))
        passat = VehicleFactory(
            location=halle, model="Passat", model_year=2021, list_price=Decimal("31990.00")
        )
        VehicleFactory(location=leipzig, model_year=2019, list_price=Decimal("9990.00"))
        VehicleFactory(
            location=leipzig,
            model_year=2023,
            list_price=Decimal("19990.00"),
            status=Vehicle.Status.SOLD,
        )
    return {
        "leipzig": leipzig,
        "anna": anna,
        "jonas": jonas,
        "sven": sven,
        "old": old,
        "worn": worn,
        "financed": financed,
        "young": young,
        "visitor": visitor,
        "engel": engel,
        "fischer": fischer,
        "elsewhere": elsewhere,
        "golf": golf,
        "passat": passat,
    }


def _rows(found):
    return [(o.customer, o.reasons) for o in found]


def test_a_consultant_sees_their_own_customers_with_the_reason(floor, django_assert_num_queries):
    with django_assert_num_queries(5):
        found = upgrade_opportunities_for(user=floor["anna"], now=NOW)

    # Finance ends first (the sooner deadline), then by name; the young car is not one.
    assert _rows(found) == [
        (floor["financed"], ["finance ends in 4 months"]),
        (floor["old"], ["car 6 years old"]),
        (floor["worn"], ["car at about 80,000 km"]),
    ]
    financed, old, worn = found
    # A newer Golf in stock at the branch, at the vehicle page's all-in price:
    # 24,990 + 249 fee, 19 % tax on both, 150 registration.
    assert old.suggestion == floor["golf"]
    assert old.price.total == Decimal("30184.41")
    assert (old.vehicle.make, old.vehicle.model, old.vehicle.year) == ("Volkswagen", "Golf", 2020)
    assert worn.suggestion is None  # no Skoda in stock
    assert worn.price is None
    assert financed.vehicle is None  # no car registered with us
    assert financed.suggestion is None


def test_another_consultant_sees_only_their_customers(floor):
    found = upgrade_opportunities_for(user=floor["jonas"], now=NOW)

    # This week's visit first; the visit in twelve days and the cancelled one leave only the
    # owner segment (cars of 2018). None of anna's customers.
    assert _rows(found) == [
        (floor["visitor"], ["in for service Thursday, car 7 years"]),
        (floor["engel"], ["car 8 years old"]),
        (floor["fischer"], ["car 8 years old"]),
    ]


def test_an_advisor_sees_this_weeks_visitors_at_his_branch(floor):
    found = upgrade_opportunities_for(user=floor["sven"], now=NOW)

    # Not the visit next week, the cancelled one, nor Halle's.
    assert _rows(found) == [(floor["visitor"], ["in for service Thursday, car 7 years"])]
    # The same model first, even at another branch.
    assert found[0].suggestion == floor["passat"]
    assert found[0].price.total == Decimal("38514.41")


def test_a_visit_today_says_today(floor):
    _visit(OwnedVehicle.objects.get(customer=floor["old"]), NOW.date())

    found = upgrade_opportunities_for(user=floor["sven"], now=NOW)

    assert _rows(found)[0] == (floor["old"], ["in for service today, car 6 years"])


def test_a_manager_without_a_consultant_or_advisor_role_gets_none(floor):
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[floor["leipzig"]])

    assert upgrade_opportunities_for(user=manager, now=NOW) == []


def test_the_query_count_does_not_grow_with_the_matches(floor, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        for i in range(8):
            customer = CustomerFactory(
                location=floor["leipzig"], owner=floor["anna"], last_name=f"Zimmer{i}"
            )
            _car(customer, year=2015 + i % 3)
            _car(customer, year=2021, make="Skoda", model="Fabia", km=90_000)

    with django_assert_num_queries(5):
        found = upgrade_opportunities_for(user=floor["anna"], now=NOW, limit=20)

    assert len(found) == 11
    # Zimmer7: a 2016 Golf and a 2021 Fabia at 90,000 km: the older car is the reason.
    assert found[-1].reasons == ["car 10 years old"]


def test_the_customer_page_fragment_shows_the_opportunity(client, floor, django_assert_num_queries):
    client.force_login(floor["anna"])
    url = reverse("campaigns:customer_upgrade", args=[floor["old"].pk])

    # Session, user, groups, the customer's visibility, the selector's four queries, the
    # session save, and the request's two savepoints (each a begin and a release).
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(13):
        response = client.get(url, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Upgrade opportunity" in body
    assert "car 6 years old" in body
    assert floor["golf"].get_absolute_url() in body
    assert "€30,184.41 all-in" in body


def test_the_customer_page_loads_the_fragment(client, floor):
    client.force_login(floor["anna"])

    response = client.get(reverse("leads:customer_detail", args=[floor["old"].pk]))

    assert (
        reverse("campaigns:customer_upgrade", args=[floor["old"].pk]) in response.content.decode()
    )


def test_the_fragment_is_empty_without_an_opportunity(client, floor):
    client.force_login(floor["anna"])

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("campaigns:customer_upgrade", args=[floor["young"].pk]))

    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_another_branchs_customer_is_a_404(client, floor):
    client.force_login(floor["anna"])

    response = client.get(reverse("campaigns:customer_upgrade", args=[floor["elsewhere"].pk]))

    assert response.status_code == 404


def test_the_today_page_shows_the_card(client, floor):
    client.force_login(floor["anna"])

    with time_machine.travel(NOW, tick=False):
        body = client.get(reverse("staff-home")).content.decode()

    assert "Upgrade opportunities" in body
    assert "finance ends in 4 months" in body
    assert "car 6 years old" in body
    assert "Dietrich" not in body


def test_the_advisors_today_page_shows_the_card(client, floor):
    client.force_login(floor["sven"])

    with time_machine.travel(NOW, tick=False):
        body = client.get(reverse("staff-home")).content.decode()

    assert "Upgrade opportunities" in body
    assert "in for service Thursday, car 7 years" in body
    assert "Adler" not in body
