"""The customer's forms under hostile input (tests/security/fuzz.py): test-drive booking and
its signed manage link (reschedule, cancel), the online order (deal builder, finance
application, delivery choice, cancel, accept, reserve), complaint, service booking, the
email preference page and one-click unsubscribe. Never a 5xx; refused means nothing saved."""

import datetime

import pytest
import time_machine
from django.test import Client
from hypothesis import strategies as st

from aftersales.models import Complaint, OwnedVehicle
from dealership.messaging.models import Consent, OutboxMessage, Suppression
from dealership.messaging.tokens import unsubscribe_token
from leads.models import Customer, Lead
from orders.models import FinanceApplication, Order, OrderVersion, Payment
from orders.tokens import order_token
from testdrives.models import Booking
from testdrives.tokens import manage_token
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import FINANCE, make_order
from tests.security.fuzz import fuzz_form, hostile_email, hostile_text, mostly

pytestmark = pytest.mark.django_db

EXAMPLES = 60
# Monday 2 March 2026, 08:00 in Berlin: the test-drive slots below are open.
MONDAY_8_BERLIN = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
TUESDAY_10_BERLIN = datetime.datetime(2026, 3, 3, 9, 0, tzinfo=datetime.UTC)
TUESDAY_11_BERLIN = datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings, monkeypatch):
    # Fuzz the forms, not only the rate limits (tested on their own).
    settings.TESTDRIVES_FORM_RATE_LIMIT = 10_000
    settings.ORDERS_FORM_RATE_LIMIT = 10_000
    settings.AFTERSALES_FORM_RATE_LIMIT = 10_000
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    monkeypatch.setattr("dealership.messaging.views.PUBLIC_LIMIT_PER_MINUTE", 10_000)


def _bad(*values: str):
    return st.one_of(st.sampled_from(values), hostile_text())


def _slot(*valid: datetime.datetime):
    return mostly(
        *(v.isoformat() for v in valid),
        hostile=_bad(
            "2026-03-03T09:00:00",  # no zone
            "2026-03-03T09:07:00+00:00",  # not on the grid
            "2020-01-01T09:00:00+00:00",  # the past
            "9999-12-31T23:59:59+00:00",
            "2026-02-30T09:00:00+00:00",
        ),
    )


# --- Test drives ----------------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY_8_BERLIN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def golf(location):
    return VehicleFactory(location=location, make="Volkswagen", model="Golf", stock_number="G2207")


def test_test_drive_booking_survives_hostile_input(frozen, golf, consultant):
    def one_booking(response, added):
        assert response["Location"].startswith("/test-drives/manage/")
        assert added[Booking] == 1
        assert added[Lead] in (0, 1)  # a returning customer's open test-drive lead is reused
        assert added[Customer] in (0, 1)

    result = fuzz_form(
        Client(),
        f"/test-drives/book/{golf.pk}/",
        {
            "slot": _slot(TUESDAY_10_BERLIN, TUESDAY_11_BERLIN),
            "first_name": mostly("Lena"),
            "last_name": mostly("Hoffmann"),
            "email": mostly("lena.hoffmann@example.de", hostile=hostile_email()),
            "phone": mostly("0151 23456789", hostile=_bad("12", "+1 202 555 0143")),
            "licence_confirmed": mostly("on"),
            "message": mostly("", "Can I bring my partner?"),
            "marketing_consent": mostly("on", ""),
        },
        models=[Booking, Lead, Customer],
        added=one_booking,
        always=("slot", "first_name", "last_name", "email", "phone", "licence_confirmed"),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302, 400, 409}
    assert result.accepted >= 1
    # Two slots, one car: never two open bookings at one time.
    starts = list(Booking.objects.values_list("start_at", flat=True))
    assert len(starts) == len(set(starts)) <= 2


