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
        status=Order.Status.DEPOSIT_PAID,
        status_changed_at=NOW - datetime.timedelta(days=4),
        created_at=NOW - H,
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
    assert t["unassigned_count"] == len(items["unassigned"])
    assert t["week"]["leads"]["this"] == 5
    # Orders placed and delivered come from one aggregate: the stuck order counts as placed.
    assert t["week"]["orders"] == {"this": 1, "last": 0}
    assert t["week"]["deliveries"] == {"this": 0, "last": 0}
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
    # Session, user, groups, the locations (the page's list, Today's first one taken from it),
    # one query per section (the manager's: both counts in one aggregate, the four week
    # figures in three, orders and deliveries sharing one; the consultant's unread
    # conversations and upgrade opportunities: the built-in segments and the matching
    # customers, none here), and the session save.
    assert len(many.captured_queries) == {Role.CONSULTANT: 16, Role.SALES_MANAGER: 19}[role]


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


# --- Every item one click from done --------------------------------------------------------

HX = {"HTTP_HX_REQUEST": "true"}


@time_machine.travel(NOW, tick=False)
def test_a_consultants_unread_conversations_are_the_newest_five_linked_to_the_thread(client, floor):
    from tests.conversations.factories import MessageFactory

    leipzig, anna, jonas, _maren = floor
    customers = [CustomerFactory(location=leipzig, owner=anna) for _ in range(7)]
    for minutes, customer in enumerate(customers):
        MessageFactory(customer=customer, created_at=NOW - datetime.timedelta(minutes=60 - minutes))
    MessageFactory(customer=customers[6], created_at=NOW - datetime.timedelta(minutes=90))
    read = CustomerFactory(location=leipzig, owner=anna)
    MessageFactory(customer=read, read_at=NOW, created_at=NOW)  # read already
    MessageFactory(customer=CustomerFactory(location=leipzig, owner=jonas), created_at=NOW)
    client.force_login(anna)

    response = client.get(reverse("staff-home"))

    unread = response.context["today"].sections["unread"]
    assert unread == customers[:1:-1]  # the newest five, newest first
    assert [c.unread for c in unread] == [2, 1, 1, 1, 1]
    html = response.content.decode()
    assert reverse("conversations:thread", args=[customers[6].pk]) in html
    assert reverse("conversations:thread", args=[read.pk]) not in html
    assert "2 unread" in html


def _drive_on_today(leipzig, anna):
    return BookingFactory(
        vehicle=VehicleFactory(location=leipzig), consultant=anna, start_at=NOW + H
    )


@time_machine.travel(NOW, tick=False)
def test_a_consultant_checks_in_and_records_the_outcome_from_today_row_by_row(client, floor):
    from testdrives.models import Booking

    leipzig, anna, _jonas, _maren = floor
    drive = _drive_on_today(leipzig, anna)
    client.force_login(anna)
    page = client.get(reverse("staff-home")).content.decode()
    assert f'id="today-drive-{drive.pk}"' in page
    assert 'name="to_status" value="checked_in"' in page

    checked = client.post(
        reverse("testdrives:status", args=[drive.pk]),
        {"from": "today", "to_status": "checked_in"},
        **HX,
    )

    assert checked.status_code == 200
    row = checked.content.decode()
    assert row.lstrip().startswith("<li")
    assert f'id="today-drive-{drive.pk}"' in row
    assert '<span class="today-status">Checked in</span>' in row
    assert 'name="outcome" value="wants_offer"' in row
    drive.refresh_from_db()
    assert drive.status == Booking.Status.CHECKED_IN

    done = client.post(
        reverse("testdrives:complete", args=[drive.pk]),
        {"from": "today", "outcome": "wants_offer"},
        **HX,
    )

    assert done.status_code == 200
    assert "Completed</span> · Wants an offer" in done.content.decode()
    assert "<form" not in done.content.decode()
    drive.refresh_from_db()
    assert (drive.status, drive.outcome) == (Booking.Status.COMPLETED, "wants_offer")
    assert drive.history.count() == 2


