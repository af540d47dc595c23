"""Every staff view: who may open it, what they see, and fixed query counts."""

import datetime

import pytest
from django.utils import timezone

from dealership.accounts.roles import Role
from leads.models import Activity, Lead, LeadAssignment, LeadStatusChange, Task
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import ActivityFactory, CustomerFactory, LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_location():
    return LocationFactory(name="Lisbon branch")


@pytest.fixture
def my_lead(location, consultant):
    return LeadFactory(
        customer=CustomerFactory(location=location, last_name="Mine"), assigned_to=consultant
    )


@pytest.fixture
def foreign_lead(other_location):
    return LeadFactory(customer=CustomerFactory(location=other_location, last_name="Foreign"))


STAFF_URLS = [
    "/staff/leads/",
    "/staff/leads/pipeline/",
    "/staff/leads/tasks/",
    "/staff/customers/duplicates/",
]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_anonymous_visitors_go_to_the_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/login/?next=")


@pytest.mark.parametrize("url", STAFF_URLS)
def test_non_staff_get_403(client, url):
    client.force_login(UserFactory(is_staff=False))

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", STAFF_URLS)
def test_consultants_open_every_staff_page(consultant_client, url):
    assert consultant_client.get(url).status_code == 200


def test_inbox_shows_my_leads_not_another_branchs(consultant_client, my_lead, foreign_lead):
    html = consultant_client.get("/staff/leads/").content.decode()

    assert "Mine" in html
    assert "Foreign" not in html


def test_location_scope_shows_colleagues_leads_of_my_branch(
    consultant_client, location, foreign_lead
):
    colleague = UserFactory(role=Role.CONSULTANT, locations=[location])
    LeadFactory(
        customer=CustomerFactory(location=location, last_name="Colleagues"), assigned_to=colleague
    )

    mine = consultant_client.get("/staff/leads/?scope=mine").content.decode()
    branch = consultant_client.get("/staff/leads/?scope=location").content.decode()

    assert "Colleagues" not in mine
    assert "Colleagues" in branch
    assert "Foreign" not in branch


def _inbox_names(html: str) -> list[str]:
    body = html.split('<tbody id="inbox-rows">')[1].split("</tbody>")[0]
    return sorted(n for n in ("Mine", "Colleagues", "Foreign", "Second") if n in body)


def test_consultant_inbox_opens_on_their_location(
    consultant_client, location, my_lead, foreign_lead
):
    colleague = UserFactory(role=Role.CONSULTANT, locations=[location])
    LeadFactory(
        customer=CustomerFactory(location=location, last_name="Colleagues"), assigned_to=colleague
    )

    html = consultant_client.get("/staff/leads/").content.decode()

    assert _inbox_names(html) == ["Colleagues", "Mine"]
    assert '<option value="location" selected>' in html


def test_manager_inbox_opens_on_all_of_their_locations(client, location, my_lead, foreign_lead):
    second = LocationFactory(name="Porto branch")
    manager = UserFactory(role=Role.SALES_MANAGER, locations=[location, second])
    LeadFactory(customer=CustomerFactory(location=second, last_name="Second"))
    client.force_login(manager)

    html = client.get("/staff/leads/").content.decode()

    assert _inbox_names(html) == ["Mine", "Second"]
    assert '<option value="location" selected>' in html


def test_administrator_inbox_opens_on_every_location(client, my_lead, foreign_lead):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))

    html = client.get("/staff/leads/").content.decode()

    assert _inbox_names(html) == ["Foreign", "Mine"]
    assert '<option value="all" selected>' in html


def test_consultant_cannot_use_the_all_scope(consultant_client, other_location):
    LeadFactory(customer=CustomerFactory(location=other_location, last_name="Unassigned"))

    html = consultant_client.get("/staff/leads/?scope=all").content.decode()

    assert "Unassigned" not in html.split("<tbody")[1]


