"""The staff home opens on the work: a consultant's leads waiting for a first answer, test
drives today and tomorrow, tasks due, orders waiting on them; a manager's breaches,
unassigned leads, drives per consultant, stuck orders, detractors and the week in numbers.
Exact items from fixtures, and a fixed number of queries however much there is."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealership.accounts.roles import Role
from leads.models import Lead
from orders.models import Order
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory, TaskFactory
from tests.orders.factories import make_order
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db
# 10:00 in Leipzig (CET).
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)


@pytest.fixture
def floor():
    leipzig = LocationFactory(time_zone="Europe/Berlin")
    anna = UserFactory(role=Role.CONSULTANT, locations=[leipzig])
    jonas = UserFactory(
        role=Role.CONSULTANT, locations=[leipzig], first_name="Jonas", last_name="Becker"
    )
    maren = UserFactory(role=Role.SALES_MANAGER, locations=[leipzig])
    return leipzig, anna, jonas, maren


def _lead(location, **kwargs):
    return LeadFactory(customer=CustomerFactory(location=location), created_at=NOW - H, **kwargs)


def _work(leipzig, anna, jonas, n=1, first=0):
    """n of each kind of item, for anna and for the location."""
    items = {"waiting": [], "overdue": [], "unassigned": [], "drives": [], "tasks": []}
    for i in range(first, first + n):
        items["waiting"].append(_lead(leipzig, assigned_to=anna, response_due_at=NOW + H * (i + 1)))
        items["overdue"].append(_lead(leipzig, assigned_to=jonas, response_due_at=NOW - H))
        items["unassigned"].append(_lead(leipzig, response_due_at=NOW + H))
        items["drives"].append(
            BookingFactory(
                vehicle=VehicleFactory(location=leipzig),
                consultant=anna,
                start_at=NOW + H * (i + 2),
            )
        )
        items["tasks"].append(
            TaskFactory(owner=anna, due_at=NOW - H, customer=CustomerFactory(location=leipzig))
        )
    # Not anna's work: answered, closed, next week, done.
    _lead(leipzig, assigned_to=anna, response_due_at=NOW - H, first_response_at=NOW - H)
    _lead(leipzig, assigned_to=anna, status=Lead.Status.LOST)
    BookingFactory(
        vehicle=VehicleFactory(location=leipzig),
        consultant=anna,
        start_at=NOW + datetime.timedelta(days=3) + H * first,
    )
    TaskFactory(owner=anna, due_at=NOW - H, completed_at=NOW - H)
    return items


@time_machine.travel(NOW, tick=False)
def test_a_consultants_today_is_their_own_work(client, floor):
    leipzig, anna, jonas, _maren = floor
    items = _work(leipzig, anna, jonas)
    order = make_order(VehicleFactory(location=leipzig))
    Order.objects.filter(pk=order.pk).update(consultant=anna, status=Order.Status.DEPOSIT_PAID)
    client.force_login(anna)

    response = client.get(reverse("staff-home"))

    t = response.context["today"]
    assert t.role == "consultant"
    assert t.sections["waiting"] == items["waiting"]
    assert t.sections["drives"] == items["drives"]
    assert t.sections["tasks"] == items["tasks"]
    assert [o.pk for o in t.sections["orders"]] == [order.pk]
    html = response.content.decode()
    assert "Waiting for your first answer" in html
    assert items["waiting"][0].get_absolute_url() in html
    assert "CET</time>" in html


@time_machine.travel(NOW, tick=False)
def test_a_managers_today_is_the_locations_exceptions(client, floor):
    leipzig, anna, jonas, maren = floor
    items = _work(leipzig, anna, jonas)
    stuck = make_order(VehicleFactory(location=leipzig))
    Order.objects.filter(pk=stuck.pk).update(
        status=Order.Status.DEPOSIT_PAID, status_changed_at=NOW - datetime.timedelta(days=4)
    )
    LeadFactory(customer=CustomerFactory(), response_due_at=NOW - H)  # another location's
    client.force_login(maren)

    response = client.get(reverse("staff-home"))

    t = response.context["today"].sections
    assert response.context["today"].role == "manager"
    assert t["breaches"] == items["overdue"]
    assert t["breach_count"] == 1
    assert t["unassigned"] == items["unassigned"]
    assert [row["count"] for row in t["drives_by_consultant"]] == [1]
    assert [o.pk for o in t["stuck"]] == [stuck.pk]
    assert t["week"]["leads"]["this"] == 5
    assert "This week so far, against last week by the same time" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES_MANAGER])
def test_today_costs_the_same_queries_for_one_item_or_many(client, floor, role):
    leipzig, anna, jonas, maren = floor
    user = anna if role == Role.CONSULTANT else maren
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        _work(leipzig, anna, jonas, n=1)
        client.get(reverse("staff-home"))  # warm the session
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("staff-home"))
        _work(leipzig, anna, jonas, n=8, first=1)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("staff-home"))

    assert len(few.captured_queries) == len(many.captured_queries)
    # Session, user, groups, the first location, one query per section (the manager's
    # counts and four week figures included; the consultant's upgrade opportunities: the
    # built-in segments and the matching customers, none here), and the session save.
    assert len(many.captured_queries) == {Role.CONSULTANT: 16, Role.SALES_MANAGER: 22}[role]


@time_machine.travel(NOW, tick=False)
def test_a_service_advisors_today_is_the_workshop_and_reminders_without_a_booking(client):
    from aftersales.models import RecallCampaign, RecallVehicle, ServiceAppointment, ServiceReminder
    from tests.aftersales.factories import ServiceItemFactory, owned_vehicle

    leipzig = LocationFactory(time_zone="Europe/Berlin")
    advisor = UserFactory(role=Role.SERVICE_ADVISOR, locations=[leipzig])

    def car():
        return owned_vehicle(CustomerFactory(location=leipzig))

    def appointment(vehicle, **kwargs):
        return ServiceAppointment.objects.create(
            owned_vehicle=vehicle,
            customer=vehicle.customer,
            location=leipzig,
            handover=ServiceAppointment.Handover.DROP_OFF,
            booked_via=ServiceAppointment.BookedVia.STAFF,
            **kwargs,
        )

    recalled, plain, reminded, booked = car(), car(), car(), car()
    campaign = RecallCampaign.objects.create(code="R1", title="Brakes", description="d", remedy="r")
    RecallVehicle.objects.create(campaign=campaign, vin=recalled.vin, owned_vehicle=recalled)
    late = appointment(plain, day=NOW.date(), drop_off_at=NOW + H * 3, courtesy_car=True)
    early = appointment(recalled, day=NOW.date(), drop_off_at=NOW - H)
    appointment(plain, day=NOW.date(), drop_off_at=NOW, status="cancelled")
    appointment(plain, day=NOW.date() + datetime.timedelta(days=1), drop_off_at=NOW + H * 24)
    item = ServiceItemFactory()
    waiting = ServiceReminder.objects.create(
        owned_vehicle=reminded,
        item=item,
        due_on=NOW.date(),
        number=1,
        created_at=NOW - datetime.timedelta(days=6),
        queued_at=NOW - datetime.timedelta(days=6),
    )
    ServiceReminder.objects.create(
        owned_vehicle=booked,
        item=item,
        due_on=NOW.date(),
        number=1,
        created_at=NOW - datetime.timedelta(days=8),
        queued_at=NOW - datetime.timedelta(days=8),
    )
    appointment(booked, day=NOW.date() + datetime.timedelta(days=9), drop_off_at=NOW + H * 200)
    client.force_login(advisor)

    response = client.get(reverse("staff-home"))

    today = response.context["today"]
    assert today.role == "advisor"
    assert today.sections["appointments"] == [early, late]
    assert [a.open_recall for a in today.sections["appointments"]] == [True, False]
    assert today.sections["unbooked_reminders"] == [waiting]
    html = response.content.decode()
    assert "open recall" in html
    assert "courtesy car" in html