@time_machine.travel(NOW, tick=False)
def test_without_javascript_a_no_show_from_today_goes_back_to_today(client, floor):
    from testdrives.models import Booking

    leipzig, anna, _jonas, _maren = floor
    drive = _drive_on_today(leipzig, anna)
    client.force_login(anna)

    response = client.post(
        reverse("testdrives:status", args=[drive.pk]), {"from": "today", "to_status": "no_show"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff-home")
    drive.refresh_from_db()
    assert drive.status == Booking.Status.NO_SHOW
    assert "Test drive updated." in client.get(reverse("staff-home")).content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_refused_move_from_today_comes_back_in_the_row_with_the_reason(client, floor):
    from testdrives.models import Booking

    leipzig, anna, _jonas, _maren = floor
    tomorrow = BookingFactory(
        vehicle=VehicleFactory(location=leipzig), consultant=anna, start_at=NOW + H * 24
    )
    client.force_login(anna)

    page = client.get(reverse("staff-home")).content.decode()
    response = client.post(
        reverse("testdrives:status", args=[tomorrow.pk]),
        {"from": "today", "to_status": "checked_in"},
        **HX,
    )
    bogus = client.post(
        reverse("testdrives:complete", args=[tomorrow.pk]),
        {"from": "today", "outcome": "thrilled"},
        **HX,
    )

    # Tomorrow's drive offers no check-in, and one posted anyway is refused in its row.
    row = page.split(f'id="today-drive-{tomorrow.pk}"')[1].split("</li>")[0]
    assert "checked_in" not in row
    assert response.status_code == 400
    assert "A test drive can be checked in only on its day (11 Mar 2026)." in (
        response.content.decode()
    )
    assert bogus.status_code == 400
    assert "Select a valid choice." in bogus.content.decode()
    tomorrow.refresh_from_db()
    assert tomorrow.status == Booking.Status.CONFIRMED
    assert tomorrow.history.count() == 0


@time_machine.travel(NOW, tick=False)
def test_a_consultant_cannot_act_on_a_colleagues_drive_from_today(client, floor):
    from testdrives.models import Booking

    leipzig, anna, jonas, maren = floor
    theirs = _drive_on_today(leipzig, jonas)
    client.force_login(anna)

    page = client.get(reverse("staff-home")).content.decode()
    status = client.post(
        reverse("testdrives:status", args=[theirs.pk]),
        {"from": "today", "to_status": "no_show"},
        **HX,
    )
    complete = client.post(
        reverse("testdrives:complete", args=[theirs.pk]),
        {"from": "today", "outcome": "interested"},
    )

    assert f"today-drive-{theirs.pk}" not in page
    assert status.status_code == 404
    assert complete.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED
    assert theirs.history.count() == 0
    # Their manager may.
    client.force_login(maren)
    response = client.post(
        reverse("testdrives:status", args=[theirs.pk]),
        {"from": "today", "to_status": "checked_in"},
        **HX,
    )
    assert response.status_code == 200
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CHECKED_IN


@time_machine.travel(NOW, tick=False)
def test_a_task_is_done_from_today_in_its_row_and_only_ones_own(client, floor):
    leipzig, anna, jonas, _maren = floor
    task = TaskFactory(owner=anna, due_at=NOW - H, customer=CustomerFactory(location=leipzig))
    other = TaskFactory(owner=anna, due_at=NOW + H, customer=CustomerFactory(location=leipzig))
    theirs = TaskFactory(owner=jonas, due_at=NOW - H, customer=CustomerFactory(location=leipzig))
    client.force_login(anna)
    page = client.get(reverse("staff-home")).content.decode()
    assert reverse("leads:task_done", args=[task.pk]) in page

    response = client.post(
        reverse("leads:task_done", args=[task.pk]), {"next": reverse("staff-home")}, **HX
    )
    plain = client.post(
        reverse("leads:task_done", args=[other.pk]), {"next": reverse("staff-home")}
    )
    foreign = client.post(reverse("leads:task_done", args=[theirs.pk]), **HX)

    row = response.content.decode()
    assert response.status_code == 200
    assert f'id="today-task-{task.pk}"' in row
    assert "<s>Call back</s>" in row
    assert "Done</span>" in row
    assert "<form" not in row
    assert plain.status_code == 302
    assert plain["Location"] == reverse("staff-home")
    assert foreign.status_code == 404
    for t in (task, other, theirs):
        t.refresh_from_db()
    assert task.completed_at == NOW
    assert other.completed_at == NOW
    assert theirs.completed_at is None


# --- The service advisor's workshop board --------------------------------------------------


@pytest.fixture
def workshop():
    from aftersales.models import (
        RecallCampaign,
        RecallVehicle,
        ServiceAppointment,
        WorkshopCapacity,
    )
    from tests.aftersales.factories import owned_vehicle

    leipzig = LocationFactory(time_zone="Europe/Berlin", name="Leipzig")
    WorkshopCapacity.objects.create(location=leipzig, appointments_per_day=6, courtesy_cars=3)
    advisor = UserFactory(role=Role.SERVICE_ADVISOR, locations=[leipzig])
    campaign = RecallCampaign.objects.create(code="R1", title="Brakes", description="d", remedy="r")

    def appointment(at, *, recall=False, **kwargs):
        vehicle = owned_vehicle(CustomerFactory(location=leipzig))
        if recall:
            RecallVehicle.objects.create(campaign=campaign, vin=vehicle.vin, owned_vehicle=vehicle)
        return ServiceAppointment.objects.create(
            owned_vehicle=vehicle,
            customer=vehicle.customer,
            location=leipzig,
            day=NOW.date(),
            drop_off_at=at,
            handover=ServiceAppointment.Handover.DROP_OFF,
            booked_via=ServiceAppointment.BookedVia.STAFF,
            **kwargs,
        )

    return leipzig, advisor, appointment


@time_machine.travel(NOW, tick=False)
def test_the_workshop_board_groups_today_by_local_hour_with_the_capacity(client, workshop):
    _leipzig, advisor, appointment = workshop
    # 08:00, 08:30 and 10:15 in Leipzig.
    first = appointment(NOW - H * 2, recall=True)
    second = appointment(NOW - H * 1.5, courtesy_car=True)
    third = appointment(NOW + H * 0.25)
    client.force_login(advisor)

    response = client.get(reverse("staff-home"))

    hours = response.context["today"].sections["by_hour"]
    assert [(h.label, h.appointments) for h in hours] == [
        ("08:00", [first, second]),
        ("10:00", [third]),
    ]
    html = response.content.decode()
    assert "Leipzig: 3 of 6 places booked today · 3 courtesy cars" in html
    assert '<time datetime="2026-03-10T08:00:00+01:00">08:00</time>' in html
    first_row = html.split(f'id="today-appointment-{first.pk}"')[1].split("</li>")[0]
    second_row = html.split(f'id="today-appointment-{second.pk}"')[1].split("</li>")[0]
    assert "open recall" in first_row
    assert "courtesy car" not in first_row
    assert "courtesy car" in second_row
    assert "open recall" not in second_row
    assert (
        f'<label class="form-label small mb-0" for="odometer-{first.pk}">Odometer (km)</label>'
        in (first_row)
    )


def test_the_workshop_board_costs_the_same_queries_for_one_car_or_many(client, workshop):
    _leipzig, advisor, appointment = workshop
    client.force_login(advisor)
    with time_machine.travel(NOW, tick=False):
        appointment(NOW, recall=True)
        client.get(reverse("staff-home"))  # warm the session
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("staff-home"))
        for i in range(6):
            appointment(NOW + H * i, recall=i % 2 == 0, courtesy_car=True)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("staff-home"))

    assert len(few.captured_queries) == len(many.captured_queries)
    # Session, user, groups (in a savepoint), the locations list (Today's first location
    # taken from it), appointments (recalls annotated), capacity, reminders, the upgrade
    # opportunities (the built-in segments and the matching customers); the session save in
    # its savepoint.
    assert len(many.captured_queries) == 14


