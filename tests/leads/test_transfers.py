"""Manager control over who works a lead: only managers reassign; a consultant hands their
lead back to the pool or asks for a transfer to a colleague, which a manager approves or
refuses."""

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dealership.accounts.models import AuditEvent
from dealership.accounts.roles import Role
from leads.models import Lead, LeadAssignment, TransferRequest
from leads.services import (
    lead_hand_back,
    transfer_request_approve,
    transfer_request_create,
    transfer_request_refuse,
)
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(location):
    return UserFactory(role=Role.CONSULTANT, locations=[location], username="anna")


@pytest.fixture
def jonas(location):
    return UserFactory(
        role=Role.CONSULTANT,
        locations=[location],
        username="jonas",
        first_name="Jonas",
        last_name="Becker",
    )


@pytest.fixture
def lead(location, anna):
    return LeadFactory(
        customer=CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann"),
        assigned_to=anna,
    )


@pytest.fixture
def other_location_lead(anna):
    other = LocationFactory()
    return LeadFactory(
        customer=CustomerFactory(location=other),
        assigned_to=UserFactory(role=Role.CONSULTANT, locations=[other]),
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _request(lead, by, to_user, reason="Jonas speaks Polish with the customer") -> TransferRequest:
    return transfer_request_create(lead=lead, by=by, to_user=to_user, reason=reason)


# --- Reassigning is a manager's right -------------------------------------------------------


def test_a_consultant_may_not_reassign_and_nothing_changes(lead, anna, jonas):
    response = _client(anna).post(
        reverse("leads:lead_assign", args=[lead.pk]), {"to_user": jonas.pk}
    )

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.assigned_to == anna
    assert LeadAssignment.objects.count() == 0


def test_a_manager_reassigns(lead, manager, jonas):
    response = _client(manager).post(
        reverse("leads:lead_assign", args=[lead.pk]), {"to_user": jonas.pk}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.assigned_to == jonas
    assert LeadAssignment.objects.get().reason == LeadAssignment.Reason.MANUAL


def test_a_consultant_may_not_bulk_reassign(lead, anna, jonas):
    response = _client(anna).post(
        reverse("leads:bulk_assign"), {"leads": [lead.pk], "to_user": jonas.pk}
    )

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.assigned_to == anna


def test_the_consultants_lead_page_shows_no_reassign_control_but_hand_on_forms(lead, anna):
    html = unescape(_client(anna).get(lead.get_absolute_url()).content.decode())

    assert reverse("leads:lead_assign", args=[lead.pk]) not in html
    assert reverse("leads:lead_hand_back", args=[lead.pk]) in html
    assert reverse("leads:lead_transfer", args=[lead.pk]) in html
    assert '<label for="hand-back-id_reason"' in html or 'for="hand-back-reason"' in html
    assert 'for="transfer-to_user"' in html
    assert 'for="transfer-reason"' in html


def test_the_managers_lead_page_shows_the_reassign_form_and_no_hand_on_forms(lead, manager):
    html = _client(manager).get(lead.get_absolute_url()).content.decode()

    assert reverse("leads:lead_assign", args=[lead.pk]) in html
    assert reverse("leads:lead_hand_back", args=[lead.pk]) not in html
    assert reverse("leads:lead_transfer", args=[lead.pk]) not in html


# --- Hand back to the pool ------------------------------------------------------------------


def test_hand_back_unassigns_with_the_reason_logged_and_audited(lead, anna):
    entry = lead_hand_back(lead=lead, by=anna, reason="  Customer wants  a female consultant ")

    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert entry.from_user == anna
    assert entry.to_user is None
    assert entry.reason == LeadAssignment.Reason.HANDED_BACK
    assert entry.note == "Customer wants a female consultant"
    event = AuditEvent.objects.get(target_id=str(lead.pk))
    assert event.actor == anna
    assert event.changes == {
        "assigned_to": [anna.pk, None],
        "handed_back": "Customer wants a female consultant",
    }


def test_a_handed_back_lead_is_in_the_locations_unassigned_queue(client, lead, anna, jonas):
    lead_hand_back(lead=lead, by=anna, reason="On holiday from tomorrow")
    client.force_login(jonas)

    response = client.get(reverse("leads:inbox"), {"scope": "location"})

    rows = response.context["leads"]
    assert [(row["pk"], row["assigned"]) for row in rows] == [(lead.pk, "Unassigned")]


def test_hand_back_by_view_redirects_and_shows_the_history(lead, anna):
    client = _client(anna)

    response = client.post(
        reverse("leads:lead_hand_back", args=[lead.pk]), {"reason": "On holiday from tomorrow"}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.assigned_to is None
    page = unescape(client.get(lead.get_absolute_url()).content.decode())
    assert "Handed back to the pool" in page
    assert "On holiday from tomorrow" in page


def test_hand_back_without_a_reason_is_400_and_changes_nothing(lead, anna):
    response = _client(anna).post(reverse("leads:lead_hand_back", args=[lead.pk]), {"reason": " "})

    assert response.status_code == 400
    assert "Say why you hand the lead back." in unescape(response.content.decode())
    lead.refresh_from_db()
    assert lead.assigned_to == anna
    assert LeadAssignment.objects.count() == 0


def test_a_colleagues_lead_may_not_be_handed_back(lead, jonas):
    response = _client(jonas).post(
        reverse("leads:lead_hand_back", args=[lead.pk]), {"reason": "Not mine but still"}
    )

    assert response.status_code == 403
    assert "Only the lead's consultant may hand it back." in unescape(response.content.decode())
    lead.refresh_from_db()
    assert lead.assigned_to is not None
    assert LeadAssignment.objects.count() == 0


def test_another_locations_lead_is_404_for_hand_back_and_transfer(other_location_lead, anna, jonas):
    client = _client(anna)
    url_back = reverse("leads:lead_hand_back", args=[other_location_lead.pk])
    url_transfer = reverse("leads:lead_transfer", args=[other_location_lead.pk])

    assert client.post(url_back, {"reason": "x"}).status_code == 404
    assert client.post(url_transfer, {"reason": "x", "to_user": jonas.pk}).status_code == 404
    assert TransferRequest.objects.count() == 0
    assert LeadAssignment.objects.count() == 0


def test_the_service_refuses_hand_back_by_someone_else(lead, jonas):
    with pytest.raises(PermissionDenied):
        lead_hand_back(lead=lead, by=jonas, reason="Not mine")

    lead.refresh_from_db()
    assert lead.assigned_to is not None


def test_hand_back_refuses_the_consultants_pending_transfer(lead, anna, jonas):
    transfer = _request(lead, anna, jonas)

    lead_hand_back(lead=lead, by=anna, reason="Changed my mind: the pool it is")

    transfer.refresh_from_db()
    assert transfer.state == TransferRequest.State.REFUSED
    assert transfer.decided_by == anna
    assert transfer.decided_at is not None


# --- Transfer requests ----------------------------------------------------------------------


def test_a_consultant_requests_a_transfer_by_view(lead, anna, jonas):
    response = _client(anna).post(
        reverse("leads:lead_transfer", args=[lead.pk]),
        {"to_user": jonas.pk, "reason": "Jonas sold them their last car"},
    )

    assert response.status_code == 302
    transfer = TransferRequest.objects.get()
    assert (transfer.lead, transfer.requested_by, transfer.to_user) == (lead, anna, jonas)
    assert transfer.reason == "Jonas sold them their last car"
    assert transfer.state == TransferRequest.State.PENDING
    assert transfer.decided_at is None
    lead.refresh_from_db()
    assert lead.assigned_to == anna  # until a manager approves
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 1


def test_a_transfer_request_without_a_reason_is_400(lead, anna, jonas):
    response = _client(anna).post(
        reverse("leads:lead_transfer", args=[lead.pk]), {"to_user": jonas.pk, "reason": ""}
    )

    assert response.status_code == 400
    assert "Say why the lead should go to your colleague." in unescape(response.content.decode())
    assert TransferRequest.objects.count() == 0


def test_a_transfer_to_someone_of_another_location_is_400(lead, anna):
    stranger = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])

    response = _client(anna).post(
        reverse("leads:lead_transfer", args=[lead.pk]), {"to_user": stranger.pk, "reason": "x"}
    )

    assert response.status_code == 400
    assert TransferRequest.objects.count() == 0


def test_a_colleagues_lead_may_not_be_transferred_by_me(lead, jonas, location):
    third = UserFactory(role=Role.CONSULTANT, locations=[location])

    response = _client(jonas).post(
        reverse("leads:lead_transfer", args=[lead.pk]), {"to_user": third.pk, "reason": "Mine!"}
    )

    assert response.status_code == 403
    assert TransferRequest.objects.count() == 0


def test_the_service_refuses_a_transfer_to_oneself_or_a_stranger(lead, anna):
    stranger = UserFactory(role=Role.CONSULTANT, locations=[LocationFactory()])

    with pytest.raises(ValidationError) as to_self:
        _request(lead, anna, anna)
    with pytest.raises(ValidationError) as to_stranger:
        _request(lead, anna, stranger)

    assert to_self.value.message_dict == {"to_user": ["Choose a colleague, not yourself."]}
    assert "is not a consultant at" in to_stranger.value.message_dict["to_user"][0]
    assert TransferRequest.objects.count() == 0


def test_one_pending_request_per_lead(lead, anna, jonas, location):
    _request(lead, anna, jonas)
    third = UserFactory(role=Role.CONSULTANT, locations=[location])

    with pytest.raises(ValidationError) as error:
        _request(lead, anna, third)

    assert error.value.messages == ["This lead already has a transfer request pending."]
    assert TransferRequest.objects.count() == 1


def test_the_database_allows_one_pending_request_per_lead(lead, anna, jonas):
    _request(lead, anna, jonas)

    with pytest.raises(IntegrityError), transaction.atomic():
        TransferRequest.objects.create(
            lead=lead, requested_by=anna, to_user=jonas, reason="again", requested_at=timezone.now()
        )


def test_a_new_request_may_follow_a_refused_one(lead, anna, jonas, manager):
    transfer_request_refuse(
        transfer=_request(lead, anna, jonas), by=manager, reason="Jonas is full"
    )

    again = _request(lead, anna, jonas, reason="Jonas has room now")

    assert again.state == TransferRequest.State.PENDING
    assert TransferRequest.objects.count() == 2


def test_a_second_request_by_view_is_400(lead, anna, jonas, location):
    _request(lead, anna, jonas)
    third = UserFactory(role=Role.CONSULTANT, locations=[location])

    response = _client(anna).post(
        reverse("leads:lead_transfer", args=[lead.pk]), {"to_user": third.pk, "reason": "Or her"}
    )

    # The form is not offered while one is pending, and a post anyway changes nothing.
    assert response.status_code == 400
    assert TransferRequest.objects.count() == 1


# --- A manager decides ----------------------------------------------------------------------


def test_approve_reassigns_through_the_assignment_service(lead, anna, jonas, manager):
    transfer = _request(lead, anna, jonas)

    transfer_request_approve(transfer=transfer, by=manager)

    lead.refresh_from_db()
    transfer.refresh_from_db()
    assert lead.assigned_to == jonas
    assert transfer.state == TransferRequest.State.APPROVED
    assert transfer.decided_by == manager
    assert transfer.decided_at is not None
    entry = LeadAssignment.objects.get()
    assert (entry.from_user, entry.to_user, entry.assigned_by) == (anna, jonas, manager)
    assert entry.reason == LeadAssignment.Reason.TRANSFER
    assert entry.note == "Jonas speaks Polish with the customer"
    lead_event = AuditEvent.objects.get(target_id=str(lead.pk), target_type__model="lead")
    assert lead_event.changes == {"assigned_to": [anna.pk, jonas.pk]}


def test_approve_by_view(lead, anna, jonas, manager):
    transfer = _request(lead, anna, jonas)

    response = _client(manager).post(reverse("leads:transfer_approve", args=[transfer.pk]))

    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
    lead.refresh_from_db()
    assert lead.assigned_to == jonas


def test_approve_twice_is_400_with_a_message(lead, anna, jonas, manager):
    transfer = _request(lead, anna, jonas)
    client = _client(manager)
    client.post(reverse("leads:transfer_approve", args=[transfer.pk]))

    response = client.post(reverse("leads:transfer_approve", args=[transfer.pk]))

    assert response.status_code == 400
    assert "This transfer request was already approved." in response.content.decode()
    assert LeadAssignment.objects.count() == 1


def test_refuse_keeps_the_lead_and_records_why(lead, anna, jonas, manager):
    transfer = _request(lead, anna, jonas)

    response = _client(manager).post(
        reverse("leads:transfer_refuse", args=[transfer.pk]),
        {"reason": "Jonas is fully booked", "next": reverse("leads:transfers")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:transfers")
    transfer.refresh_from_db()
    lead.refresh_from_db()
    assert transfer.state == TransferRequest.State.REFUSED
    assert transfer.decision_reason == "Jonas is fully booked"
    assert transfer.decided_by == manager
    assert lead.assigned_to == anna
    assert LeadAssignment.objects.count() == 0


def test_refuse_without_a_reason_is_400_and_stays_pending(lead, anna, jonas, manager):
    transfer = _request(lead, anna, jonas)

    response = _client(manager).post(
        reverse("leads:transfer_refuse", args=[transfer.pk]), {"reason": ""}
    )

    assert response.status_code == 400
    assert "Say why you refuse the transfer." in unescape(response.content.decode())
    transfer.refresh_from_db()
    assert transfer.state == TransferRequest.State.PENDING


def test_consultants_may_not_approve_or_refuse(lead, anna, jonas):
    transfer = _request(lead, anna, jonas)

    for user in (anna, jonas):
        client = _client(user)
        assert client.post(reverse("leads:transfer_approve", args=[transfer.pk])).status_code == 403
        assert (
            client.post(
                reverse("leads:transfer_refuse", args=[transfer.pk]), {"reason": "no"}
            ).status_code
            == 403
        )
        assert client.get(reverse("leads:transfers")).status_code == 403
    transfer.refresh_from_db()
    assert transfer.state == TransferRequest.State.PENDING


def test_a_manager_of_another_location_gets_404_and_the_service_refuses_them(lead, anna, jonas):
    transfer = _request(lead, anna, jonas)
    outsider = UserFactory(role=Role.SALES_MANAGER, locations=[LocationFactory()])
    client = _client(outsider)

    assert client.post(reverse("leads:transfer_approve", args=[transfer.pk])).status_code == 404
    assert (
        client.post(reverse("leads:transfer_refuse", args=[transfer.pk]), {"reason": "no"})
    ).status_code == 404
    with pytest.raises(PermissionDenied):
        transfer_request_approve(transfer=transfer, by=outsider)
    transfer.refresh_from_db()
    lead.refresh_from_db()
    assert transfer.state == TransferRequest.State.PENDING
    assert lead.assigned_to == anna


def test_the_managers_lead_page_shows_the_pending_request_with_its_buttons(
    lead, anna, jonas, manager
):
    transfer = _request(lead, anna, jonas)

    html = unescape(_client(manager).get(lead.get_absolute_url()).content.decode())

    assert "Transfer requested" in html
    assert "asks to hand this lead to Jonas Becker" in html
    assert reverse("leads:transfer_approve", args=[transfer.pk]) in html
    assert reverse("leads:transfer_refuse", args=[transfer.pk]) in html
    assert f'for="refuse-{transfer.pk}-reason"' in html


# --- The list page --------------------------------------------------------------------------


def test_the_list_shows_the_pending_requests_of_the_managers_locations_only(
    lead, anna, jonas, manager, other_location_lead
):
    mine = _request(lead, anna, jonas)
    other_colleague = UserFactory(role=Role.CONSULTANT, locations=[other_location_lead.location])
    _request(other_location_lead, other_location_lead.assigned_to, other_colleague)
    decided = LeadFactory(customer=CustomerFactory(location=lead.location), assigned_to=anna)
    transfer_request_refuse(transfer=_request(decided, anna, jonas), by=manager, reason="No")

    response = _client(manager).get(reverse("leads:transfers"))

    assert response.status_code == 200
    assert [t.pk for t in response.context["transfers"]] == [mine.pk]
    assert "Jonas speaks Polish with the customer" in response.content.decode()


def test_the_list_page_query_count_is_fixed(location, manager, django_assert_num_queries):
    consultants = [UserFactory(role=Role.CONSULTANT, locations=[location]) for _ in range(3)]

    def add(count):
        for _ in range(count):
            lead = LeadFactory(
                customer=CustomerFactory(location=location), assigned_to=consultants[0]
            )
            _request(lead, consultants[0], consultants[1])

    add(1)
    client = _client(manager)
    # Session, user, the second factor's device, savepoint, groups (role check), the
    # requests (lead, customer, location and both users joined; the manager's locations as
    # a subquery), release; then the session save in its own savepoint (3).
    with django_assert_num_queries(LIST_QUERIES):
        first = client.get(reverse("leads:transfers"))
    add(6)
    with django_assert_num_queries(LIST_QUERIES):
        second = client.get(reverse("leads:transfers"))

    assert first.status_code == second.status_code == 200
    assert len(second.context["transfers"]) == 7


LIST_QUERIES = 10


def test_lead_status_unchanged_by_transfers(lead, anna, jonas, manager):
    transfer_request_approve(transfer=_request(lead, anna, jonas), by=manager)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW
