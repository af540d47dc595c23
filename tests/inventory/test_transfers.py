"""Cars between locations: a manager of the destination asks, a manager of the car's location
decides and dispatches, the destination confirms the arrival (the car's location changes, the
showroom hears at once); test drives and orders at the destination from the ETA on."""

import datetime
import re
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from dealership.accounts.roles import Role
from inventory.models import Vehicle, VehicleTransfer, VehicleTransferEvent
from inventory.selectors import facets_cache_version
from inventory.transfers import (
    transfer_approve,
    transfer_arrive,
    transfer_cancel,
    transfer_dispatch,
    transfer_reject,
    transfer_request,
)
from leads.services import consultant_set_availability
from testdrives.selectors import vehicle_availability
from testdrives.services import booking_create_by_staff
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db

TS = VehicleTransfer.Status
# The request page with a search: the same for every search (session, user, locations, the
# managed locations, the cars, their count).
QUERIES_NEW_WITH_SEARCH = 13
# Monday 7 December 2026, 10:00 in Berlin.
NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
ETA = datetime.date(2026, 12, 10)  # Thursday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def dresden():
    return LocationFactory(slug="dresden", name="Showroom Dresden", city="Dresden")


@pytest.fixture
def leipzig():
    return LocationFactory(slug="leipzig", name="Showroom Leipzig", city="Leipzig")


@pytest.fixture
def car(dresden):
    return VehicleFactory(location=dresden, stock_number="D1001", make="Skoda", model="Octavia")


@pytest.fixture
def dresden_manager(dresden):
    return UserFactory(username="mgr-dresden", role=Role.SALES_MANAGER, locations=[dresden])


@pytest.fixture
def leipzig_manager(leipzig):
    return UserFactory(username="mgr-leipzig", role=Role.SALES_MANAGER, locations=[leipzig])


def _request(car, leipzig, leipzig_manager, **extra):
    return transfer_request(
        vehicle=car,
        to_location=leipzig,
        by=leipzig_manager,
        reason="Customer wants an estate in Leipzig",
        for_lead_id=42,
        **extra,
    )


def _client(client, user):
    client.force_login(user)
    return client


# --- the services -----------------------------------------------------------------------


def test_a_destination_manager_requests_a_car_with_reason_and_lead(car, leipzig, leipzig_manager):
    transfer = _request(car, leipzig, leipzig_manager, for_note="Herr Weber")

    transfer.refresh_from_db()
    assert transfer.status == TS.REQUESTED
    assert transfer.from_location_id == car.location_id
    assert transfer.to_location == leipzig
    assert transfer.requested_by == leipzig_manager
    assert (transfer.for_lead_id, transfer.for_customer_id, transfer.for_note) == (
        42,
        None,
        "Herr Weber",
    )
    event = transfer.events.get()
    assert (event.from_status, event.to_status, event.by) == ("", TS.REQUESTED, leipzig_manager)


def test_only_managers_of_the_destination_may_request(car, leipzig, dresden_manager):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[leipzig])
    for user in (dresden_manager, consultant):
        with pytest.raises(PermissionDenied):
            _request(car, leipzig, user)
    assert not VehicleTransfer.objects.exists()


def test_a_car_cannot_be_requested_twice_nor_when_sold_or_already_there(
    car, dresden, leipzig, leipzig_manager
):
    _request(car, leipzig, leipzig_manager)
    with pytest.raises(ValidationError, match="already has a transfer under way"):
        _request(car, leipzig, leipzig_manager)
    sold = VehicleFactory(location=dresden, status=Vehicle.Status.SOLD)
    with pytest.raises(ValidationError, match="“Sold” cannot be transferred"):
        _request(sold, leipzig, leipzig_manager)
    here = VehicleFactory(location=leipzig)
    with pytest.raises(ValidationError, match="already at Showroom Leipzig"):
        _request(here, leipzig, leipzig_manager)
    with pytest.raises(ValidationError, match="Say why"):
        transfer_request(vehicle=car, to_location=leipzig, by=leipzig_manager, reason="  ")
    assert VehicleTransfer.objects.count() == 1