@time_machine.travel(NOW, tick=False)
def test_an_advisor_checks_a_car_in_with_its_odometer_from_today(client, workshop):
    from aftersales.models import ServiceAppointment

    _leipzig, advisor, appointment = workshop
    appt = appointment(NOW)
    client.force_login(advisor)

    response = client.post(
        reverse("aftersales:check_in", args=[appt.pk]),
        {"from": "today", "odometer_km": "23500"},
        **HX,
    )

    row = response.content.decode()
    assert response.status_code == 200
    assert f'id="today-appointment-{appt.pk}"' in row
    assert '<span class="today-status">Checked in</span>' in row
    assert "Checked in at 23500 km" in row
    assert "odometer_km" not in row
    appt.refresh_from_db()
    appt.owned_vehicle.refresh_from_db()
    assert (appt.status, appt.checkin_odometer_km) == (ServiceAppointment.Status.CHECKED_IN, 23500)
    assert appt.owned_vehicle.odometer_km == 23500


@time_machine.travel(NOW, tick=False)
def test_bad_odometers_from_today_are_refused_in_the_row_and_a_lower_one_warns(client, workshop):
    from aftersales.models import ServiceAppointment

    _leipzig, advisor, appointment = workshop
    appt, lower = appointment(NOW), appointment(NOW + H)
    type(lower.owned_vehicle).objects.filter(pk=lower.owned_vehicle_id).update(odometer_km=40000)
    client.force_login(advisor)
    url = reverse("aftersales:check_in", args=[appt.pk])

    empty = client.post(url, {"from": "today", "odometer_km": ""}, **HX)
    negative = client.post(url, {"from": "today", "odometer_km": "-5"}, **HX)
    words = client.post(url, {"from": "today", "odometer_km": "lots"})
    backwards = client.post(
        reverse("aftersales:check_in", args=[lower.pk]),
        {"from": "today", "odometer_km": "39000"},
        **HX,
    )

    assert empty.status_code == negative.status_code == words.status_code == 400
    assert "This field is required." in empty.content.decode()
    assert "Ensure this value is greater than or equal to 0." in negative.content.decode()
    assert "Enter a whole number." in words.content.decode()
    appt.refresh_from_db()
    assert appt.status == ServiceAppointment.Status.BOOKED
    # A lower reading than the last one is kept with the existing service's warning, unused.
    assert backwards.status_code == 200
    assert "Ignored: lower than the latest reading (40000 km on" in backwards.content.decode()
    lower.owned_vehicle.refresh_from_db()
    assert lower.owned_vehicle.odometer_km == 40000


