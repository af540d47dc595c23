"""The conversations list (mine, my location's unassigned, by channel, unread first) and the
unread badge in the staff navigation, with fixed query counts."""

import datetime

import pytest
from django.utils import timezone

from conversations.models import Message
from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory
from tests.conversations.factories import MessageFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now() - datetime.timedelta(days=1)


def names(response):
    return [c.last_name for c in response.context["page"].object_list]


@pytest.fixture
def threads(location, consultant):
    colleague = UserFactory(role=Role.CONSULTANT, locations=[location])
    mine_read = CustomerFactory(location=location, last_name="MineRead", owner=consultant)
    mine_unread = CustomerFactory(location=location, last_name="MineUnread")
    LeadFactory(customer=mine_unread, assigned_to=consultant)
    unassigned = CustomerFactory(location=location, last_name="Unassigned")
    theirs = CustomerFactory(location=location, last_name="Theirs", owner=colleague)
    foreign = CustomerFactory(location=LocationFactory(name="Lisbon"), last_name="Foreign")
    MessageFactory(customer=mine_read, created_at=T0 + datetime.timedelta(hours=5), read_at=T0)
    MessageFactory(customer=mine_unread, created_at=T0 + datetime.timedelta(hours=1))
    MessageFactory(
        customer=mine_unread,
        created_at=T0 + datetime.timedelta(hours=2),
        channel=Message.Channel.EMAIL,
    )
    MessageFactory(customer=unassigned, created_at=T0 + datetime.timedelta(hours=3))
    MessageFactory(customer=theirs, created_at=T0 + datetime.timedelta(hours=4))
    MessageFactory(customer=foreign, created_at=T0)
    return colleague


def test_mine_lists_my_customers_unread_first(consultant_client, threads):
    response = consultant_client.get("/staff/conversations/")

    assert response.status_code == 200
    assert names(response) == ["MineUnread", "MineRead"]
    unread = {c.last_name: c.unread for c in response.context["page"].object_list}
    assert unread == {"MineUnread": 2, "MineRead": 0}


def test_my_locations_unassigned(consultant_client, threads):
    response = consultant_client.get("/staff/conversations/", {"scope": "unassigned"})

    assert names(response) == ["Unassigned"]


def test_the_whole_location_never_another_one(consultant_client, threads):
    response = consultant_client.get("/staff/conversations/", {"scope": "location"})

    # unread first (newest first among them), then the read one
    assert names(response) == ["Theirs", "Unassigned", "MineUnread", "MineRead"]


def test_by_channel(consultant_client, threads):
    response = consultant_client.get("/staff/conversations/", {"channel": "email"})

    assert names(response) == ["MineUnread"]
    assert response.context["page"].object_list[0].unread == 1


def test_a_bad_filter_falls_back_to_mine(consultant_client, threads):
    response = consultant_client.get("/staff/conversations/", {"scope": "nope", "channel": "x"})

    assert response.status_code == 200
    assert names(response) == ["MineUnread", "MineRead"]


def test_the_list_takes_a_fixed_number_of_queries(
    consultant_client, consultant, location, threads, django_assert_num_queries
):
    for _n in range(30):
        customer = CustomerFactory(location=location, owner=consultant)
        MessageFactory.create_batch(3, customer=customer)

    # session, user, roles, the page (no COUNT of the scope), the session's save, four
    # savepoints
    with django_assert_num_queries(9):
        response = consultant_client.get("/staff/conversations/", {"scope": "location"})

    assert len(response.context["page"].object_list) == 34
    assert not response.context["page"].has_other_pages


def test_pages_of_fifty_without_counting_the_scope(consultant_client, consultant, location):
    for n in range(51):
        MessageFactory(
            customer=CustomerFactory(location=location, owner=consultant, last_name=f"P{n:02}"),
            created_at=T0 + datetime.timedelta(minutes=n),
            read_at=T0,
        )

    first = consultant_client.get("/staff/conversations/")
    second = consultant_client.get("/staff/conversations/", {"page": "2"})

    assert len(names(first)) == 50
    assert names(first)[0] == "P50"  # the latest first
    assert first.context["page"].has_next
    assert "page=2" in first.content.decode()
    assert names(second) == ["P00"]
    assert not second.context["page"].has_next
    assert second.context["page"].has_previous
    assert "Page 2" in second.content.decode()


@pytest.mark.parametrize("page", ["x", "-3", "0", "99999999999999999999"])
def test_a_bad_page_number_is_not_an_error(consultant_client, threads, page):
    response = consultant_client.get("/staff/conversations/", {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number in (1, 10_000)


def test_the_navigation_loads_the_unread_badge(consultant_client, threads):
    html = consultant_client.get("/staff/leads/").content.decode()

    assert 'hx-get="/staff/conversations/unread/"' in html


def test_the_unread_badge_counts_mine_and_my_locations_unassigned(
    consultant_client, threads, django_assert_num_queries
):
    # session, user, roles, the count, the session's save, four savepoints
    with django_assert_num_queries(9):
        response = consultant_client.get("/staff/conversations/unread/")

    assert response.context["count"] == 3  # two of mine, one unassigned; not a colleague's
    assert ">3<" in response.content.decode()


def test_a_manager_counts_every_unread_message_of_the_location(client, location, threads):
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))

    assert client.get("/staff/conversations/unread/").context["count"] == 4


def test_no_unread_no_badge(consultant_client, location, consultant):
    MessageFactory(customer=CustomerFactory(location=location, owner=consultant), read_at=T0)

    response = consultant_client.get("/staff/conversations/unread/")

    assert response.context["count"] == 0
    assert "badge" not in response.content.decode()