def test_the_car_location_decides_the_destination_may_not(
    car, leipzig, leipzig_manager, dresden_manager
):
    transfer = _request(car, leipzig, leipzig_manager)

    with pytest.raises(PermissionDenied, match="Only a manager of Showroom Dresden"):
        transfer_approve(transfer=transfer, by=leipzig_manager)
    transfer.refresh_from_db()
    assert transfer.status == TS.REQUESTED

    transfer_approve(transfer=transfer, by=dresden_manager, note="Fine")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.approved_by, transfer.decision_note) == (
        TS.APPROVED,
        dresden_manager,
        "Fine",
    )
    with pytest.raises(ValidationError, match="already “Approved”"):
        transfer_approve(transfer=transfer, by=dresden_manager)
    with pytest.raises(ValidationError, match="“Approved” cannot become “Rejected”"):
        transfer_reject(transfer=transfer, by=dresden_manager, note="No")


def test_reject_needs_a_reason_and_keeps_the_car(car, leipzig, leipzig_manager, dresden_manager):
    transfer = _request(car, leipzig, leipzig_manager)
    with pytest.raises(ValidationError, match="Say why you reject"):
        transfer_reject(transfer=transfer, by=dresden_manager, note="")

    transfer_reject(transfer=transfer, by=dresden_manager, note="Promised to a local buyer")

    transfer.refresh_from_db()
    car.refresh_from_db()
    assert transfer.status == TS.REJECTED
    assert transfer.decision_note == "Promised to a local buyer"
    assert car.location_id == transfer.from_location_id
    # Closed: the car may be asked for again.
    assert _request(car, leipzig, leipzig_manager).status == TS.REQUESTED


def test_approval_refused_when_the_car_was_reserved_meanwhile(
    car, leipzig, leipzig_manager, dresden_manager
):
    transfer = _request(car, leipzig, leipzig_manager)
    Vehicle.objects.filter(pk=car.pk).update(status=Vehicle.Status.RESERVED)

    with pytest.raises(ValidationError, match="“Reserved” now and cannot be transferred"):
        transfer_approve(transfer=transfer, by=dresden_manager)
    transfer.refresh_from_db()
    assert transfer.status == TS.REQUESTED


def test_dispatch_then_arrival_moves_the_car_and_keeps_the_history(
    frozen,
    car,
    dresden,
    leipzig,
    leipzig_manager,
    dresden_manager,
    django_capture_on_commit_callbacks,
):
    transfer = _request(car, leipzig, leipzig_manager)
    transfer_approve(transfer=transfer, by=dresden_manager)

    with pytest.raises(ValidationError, match="cannot be in the past"):
        transfer_dispatch(transfer=transfer, by=dresden_manager, eta=datetime.date(2026, 12, 6))
    with pytest.raises(PermissionDenied):
        transfer_dispatch(transfer=transfer, by=leipzig_manager, eta=ETA)

    before = facets_cache_version()
    with django_capture_on_commit_callbacks(execute=True):
        transfer_dispatch(transfer=transfer, by=dresden_manager, eta=ETA)
    dispatched_version = facets_cache_version()
    assert dispatched_version != before
    car.refresh_from_db()
    assert (car.location_id, car.transit_to_id, car.transit_eta) == (dresden.pk, leipzig.pk, ETA)
    assert car.selling_location == leipzig

    with pytest.raises(PermissionDenied):
        transfer_arrive(transfer=transfer, by=dresden_manager)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_arrive(transfer=transfer, by=leipzig_manager)

    assert facets_cache_version() != dispatched_version
    car.refresh_from_db()
    transfer.refresh_from_db()
    assert (car.location_id, car.transit_to_id, car.transit_eta) == (leipzig.pk, None, None)
    assert (transfer.status, transfer.arrived_at, transfer.eta) == (TS.ARRIVED, NOW, ETA)
    steps = list(transfer.events.values_list("from_status", "to_status", "by__username"))
    assert steps == [
        ("", "requested", "mgr-leipzig"),
        ("requested", "approved", "mgr-dresden"),
        ("approved", "in_transit", "mgr-dresden"),
        ("in_transit", "arrived", "mgr-leipzig"),
    ]
    # Where the car was stays on record.
    assert list(car.transfers.values_list("from_location", "to_location")) == [
        (dresden.pk, leipzig.pk)
    ]


def test_the_destination_may_cancel_before_dispatch_only(
    frozen, car, leipzig, leipzig_manager, dresden_manager
):
    transfer = _request(car, leipzig, leipzig_manager)
    transfer_cancel(transfer=transfer, by=leipzig_manager)
    transfer.refresh_from_db()
    assert transfer.status == TS.CANCELLED

    second = _request(car, leipzig, leipzig_manager)
    transfer_approve(transfer=second, by=dresden_manager)
    transfer_dispatch(transfer=second, by=dresden_manager, eta=ETA)
    with pytest.raises(ValidationError, match="“In transit” cannot become “Cancelled”"):
        transfer_cancel(transfer=second, by=leipzig_manager)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_make_one_approval(dresden, leipzig):
    car = VehicleFactory(location=dresden)
    asker = UserFactory(role=Role.SALES_MANAGER, locations=[leipzig])
    first = UserFactory(role=Role.SALES_MANAGER, locations=[dresden])
    second = UserFactory(role=Role.SALES_MANAGER, locations=[dresden])
    transfer = transfer_request(vehicle=car, to_location=leipzig, by=asker, reason="Needed")
    barrier = threading.Barrier(2)
    approved, refused, errors = [], [], []

    def approve(user):
        try:
            barrier.wait(timeout=30)
            transfer_approve(transfer=transfer, by=user)
            approved.append(user.pk)
        except ValidationError as error:
            refused.append(error.messages[0])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(approved) == 1
    assert refused == ["This transfer is already “Approved”."]
    transfer.refresh_from_db()
    assert transfer.status == TS.APPROVED
    assert transfer.approved_by_id == approved[0]
    assert (
        VehicleTransferEvent.objects.filter(transfer=transfer, to_status=TS.APPROVED).count() == 1
    )


# --- test drives and orders at the destination -------------------------------------------


def _in_transit(car, leipzig, leipzig_manager, dresden_manager):
    transfer = _request(car, leipzig, leipzig_manager)
    transfer_approve(transfer=transfer, by=dresden_manager)
    transfer_dispatch(transfer=transfer, by=dresden_manager, eta=ETA)
    car.refresh_from_db()
    return transfer


def test_test_drives_for_a_car_in_transit_are_at_the_destination_from_the_eta(
    frozen, car, leipzig, leipzig_manager, dresden_manager
):
    leipzig_consultant = UserFactory(role=Role.CONSULTANT, locations=[leipzig])
    consultant_set_availability(user=leipzig_consultant, is_available=True)
    _in_transit(car, leipzig, leipzig_manager, dresden_manager)
    car = Vehicle.objects.select_related("location", "transit_to").get(pk=car.pk)

    availability = vehicle_availability(vehicle=car)

    assert availability.location == leipzig
    assert availability.slot_list, "slots from the ETA on"
    tz = leipzig.tzinfo
    assert min(s.start.astimezone(tz).date() for s in availability.slot_list) == ETA

    with pytest.raises(ValidationError, match="arrives on"):
        booking_create_by_staff(
            vehicle=car,
            start=datetime.datetime(2026, 12, 9, 10, 0, tzinfo=tz),
            by=leipzig_consultant,
            first_name="Jana",
            last_name="Weber",
            email="jana.weber@example.de",
            phone="+4915112345678",
            licence_confirmed=True,
        )
    booking = booking_create_by_staff(
        vehicle=car,
        start=datetime.datetime(2026, 12, 10, 10, 0, tzinfo=tz),
        by=leipzig_consultant,
        first_name="Jana",
        last_name="Weber",
        email="jana.weber@example.de",
        phone="+4915112345678",
        licence_confirmed=True,
    )
    assert booking.location == leipzig
    assert booking.lead.location == leipzig


def test_an_order_for_a_car_in_transit_belongs_to_the_destination(
    frozen, car, leipzig, leipzig_manager, dresden_manager
):
    _in_transit(car, leipzig, leipzig_manager, dresden_manager)

    order = make_order(car)

    assert order.location == leipzig
    assert order.customer.location == leipzig


# --- the pages ---------------------------------------------------------------------------


def test_vehicle_page_and_card_say_in_transit_with_the_eta(
    frozen, client, car, leipzig, leipzig_manager, dresden_manager
):
    _in_transit(car, leipzig, leipzig_manager, dresden_manager)

    page = client.get(car.get_absolute_url())
    results = client.get(reverse("inventory:search"))

    assert "In transit to Leipzig, arrives 10 Dec" in page.content.decode()
    assert "In transit to Leipzig, arrives 10 Dec" in results.content.decode()


def _where_to_see_it(html: str) -> str:
    [box] = re.findall(
        r'<section[^>]*aria-labelledby="location-heading">(.*?)</section>', html, re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", box).split())


def test_where_to_see_it_shows_the_destination_with_the_eta_and_the_cache_follows_the_transfer(
    frozen, client, car, dresden, dresden_manager, django_capture_on_commit_callbacks
):
    # Given a car at Dresden whose anonymous page is in the cache, and a showroom in Helsinki
    # (another zone) that asks for it
    helsinki = LocationFactory(
        slug="helsinki",
        name="Showroom Helsinki",
        city="Helsinki",
        street="Mannerheimintie 12",
        postal_code="00100",
        country="FI",
        time_zone="Europe/Helsinki",
    )
    helsinki_manager = UserFactory(role=Role.SALES_MANAGER, locations=[helsinki])
    url = car.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    cached = client.get(url)
    assert cached["X-Page-Cache"] == "hit"
    assert "Dresden" in _where_to_see_it(cached.content.decode())
    transfer = _request(car, helsinki, helsinki_manager)
    transfer_approve(transfer=transfer, by=dresden_manager)

    # When it leaves Dresden, arriving Thursday (Helsinki's calendar)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_dispatch(transfer=transfer, by=dresden_manager, eta=ETA)
    page = client.get(url)

    # Then the next request is rendered afresh: the box names Helsinki, its address and the
    # day it arrives in Helsinki's zone, and says test drives and orders are taken there
    assert page["X-Page-Cache"] == "miss"
    box = _where_to_see_it(page.content.decode())
    assert "On its way to Showroom Helsinki." in box
    assert "Expected there on Thursday, 10 December 2026 (Europe/Helsinki, EET)." in box
    assert (
        "You can already book a test drive and order this car at Showroom Helsinki: "
        "test drives from the day it arrives." in box
    )
    assert "Mannerheimintie 12" in box
    assert "Dresden" not in box
    assert client.get(url)["X-Page-Cache"] == "hit"

    # When it arrives, the box is the destination's as for any car there, again at once
    with django_capture_on_commit_callbacks(execute=True):
        transfer_arrive(transfer=transfer, by=helsinki_manager)
    page = client.get(url)
    assert page["X-Page-Cache"] == "miss"
    box = _where_to_see_it(page.content.decode())
    assert "Showroom Helsinki" in box
    assert "Mannerheimintie 12" in box
    assert "On its way" not in box
    assert "In transit" not in box


def test_the_transit_box_speaks_the_visitors_language(
    frozen, client, car, leipzig, leipzig_manager, dresden_manager
):
    _in_transit(car, leipzig, leipzig_manager, dresden_manager)

    page = client.get(car.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")

    box = _where_to_see_it(page.content.decode())
    assert "Donnerstag, 10. Dezember 2026 (Europe/Berlin, CET)" in box
    assert "On its way" not in box


def test_request_form_has_labels_and_creates_the_request(client, car, leipzig, leipzig_manager):
    browser = _client(client, leipzig_manager)
    page = browser.get(reverse("inventory:transfer-new"))
    html = page.content.decode()
    for name, label in (
        ("vehicle", "Car"),
        ("to_location", "Bring it to"),
        ("reason", "Why the car is needed"),
        ("for_lead_id", "For lead no."),
    ):
        assert re.search(rf'<label\s+for="id_{name}"[^>]*>\s*{re.escape(label)}', html), name
    assert "Skoda Octavia" in html

    response = browser.post(
        reverse("inventory:transfer-new"),
        {
            "vehicle": car.pk,
            "to_location": leipzig.pk,
            "reason": "For Frau Krause",
            "for_lead_id": "7",
        },
    )

    transfer = VehicleTransfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == transfer.get_absolute_url()
    assert (transfer.reason, transfer.for_lead_id) == ("For Frau Krause", 7)


def test_request_form_without_reason_is_a_400_and_saves_nothing(
    client, car, leipzig, leipzig_manager
):
    browser = _client(client, leipzig_manager)
    response = browser.post(
        reverse("inventory:transfer-new"), {"vehicle": car.pk, "to_location": leipzig.pk}
    )
    assert response.status_code == 400
    assert "Say why the car is needed." in response.content.decode()
    assert not VehicleTransfer.objects.exists()


def test_wrong_end_gets_403_and_a_message_another_location_404(
    client, car, leipzig, leipzig_manager, dresden_manager
):
    transfer = _request(car, leipzig, leipzig_manager)
    browser = _client(client, leipzig_manager)

    response = browser.post(reverse("inventory:transfer-approve", args=[transfer.pk]))
    assert response.status_code == 403
    assert "Only a manager of Showroom Dresden may do this." in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == TS.REQUESTED

    stranger = UserFactory(role=Role.SALES_MANAGER, locations=[LocationFactory()])
    client.force_login(stranger)
    assert client.get(transfer.get_absolute_url()).status_code == 404
    assert client.post(reverse("inventory:transfer-approve", args=[transfer.pk])).status_code == 404


def test_detail_page_actions_walk_the_transfer_through(
    frozen, client, car, leipzig, leipzig_manager, dresden_manager
):
    transfer = _request(car, leipzig, leipzig_manager)
    client.force_login(dresden_manager)
    detail = client.get(transfer.get_absolute_url()).content.decode()
    assert "Approve transfer" in detail
    assert "Reject transfer" in detail
    assert "Confirm arrival" not in detail

    client.post(reverse("inventory:transfer-approve", args=[transfer.pk]), {"note": ""})
    bad = client.post(reverse("inventory:transfer-dispatch", args=[transfer.pk]), {"eta": "x"})
    assert bad.status_code == 400
    client.post(reverse("inventory:transfer-dispatch", args=[transfer.pk]), {"eta": "2026-12-10"})
    client.force_login(leipzig_manager)
    listing = client.get(reverse("inventory:transfers")).content.decode()
    assert "In transit" in listing
    assert "10 Dec 2026" in listing
    client.post(reverse("inventory:transfer-arrive", args=[transfer.pk]))

    transfer.refresh_from_db()
    car.refresh_from_db()
    assert transfer.status == TS.ARRIVED
    assert car.location == leipzig


def test_consultants_may_not_open_the_transfer_pages(client, leipzig):
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[leipzig]))
    assert client.get(reverse("inventory:transfers")).status_code == 403
    assert client.get(reverse("inventory:transfer-new")).status_code == 403