@time_machine.travel(NOW, tick=False)
def test_another_locations_appointment_cannot_be_checked_in_from_today(client, workshop):
    from aftersales.models import ServiceAppointment

    _leipzig, _advisor, appointment = workshop
    appt = appointment(NOW)
    client.force_login(UserFactory(role=Role.SERVICE_ADVISOR, locations=[LocationFactory()]))

    response = client.post(
        reverse("aftersales:check_in", args=[appt.pk]),
        {"from": "today", "odometer_km": "100"},
        **HX,
    )

    assert response.status_code == 404
    appt.refresh_from_db()
    assert appt.status == ServiceAppointment.Status.BOOKED


# --- The inbox opens on what the role works on ---------------------------------------------


def _inbox_order(html: str, leads) -> list:
    body = html.split('<tbody id="inbox-rows">')[1].split("</tbody>")[0]
    found = [(body.find(f'href="{lead.get_absolute_url()}"'), lead) for lead in leads]
    return [lead for at, lead in sorted(found, key=lambda pair: pair[0]) if at >= 0]


@time_machine.travel(NOW, tick=False)
def test_a_managers_bare_inbox_shows_his_locations_unassigned_and_overdue_first(
    client, floor, django_assert_num_queries
):
    leipzig, anna, jonas, maren = floor
    second = LocationFactory(name="Porto")
    maren.locations.add(second)
    fresh = LeadFactory(
        customer=CustomerFactory(location=leipzig), assigned_to=anna, response_due_at=NOW + H
    )
    overdue = _lead(leipzig, assigned_to=jonas, response_due_at=NOW - H)
    unassigned = LeadFactory(
        customer=CustomerFactory(location=second), created_at=NOW - H * 5, response_due_at=NOW
    )
    elsewhere = LeadFactory(customer=CustomerFactory(), created_at=NOW)
    client.force_login(maren)
    client.get(reverse("leads:inbox"))  # warm the session

    # As test_manager_inbox_query_count_is_fixed: the sort adds no query.
    with django_assert_num_queries(13):
        response = client.get(reverse("leads:inbox"))

    html = response.content.decode()
    assert _inbox_order(html, [fresh, overdue, unassigned, elsewhere]) == [
        unassigned,
        overdue,
        fresh,
    ]
    assert '<option value="location" selected>My locations</option>' in html
    assert '<option value="attention" selected>Unassigned and overdue first</option>' in html
    # A sort of his own choosing still applies.
    newest = client.get(reverse("leads:inbox"), {"sort": "newest"}).content.decode()
    assert _inbox_order(newest, [fresh, overdue, unassigned]) == [fresh, overdue, unassigned]


@time_machine.travel(NOW, tick=False)
def test_a_consultants_bare_inbox_is_unchanged_newest_first(client, floor):
    leipzig, anna, jonas, _maren = floor
    older = _lead(leipzig, assigned_to=anna, response_due_at=NOW + H)
    overdue = LeadFactory(
        customer=CustomerFactory(location=leipzig),
        assigned_to=jonas,
        created_at=NOW - H * 3,
        response_due_at=NOW - H,
    )
    newer = LeadFactory(customer=CustomerFactory(location=leipzig), assigned_to=anna)
    client.force_login(anna)

    html = client.get(reverse("leads:inbox")).content.decode()

    assert _inbox_order(html, [older, overdue, newer]) == [newer, older, overdue]
    assert '<option value="attention" selected>' not in html