def test_test_drive_manage_link_survives_hostile_input(frozen, golf, consultant):
    from tests.testdrives.factories import BookingFactory

    booking = BookingFactory(vehicle=golf, start_at=TUESDAY_10_BERLIN)
    token = manage_token(booking_id=booking.pk)

    def booking_state():
        return list(Booking.objects.values_list("pk", "start_at", "status"))

    reschedule = fuzz_form(
        Client(),
        f"/test-drives/manage/{token}/reschedule/",
        {"slot": _slot(TUESDAY_11_BERLIN, TUESDAY_10_BERLIN)},
        models=[Booking],
        snapshot=booking_state,
        max_examples=EXAMPLES,
    )
    cancel = fuzz_form(
        Client(),
        f"/test-drives/manage/{token}/cancel/",
        {"reason": hostile_text()},
        models=[Booking],
        snapshot=booking_state,
        max_examples=EXAMPLES,
    )
    forged = fuzz_form(
        Client(),
        f"/test-drives/manage/{token[:-3]}xyz/cancel/",
        {"reason": hostile_text()},
        models=[Booking],
        snapshot=booking_state,
        max_examples=20,
    )

    assert reschedule.examples == cancel.examples == EXAMPLES
    assert set(reschedule.statuses) <= {302, 400, 409}
    assert reschedule.accepted >= 1
    assert set(cancel.statuses) <= {302, 400}
    assert cancel.accepted >= 1
    assert set(forged.statuses) == {400}
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


# --- Online order ---------------------------------------------------------------------------


@pytest.fixture
def car(location):
    return VehicleFactory(location=location)


def test_deal_builder_survives_hostile_input(car, consultant):
    def one_order(response, added):
        assert response["Location"].startswith("/orders/o/")
        assert added[Order] == 1
        assert added[OrderVersion] == 1
        assert added[Customer] in (0, 1)

    money = _bad("-1", "1e9", "NaN", "Infinity", "0.001", "99999999999")
    result = fuzz_form(
        Client(),
        f"/orders/buy/{car.pk}/",
        {
            "payment_type": mostly("cash", "finance", "lease"),
            "down_payment": mostly("0", "2000", "2000.50", hostile=money),
            "term_months": mostly("24", "48", "72", hostile=_bad("0", "13", "-48")),
            "fulfilment": mostly("pickup", "delivery"),
            "delivery_distance_km": mostly("25", "0", hostile=_bad("-1", "501", "1e3")),
            "has_tradein": mostly("", "on"),
            "tradein_make": mostly("Opel"),
            "tradein_model": mostly("Astra"),
            "tradein_year": mostly("2016", hostile=_bad("1949", "99999999999999999999")),
            "tradein_mileage_km": mostly("120000", hostile=_bad("-1", "2000001")),
            "tradein_vin": mostly("", "WVWZZZCDZNW123456", hostile=_bad("WVWZZZCDZNW12345I")),
            "add_ons": mostly("", hostile=_bad("0", "-1", "99999999999999999999")),
            "first_name": mostly("Jonas"),
            "last_name": mostly("Becker"),
            "email": mostly("jonas.becker@example.de", hostile=hostile_email()),
            "phone": mostly("+49 152 00000001", hostile=_bad("12")),
            "street": mostly("Karl-Liebknecht-Straße 5"),
            "postal_code": mostly("04107"),
            "city": mostly("Leipzig"),
        },
        models=[Order, OrderVersion, Customer, Payment],
        added=one_order,
        always=(
            "payment_type",
            "fulfilment",
            "first_name",
            "last_name",
            "email",
            "phone",
            "street",
            "postal_code",
            "city",
        ),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302}
    assert result.accepted >= 1


@pytest.fixture
def financed_order(car):
    return make_order(car, deal=FINANCE)


def _order_state():
    return (
        sorted(Order.objects.values_list("pk", "status", "fulfilment", "delivery_street")),
        sorted(Payment.objects.values_list("pk", "status")),
    )


def test_order_page_forms_survive_hostile_input(financed_order, consultant):
    token = order_token(financed_order)
    base = f"/orders/o/{token}"
    money = _bad("-1", "1e9", "NaN", "99999999999")

    finance = fuzz_form(
        Client(),
        f"{base}/finance/",
        {
            "employment_status": mostly("employed", "self_employed", "retired"),
            "employer": mostly("Leipziger Stadtwerke", ""),
            "years_at_employer": mostly("6", hostile=_bad("-1", "61")),
            "monthly_income": mostly("3400.00", hostile=money),
            "housing_cost": mostly("900", hostile=money),
            "national_id": mostly("L01X00T47"),
            "date_of_birth": mostly(
                "1988-04-12", hostile=_bad("2020-01-01", "1800-01-01", "1988-02-30", "0000-00-00")
            ),
            "consent": mostly("on"),
        },
        models=[FinanceApplication, OutboxMessage],
        snapshot=_order_state,
        added=lambda response, added: _assert_equal(added[FinanceApplication], 1),
        always=("employment_status", "monthly_income", "housing_cost", "national_id"),
        max_examples=EXAMPLES,
    )
    delivery = fuzz_form(
        Client(),
        f"{base}/delivery/",
        {
            "fulfilment": mostly("pickup", "delivery"),
            "street": mostly("Gartenstraße 12", ""),
            "postal_code": mostly("04107", ""),
            "city": mostly("Leipzig", ""),
            "distance_km": mostly("12", "", hostile=_bad("-1", "99999999999999999999")),
        },
        models=[OrderVersion, Payment],
        accepted=lambda response: response.status_code == 302 and _no_errors(response),
        snapshot=_order_state,
        max_examples=EXAMPLES,
    )
    accept = fuzz_form(
        Client(),
        f"{base}/accept/",
        {"version": mostly("1", "2", hostile=_bad("0", "-1", "99999999999999999999"))},
        models=[OrderVersion, Payment],
        accepted=lambda response: response.status_code == 302 and _no_errors(response),
        snapshot=_order_state,
        max_examples=30,
    )
    cancel = fuzz_form(
        Client(),
        f"{base}/cancel/",
        {"reason": hostile_text()},
        models=[OrderVersion, Payment],
        accepted=lambda response: response.status_code == 302 and _no_errors(response),
        snapshot=_order_state,
        max_examples=EXAMPLES,
    )

    assert finance.examples == delivery.examples == cancel.examples == EXAMPLES
    assert finance.accepted == 1  # one application per order; a second is refused
    assert set(finance.statuses) <= {302, 400}
    assert set(delivery.statuses) <= {302, 400}
    assert delivery.accepted >= 1
    assert set(accept.statuses) <= {302}
    assert set(cancel.statuses) <= {302, 400}
    assert cancel.accepted == 1
    financed_order.refresh_from_db()
    assert financed_order.status == Order.Status.CANCELLED


def _assert_equal(a, b):
    assert a == b


def _no_errors(response) -> bool:
    """A redirect back to the order page: accepted unless it carries an error message."""
    from django.contrib.messages import constants, get_messages

    return not any(m.level == constants.ERROR for m in get_messages(response.wsgi_request))


def test_a_forged_or_foreign_order_link_is_refused_and_changes_nothing(financed_order, car):
    token = order_token(financed_order)

    result = fuzz_form(
        Client(),
        f"/orders/o/{token[:-2]}zz/cancel/",
        {"reason": hostile_text()},
        models=[Order, Payment],
        snapshot=_order_state,
        max_examples=20,
    )

    assert set(result.statuses) == {404}


# --- Aftersales -------------------------------------------------------------------------------


def test_complaint_form_survives_hostile_input(location, consultant):
    def one_complaint(response, added):
        assert response["Location"] == "/service/complaints/thanks/"
        assert added[Complaint] == 1
        assert added[Customer] in (0, 1)

    result = fuzz_form(
        Client(),
        "/service/complaints/new/",
        {
            "location": mostly(str(location.pk), hostile=_bad("0", "99999999999999999999")),
            "first_name": mostly("Lena"),
            "last_name": mostly("Hoffmann"),
            "email": mostly("lena.hoffmann@example.de", hostile=hostile_email()),
            "phone": mostly("", "0151 23456789"),
            "category": mostly(*Complaint.Category.values),
            "subject": mostly("Scratched paint"),
            "description": mostly("The paint was scratched at the handover."),
            "order_reference": mostly("", "A-1042"),
            "vin": mostly("", "WVWZZZCDZNW123456", hostile=_bad("WVWZZZCDZNW12345I")),
        },
        models=[Complaint, Customer, OutboxMessage],
        added=one_complaint,
        always=(
            "location",
            "first_name",
            "last_name",
            "email",
            "category",
            "subject",
            "description",
        ),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302, 400}
    assert result.accepted >= 1


def test_service_booking_from_the_website_survives_hostile_input(location, consultant):
    def one_car(response, added):
        assert response["Location"].startswith("/service/book/")
        assert added[OwnedVehicle] in (0, 1)
        assert added[Customer] in (0, 1)

    result = fuzz_form(
        Client(),
        "/service/book/",
        {
            "location": mostly(str(location.pk), hostile=_bad("0", "99999999999999999999")),
            "first_name": mostly("Lena"),
            "last_name": mostly("Hoffmann"),
            "email": mostly("lena.hoffmann@example.de", hostile=hostile_email()),
            "phone": mostly("", "0151 23456789"),
            "vin": mostly("WVWZZZCDZNW123456", hostile=_bad("WVWZZZCDZNW12345I", "")),
            "make": mostly("Volkswagen"),
            "model": mostly("Golf"),
            "year": mostly("2019", "", hostile=_bad("1949", "99999999999999999999")),
            "odometer_km": mostly("42000", "", hostile=_bad("-1", "99999999999999999999")),
        },
        models=[OwnedVehicle, Customer, OutboxMessage],
        added=one_car,
        always=("location", "first_name", "last_name", "email", "vin", "make", "model"),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302, 400}
    assert result.accepted >= 1


# --- Messaging preferences ------------------------------------------------------------------


def test_preference_page_and_one_click_unsubscribe_survive_hostile_input():
    token = unsubscribe_token(channel="email", address="lena.hoffmann@example.de")

    preferences = fuzz_form(
        Client(),
        f"/messages/preferences/{token}/",
        {
            "purpose": mostly("marketing:email", "transactional", hostile=_bad("alert:1", "")),
            "enabled": mostly("on", "", "true", "false"),
        },
        models=[Consent, Suppression],
        accepted=lambda response: response.status_code == 200,
        max_examples=EXAMPLES,
    )
    one_click = fuzz_form(
        Client(),
        f"/messages/unsubscribe/{token}/",
        {"List-Unsubscribe": mostly("One-Click")},
        models=[Consent, Suppression],
        accepted=lambda response: response.status_code == 200,
        max_examples=30,
    )
    forged = fuzz_form(
        Client(),
        f"/messages/preferences/{token[:-2]}zz/",
        {"purpose": mostly("marketing:email"), "enabled": mostly("on")},
        models=[Consent, Suppression],
        max_examples=20,
    )

    assert preferences.examples == EXAMPLES
    assert set(preferences.statuses) <= {200, 400}  # 400: a purpose not on the page
    assert 200 in preferences.statuses
    assert set(one_click.statuses) == {200}
    assert set(forged.statuses) == {404}
    # Withdrawn consent is recorded each time it is asked for; the suppression is one row.
    assert Suppression.objects.count() <= 1


def test_service_booking_and_add_a_car_links_survive_hostile_input(location, consultant):
    from aftersales.models import ServiceAppointment
    from aftersales.tokens import add_vehicle_token, booking_token
    from tests.aftersales.factories import owned_vehicle
    from tests.leads.factories import CustomerFactory

    car = owned_vehicle(CustomerFactory(location=location))
    book_url = f"/service/book/{booking_token(owned_vehicle=car)}/"
    choices = Client().get(book_url).context["form"].fields["drop_off_at"].choices
    slots = [value for value, _label in choices[:3]]

    booking = fuzz_form(
        Client(),
        book_url,
        {
            "drop_off_at": mostly(*slots, hostile=_bad("2020-01-01T08:00:00+00:00")),
            "items": mostly("", hostile=_bad("0", "99999999999999999999")),
            "handover": mostly(*ServiceAppointment.Handover.values),
            "courtesy_car": mostly("", "on"),
            "notes": mostly("", "The brakes squeak."),
        },
        models=[ServiceAppointment, OutboxMessage],
        added=lambda response, added: _assert_equal(added[ServiceAppointment], 1),
        always=("drop_off_at", "handover"),
        max_examples=EXAMPLES,
    )
    add_car = fuzz_form(
        Client(),
        f"/service/vehicles/add/{add_vehicle_token(customer=car.customer)}/",
        {
            "vin": mostly("WVWZZZCDZNW123456", "WVWZZZ1KZ8W000001", hostile=_bad("WVWZZZ")),
            "make": mostly("Volkswagen"),
            "model": mostly("Polo"),
            "year": mostly("2019", "", hostile=_bad("1949", "99999999999999999999")),
            "fuel": mostly("", "petrol"),
            "kind": mostly(*OwnedVehicle.Kind.values),
            "delivered_on": mostly("2024-05-01", hostile=_bad("2024-02-30", "0001-01-01")),
            "odometer_km": mostly("12000", hostile=_bad("-1", "3000001")),
        },
        models=[OwnedVehicle],
        added=lambda response, added: _assert_equal(added[OwnedVehicle], 1),
        always=("vin", "make", "model", "kind", "delivered_on", "odometer_km"),
        max_examples=EXAMPLES,
    )

    assert booking.examples == add_car.examples == EXAMPLES
    assert set(booking.statuses) <= {200, 302, 400}
    assert booking.accepted >= 1
    assert set(add_car.statuses) <= {200, 302, 400}
    assert add_car.accepted >= 1


def test_reserve_and_deposit_survive_hostile_repeats(car, consultant):
    order = make_order(car)  # cash: no finance application needed first
    token = order_token(order)

    result = fuzz_form(
        Client(),
        f"/orders/o/{token}/reserve/",
        {"amount": hostile_text(), "status": hostile_text(), "payment": hostile_text()},
        models=[Order],
        accepted=lambda response: response.status_code == 302,
        max_examples=30,
    )

    assert result.examples == 30
    assert set(result.statuses) == {302}
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED
    # However often the customer presses "Reserve", one deposit is pending: the same one.
    assert list(order.payments.values_list("kind", "status")) == [("deposit", "pending")]


def test_contract_signing_survives_hostile_input(car, location):
    from dealership.accounts.roles import Role
    from orders.models import Signature as ContractSignature
    from orders.services import contract_document
    from orders.services.contracts import document_sha256
    from tests.accounts.factories import UserFactory
    from tests.orders.factories import advance

    staff = UserFactory(role=Role.CONSULTANT, locations=[location])
    order = advance(
        make_order(car, first_name="Jonas", last_name="Becker"), "contract_sent", staff=staff
    )
    version = order.versions.order_by("-number").first()
    digest = document_sha256(contract_document(order=order, version=version))

    result = fuzz_form(
        Client(),
        f"/orders/o/{order_token(order)}/contract/",
        {
            "full_name": mostly("Jonas Becker", hostile=_bad("Eve Mallory", " ")),
            "consent": mostly("on"),
            "document_hash": mostly(digest, hostile=_bad("0" * 64, digest.upper())),
        },
        models=[ContractSignature],
        snapshot=_order_state,
        added=lambda response, added: _assert_equal(added[ContractSignature], 1),
        always=("full_name", "document_hash"),
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {302, 400}
    assert result.accepted == 1  # signed once; a second signature is refused
    assert ContractSignature.objects.filter(order=order, invalidated_at__isnull=True).count() == 1