def test_a_handover_for_a_car_in_transit_is_booked_from_the_eta(
    frozen, car, leipzig, leipzig_manager, dresden_manager
):
    from orders.services import order_schedule_delivery
    from tests.orders.factories import DeliverySlotFactory, advance

    _in_transit(car, leipzig, leipzig_manager, dresden_manager)
    staff = UserFactory(role=Role.CONSULTANT, locations=[leipzig])
    order = advance(make_order(car), "contract_signed", staff=staff)
    tz = leipzig.tzinfo
    early = DeliverySlotFactory(
        location=leipzig, starts_at=datetime.datetime(2026, 12, 9, 10, 0, tzinfo=tz)
    )
    on_time = DeliverySlotFactory(
        location=leipzig, starts_at=datetime.datetime(2026, 12, 10, 10, 0, tzinfo=tz)
    )

    with pytest.raises(ValidationError, match="arrives on"):
        order_schedule_delivery(order=order, by=staff, slot=early)
    order.refresh_from_db()
    assert order.delivery_slot_id is None

    order = order_schedule_delivery(order=order, by=staff, slot=on_time)
    assert order.delivery_slot == on_time


def test_request_form_search_finds_the_car_by_stock_number_vin_or_make_model(
    client, car, dresden, leipzig, leipzig_manager, django_assert_num_queries
):
    other = VehicleFactory(location=dresden, stock_number="D2002", make="Volkswagen", model="Golf")
    VehicleFactory(location=leipzig, stock_number="L3003", make="Skoda", model="Fabia")  # mine
    browser = _client(client, leipzig_manager)
    url = reverse("inventory:transfer-new")

    def options(html: str) -> list[str]:
        return re.findall(
            r'<option value="\d+"[^>]*>([^<]*)</option>',
            html.split('name="vehicle"')[1].split("</select>")[0],
        )

    html = browser.get(url).content.decode()
    assert re.search(r'<label\s+for="id_q"[^>]*>\s*Find the car', html)
    assert len(options(html)) == 2  # both cars of Dresden, not Leipzig's own

    for search in ("d1001", car.vin[-6:], "skoda  OCTAVIA"):
        with django_assert_num_queries(QUERIES_NEW_WITH_SEARCH):
            response = browser.get(url, {"q": search})
        assert response.status_code == 200
        found = options(response.content.decode())
        assert len(found) == 1, search
        assert "Skoda Octavia" in found[0]
        assert "1 car found." in response.content.decode()

    found = options(browser.get(url, {"q": "golf"}).content.decode())
    assert len(found) == 1, other
    assert "D2002" in found[0]
    assert options(browser.get(url, {"q": "fabia"}).content.decode()) == []  # at my location

    response = browser.get(url, {"q": "x" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