def test_inbox_filters_by_status_source_type_and_overdue(consultant_client, consultant, location):
    now = timezone.now()
    customer = CustomerFactory(location=location)
    LeadFactory(
        customer=customer,
        assigned_to=consultant,
        make="Overduecar",
        response_due_at=now - datetime.timedelta(minutes=5),
    )
    LeadFactory(
        customer=customer,
        assigned_to=consultant,
        make="Latercar",
        response_due_at=now + datetime.timedelta(minutes=5),
    )
    LeadFactory(
        customer=customer,
        assigned_to=consultant,
        make="Phonedcar",
        source=Lead.Source.PHONE,
        status=Lead.Status.CONTACTED,
    )

    overdue = consultant_client.get("/staff/leads/?overdue=on").content.decode()
    phone = consultant_client.get("/staff/leads/?source=phone").content.decode()
    contacted = consultant_client.get("/staff/leads/?status=contacted").content.decode()
    trade_in = consultant_client.get("/staff/leads/?type=trade_in").content.decode()

    assert "Overduecar" in overdue
    assert "Latercar" not in overdue
    assert "Phonedcar" not in overdue
    assert "overdue by 5 min" in overdue
    assert "Phonedcar" in phone
    assert "Overduecar" not in phone
    assert "Phonedcar" in contacted
    assert "Latercar" not in contacted
    assert "No leads match." in trade_in


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hoffmann", True),
        ("Lena Hoff", True),
        ("LENA.SEARCH@EXAMPLE.DE", True),
        ("0151 99988877", True),
        ("WVWZZZCDZNW123456", True),
        ("Schmidt", False),
    ],
)
def test_inbox_search_by_name_email_phone_and_vin(
    consultant_client, consultant, location, query, expected
):
    customer = CustomerFactory(
        location=location,
        first_name="Lena",
        last_name="Hoffmann",
        email="lena.search@example.de",
        mobile_phone="+4915199988877",
    )
    LeadFactory(customer=customer, assigned_to=consultant, vin="WVWZZZCDZNW123456", make="Found")

    html = consultant_client.get("/staff/leads/", {"q": query}).content.decode()

    assert ("Found" in html) is expected


def test_inbox_query_count_is_fixed(client, consultant, location, django_assert_num_queries):
    client.force_login(consultant)
    for _ in range(12):
        LeadFactory(customer=CustomerFactory(location=location), assigned_to=consultant)

    # Savepoint, session, user, groups (role check), the page's lead ids, those leads
    # (customers, locations and assignees joined), availability, release; then the session
    # save in its own savepoint (3).
    with django_assert_num_queries(11):
        response = client.get("/staff/leads/?status=open&sort=due")

    assert response.status_code == 200
    assert response.content.decode().count("/staff/leads/") >= 12


def test_manager_inbox_query_count_is_fixed(client, manager, location, django_assert_num_queries):
    client.force_login(manager)
    for _ in range(8):
        LeadFactory(customer=CustomerFactory(location=location))

    # As for a consultant, plus the consultants for the bulk reassignment and the manager's
    # second-factor device.
    with django_assert_num_queries(13):
        response = client.get("/staff/leads/?scope=location")

    assert response.status_code == 200


def test_lead_detail_of_another_branch_is_404(consultant_client, foreign_lead):
    assert consultant_client.get(f"/staff/leads/{foreign_lead.pk}/").status_code == 404
    response = consultant_client.post(
        f"/staff/leads/{foreign_lead.pk}/activity/",
        {"kind": "note", "direction": "outbound", "body": "x"},
    )
    assert response.status_code == 404
    assert Activity.objects.count() == 0


def test_consultant_logs_a_call_which_answers_the_lead(consultant_client, consultant, my_lead):
    response = consultant_client.post(
        f"/staff/leads/{my_lead.pk}/activity/",
        {
            "kind": "call",
            "direction": "outbound",
            "outcome": "reached",
            "body": "Wants a test drive",
        },
    )

    assert response.status_code == 302
    my_lead.refresh_from_db()
    activity = Activity.objects.get()
    assert (activity.kind, activity.outcome, activity.user) == ("call", "reached", consultant)
    assert my_lead.first_response_at == activity.occurred_at
    assert my_lead.status == Lead.Status.CONTACTED
    assert my_lead.contacted_at is not None


def test_a_call_without_outcome_is_refused(consultant_client, my_lead):
    response = consultant_client.post(
        f"/staff/leads/{my_lead.pk}/activity/", {"kind": "call", "direction": "outbound"}
    )

    assert response.status_code == 400
    assert "Record the outcome of the call." in response.content.decode()
    assert Activity.objects.count() == 0


def test_moving_a_lead_records_the_stage_time_and_history(consultant_client, consultant, my_lead):
    response = consultant_client.post(
        f"/staff/leads/{my_lead.pk}/status/", {"to_status": "qualified"}
    )

    assert response.status_code == 302
    my_lead.refresh_from_db()
    assert my_lead.status == Lead.Status.QUALIFIED
    assert my_lead.qualified_at is not None
    change = LeadStatusChange.objects.get()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "new",
        "qualified",
        consultant,
    )


def test_lost_needs_a_reason(consultant_client, my_lead):
    response = consultant_client.post(f"/staff/leads/{my_lead.pk}/status/", {"to_status": "lost"})

    assert response.status_code == 400
    assert "Say why the lead was lost." in response.content.decode()
    my_lead.refresh_from_db()
    assert my_lead.status == Lead.Status.NEW
    assert LeadStatusChange.objects.count() == 0


def test_a_won_lead_cannot_move_back(consultant_client, my_lead):
    consultant_client.post(f"/staff/leads/{my_lead.pk}/status/", {"to_status": "won"})

    response = consultant_client.post(
        f"/staff/leads/{my_lead.pk}/status/", {"to_status": "negotiation"}
    )

    assert response.status_code == 400
    assert "A lead cannot move from “Won” to “Negotiation”." in response.content.decode()
    assert LeadStatusChange.objects.count() == 1


def test_manager_bulk_reassigns(client, manager, location):
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    leads = [LeadFactory(customer=CustomerFactory(location=location)) for _ in range(3)]
    client.force_login(manager)

    response = client.post(
        "/staff/leads/bulk-assign/", {"leads": [lead.pk for lead in leads], "to_user": anna.pk}
    )

    assert response.status_code == 302
    assert Lead.objects.filter(assigned_to=anna).count() == 3
    assert LeadAssignment.objects.filter(reason="manual", assigned_by=manager).count() == 3


def test_bulk_reassign_is_for_managers_only(consultant_client, location, consultant, my_lead):
    response = consultant_client.post(
        "/staff/leads/bulk-assign/", {"leads": [my_lead.pk], "to_user": consultant.pk}
    )

    assert response.status_code == 403


def test_manager_cannot_bulk_reassign_another_branchs_leads(
    client, manager, location, foreign_lead
):
    anna = UserFactory(role=Role.CONSULTANT, locations=[location])
    client.force_login(manager)

    client.post("/staff/leads/bulk-assign/", {"leads": [foreign_lead.pk], "to_user": anna.pk})

    foreign_lead.refresh_from_db()
    assert foreign_lead.assigned_to is None
    assert LeadAssignment.objects.count() == 0


def test_availability_toggle(consultant_client, consultant):
    consultant_client.post("/staff/leads/availability/", {"available": "0"})

    html = consultant_client.get("/staff/leads/").content.decode()
    assert "You are off duty: new leads are not assigned to you." in html
    assert consultant.lead_availability.is_available is False


def test_my_tasks_lists_overdue_first_and_only_mine(consultant_client, consultant, location):
    now = timezone.now()
    TaskFactory(owner=consultant, title="Later task", due_at=now + datetime.timedelta(days=1))
    TaskFactory(owner=consultant, title="Overdue task", due_at=now - datetime.timedelta(hours=2))
    TaskFactory(owner=UserFactory(), title="Someone else's")
    TaskFactory(owner=consultant, title="Finished", completed_at=now)

    html = consultant_client.get("/staff/leads/tasks/").content.decode()

    assert html.index("Overdue task") < html.index("Later task")
    assert "Someone else" not in html
    assert "Finished" not in html


def test_completing_someone_elses_task_is_404(consultant_client):
    task = TaskFactory(owner=UserFactory())

    assert consultant_client.post(f"/staff/leads/tasks/{task.pk}/done/").status_code == 404
    task.refresh_from_db()
    assert task.completed_at is None


def test_adding_a_task_reads_the_time_in_the_branch_time_zone(
    consultant_client, consultant, my_lead
):
    consultant_client.post(
        f"/staff/leads/{my_lead.pk}/task/", {"title": "Send offer", "due_at": "2026-07-01T09:30"}
    )

    task = Task.objects.get()
    assert task.due_at == datetime.datetime(2026, 7, 1, 7, 30, tzinfo=datetime.UTC)
    assert task.owner == consultant


def test_customer_360_of_another_branch_is_404(consultant_client, foreign_lead):
    assert consultant_client.get(f"/staff/customers/{foreign_lead.customer_id}/").status_code == 404


def test_customer_360_shows_leads_activities_and_tasks(consultant_client, my_lead, consultant):
    ActivityFactory(customer=my_lead.customer, lead=my_lead, body="Talked about winter tyres")
    TaskFactory(customer=my_lead.customer, owner=consultant, title="Send the offer")

    html = consultant_client.get(f"/staff/customers/{my_lead.customer_id}/").content.decode()

    assert "Talked about winter tyres" in html
    assert "Send the offer" in html
    assert "Vehicle enquiry received (Website form)" in html


def test_customer_360_query_count_is_fixed(client, consultant, location, django_assert_num_queries):
    client.force_login(consultant)
    customer = CustomerFactory(location=location)
    for _ in range(5):
        lead = LeadFactory(customer=customer, assigned_to=consultant)
        ActivityFactory(customer=customer, lead=lead, user=consultant)
        TaskFactory(customer=customer, lead=lead, owner=consultant)

    # Savepoint, session, user, groups; the customer, leads, activities, open tasks, merges,
    # outbox messages; consent and suppression for email and for SMS (4); release; then the
    # session save in its own savepoint (3); the timeline providers other apps register
    # (after-sales: owned vehicles, service visits, complaints: 3). The same for 5 leads or 500.
    with django_assert_num_queries(21):
        response = client.get(f"/staff/customers/{customer.pk}/")

    assert response.status_code == 200


def test_pipeline_shows_columns_with_counts(client, manager, location, other_location):
    LeadFactory.create_batch(2, customer=CustomerFactory(location=location))
    LeadFactory(customer=CustomerFactory(location=location), status=Lead.Status.QUALIFIED)
    LeadFactory(customer=CustomerFactory(location=other_location))
    client.force_login(manager)

    response = client.get("/staff/leads/pipeline/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="col-new">New <span class="badge text-bg-secondary">2</span>' in html
    assert 'id="col-qualified">Qualified <span class="badge text-bg-secondary">1</span>' in html


def test_pipeline_of_a_location_i_do_not_work_at_is_404(client, manager, other_location):
    client.force_login(manager)

    assert client.get(f"/staff/leads/pipeline/?location={other_location.pk}").status_code == 404


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("", None),
        ("activity/", {"kind": "note", "direction": "outbound", "body": "x"}),
        ("status/", {"to_status": "contacted"}),
        ("hand-back/", {"reason": "x"}),
        ("transfer/", {"to_user": "1", "reason": "x"}),
        ("task/", {"title": "Call", "due_at": "2026-07-01T09:30"}),
    ],
)
def test_every_lead_view_is_404_for_another_branchs_lead(
    consultant_client, foreign_lead, suffix, data
):
    url = f"/staff/leads/{foreign_lead.pk}/{suffix}"

    response = consultant_client.get(url) if data is None else consultant_client.post(url, data)

    assert response.status_code == 404
    foreign_lead.refresh_from_db()
    assert foreign_lead.status == Lead.Status.NEW
    assert foreign_lead.assigned_to is None
    assert Activity.objects.count() == 0
    assert Task.objects.count() == 0
    assert LeadStatusChange.objects.count() == 0


def test_reassigning_another_branchs_lead_is_404_for_a_manager(client, manager, foreign_lead):
    # Consultants may not reassign at all (403, tests/leads/test_transfers.py).
    client.force_login(manager)

    response = client.post(f"/staff/leads/{foreign_lead.pk}/assign/", {"to_user": manager.pk})

    assert response.status_code == 404
    foreign_lead.refresh_from_db()
    assert foreign_lead.assigned_to is None


@pytest.mark.parametrize(
    "url",
    [
        "/staff/leads/1/activity/",
        "/staff/leads/1/status/",
        "/staff/leads/1/assign/",
        "/staff/leads/1/hand-back/",
        "/staff/leads/1/transfer/",
        "/staff/leads/transfers/1/approve/",
        "/staff/leads/transfers/1/refuse/",
        "/staff/leads/1/task/",
        "/staff/leads/bulk-assign/",
        "/staff/leads/availability/",
        "/staff/customers/merge/",
        "/staff/leads/tasks/1/done/",
    ],
)
def test_anonymous_posts_go_to_the_login_and_change_nothing(client, url):
    response = client.post(url, {})

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/login/")


def test_an_administrator_sees_every_branch(client, location, other_location):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_superuser=True)
    LeadFactory(customer=CustomerFactory(location=location, last_name="Leipzigcustomer"))
    LeadFactory(customer=CustomerFactory(location=other_location, last_name="Lisboncustomer"))
    client.force_login(admin)

    html = client.get("/staff/leads/?scope=all").content.decode()

    assert "Leipzigcustomer" in html
    assert "Lisboncustomer" in html


def test_inbox_and_lead_page_show_the_locations_wall_clock_time(consultant_client, consultant):
    lisbon = LocationFactory(name="Lisboa", time_zone="Europe/Lisbon", country="PT")
    berlin = consultant.locations.get()
    consultant.locations.add(lisbon)
    received = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
    in_berlin = LeadFactory(customer__location=berlin, assigned_to=consultant, created_at=received)
    in_lisbon = LeadFactory(customer__location=lisbon, assigned_to=consultant, created_at=received)

    inbox = consultant_client.get("/staff/leads/").content.decode()
    berlin_page = consultant_client.get(f"/staff/leads/{in_berlin.pk}/").content.decode()
    lisbon_page = consultant_client.get(f"/staff/leads/{in_lisbon.pk}/").content.decode()

    # 12:00 UTC is 13:00 in Berlin and 12:00 in Lisbon (winter time).
    assert '<time datetime="2026-01-15T12:00:00+00:00">15 Jan 2026, 13:00 CET</time>' in inbox
    assert '<time datetime="2026-01-15T12:00:00+00:00">15 Jan 2026, 12:00 WET</time>' in inbox
    assert "15 Jan 2026, 13:00 CET</time> (" in berlin_page
    assert "15 Jan 2026, 12:00 WET</time> (" in lisbon_page
