"""Each condition type selects exactly the customers it should (exact sets, given/when/then)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from aftersales.models import (
    OwnedVehicle,
    RecallCampaign,
    RecallVehicle,
    ServiceAppointment,
    ServiceRecord,
)
from campaigns.conditions import REGISTRY, add_months, validate_tree
from campaigns.selectors import segment_count, segment_customers
from conversations.models import Message
from dealership.messaging.services import suppression_add
from inventory.models import SavedSearch
from leads.models import Activity, Lead
from orders.models import Order
from surveys.models import Invitation
from tests.accounts.factories import LocationFactory
from tests.aftersales.factories import owned_vehicle
from tests.campaigns.factories import NOW, cond, consent, tree
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.orders.factories import make_order
from tests.surveys.factories import InvitationFactory, standard_survey
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db


def matching(*conditions, op="and", **kwargs):
    return set(
        segment_customers(conditions=tree(*conditions, op=op), now=NOW, **kwargs).values_list(
            "pk", flat=True
        )
    )


def ids(*customers):
    return {c.pk for c in customers}


def test_location():
    here, there = LocationFactory(), LocationFactory()
    a, _b = CustomerFactory(location=here), CustomerFactory(location=there)

    assert matching(cond("location", location=str(here.pk))) == ids(a)


def test_lead_source_and_status():
    a = LeadFactory(source=Lead.Source.MARKETPLACE, status=Lead.Status.LOST).customer
    b = LeadFactory(source=Lead.Source.WEBSITE, status=Lead.Status.NEW).customer
    CustomerFactory()  # no lead at all

    assert matching(cond("lead_source", source="marketplace")) == ids(a)
    assert matching(cond("lead_status", status="new")) == ids(b)
    assert matching(cond("lead_status", status="won")) == set()


def test_last_contact_before_and_after():
    old, recent, never = CustomerFactory(), CustomerFactory(), CustomerFactory()
    Activity.objects.create(
        customer=old, kind="call", occurred_at=datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)
    )
    Activity.objects.create(
        customer=recent, kind="call", occurred_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    Message.objects.create(
        customer=recent,
        location=recent.location,
        direction="in",
        channel="sms",
        body="Still interested",
        created_at=datetime.datetime(2026, 5, 2, tzinfo=datetime.UTC),
    )

    assert matching(cond("last_contact_before", date="2026-03-01")) == ids(old)
    assert matching(cond("last_contact_after", date="2026-03-01")) == ids(recent)
    assert never.pk not in matching(cond("last_contact_before", date="2030-01-01"))


def test_interest_from_leads_saved_searches_and_test_drives():
    suv = VehicleFactory(
        make="Skoda", model="Kodiaq", body_type="suv", fuel="diesel", list_price=Decimal("38000.00")
    )
    by_lead = LeadFactory(make="Skoda", model="Kodiaq", price=Decimal("36000.00")).customer
    by_drive = BookingFactory(vehicle=suv, start_at=NOW).customer
    by_search = CustomerFactory(email="Search@Example.de")
    SavedSearch.objects.create(
        email="search@example.de", query="body_type=suv&make=Skoda", last_checked_at=NOW
    )
    LeadFactory(make="Volkswagen", model="Golf", price=Decimal("20000.00"))

    assert matching(cond("interest", make="skoda")) == ids(by_lead, by_drive, by_search)
    assert matching(cond("interest", body_type="suv")) == ids(by_drive, by_search)
    assert matching(cond("interest", fuel="diesel")) == ids(by_drive)
    # A price band: the lead's price, the test-driven car's price (saved searches have none).
    assert matching(cond("interest", price_min="30000", price_max="37000")) == ids(by_lead)
    assert matching(cond("interest", make="Skoda", price_min="37000")) == ids(by_drive)


def _car(customer, **kwargs):
    car = owned_vehicle(customer, **kwargs)
    OwnedVehicle.objects.filter(pk=car.pk).update(km_per_day=None)
    return car


def test_owner_vehicle_age_by_year_or_delivery():
    by_year = CustomerFactory()
    _car(by_year, year=2022, delivered_on=datetime.date(2025, 1, 1))  # 2026 - 2022 = 4
    by_delivery = CustomerFactory()
    _car(by_delivery, delivered_on=datetime.date(2022, 6, 15))  # four years on 2026-06-15
    young = CustomerFactory()
    _car(young, year=2023, delivered_on=datetime.date(2023, 3, 1))
    sold = CustomerFactory()
    car = _car(sold, year=2015, delivered_on=datetime.date(2015, 3, 1))
    OwnedVehicle.objects.filter(pk=car.pk).update(status=OwnedVehicle.Status.SOLD)

    assert matching(cond("owner_vehicle_age", years=4)) == ids(by_year, by_delivery)


def test_owner_predicted_mileage():
    # 365 days at the default 40 km/day since the last reading.
    over, under = CustomerFactory(), CustomerFactory()
    _car(over, delivered_on=datetime.date(2025, 6, 15), km=65_400)  # 65,400 + 14,600 = 80,000
    _car(under, delivered_on=datetime.date(2025, 6, 15), km=65_399)
    learned = CustomerFactory()
    car = _car(learned, delivered_on=datetime.date(2025, 6, 15), km=0)
    OwnedVehicle.objects.filter(pk=car.pk).update(km_per_day=Decimal("250.00"))  # 91,250

    assert matching(cond("owner_mileage", km=80_000)) == ids(over, learned)


def test_owner_make_model():
    a, b = CustomerFactory(), CustomerFactory()
    _car(a, make="Skoda", model="Octavia")
    _car(b, make="Skoda", model="Fabia")

    assert matching(cond("owner_make_model", make="skoda")) == ids(a, b)
    assert matching(cond("owner_make_model", make="Skoda", model="Fabia")) == ids(b)


def _delivered_order(*, payment_type, term_months, delivered_at):
    order = make_order(VehicleFactory())
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.DELIVERED,
        payment_type=payment_type,
        term_months=term_months,
        delivered_at=delivered_at,
    )
    return order.customer


def test_finance_ending_within_months():
    ending = _delivered_order(  # 48 months from 2022-09-01: ends 2026-09-01
        payment_type="finance",
        term_months=48,
        delivered_at=datetime.datetime(2022, 9, 1, tzinfo=datetime.UTC),
    )
    lease = _delivered_order(  # ends 2026-11-20
        payment_type="lease",
        term_months=36,
        delivered_at=datetime.datetime(2023, 11, 20, tzinfo=datetime.UTC),
    )
    _delivered_order(  # ends 2027-06-01: too late
        payment_type="finance",
        term_months=60,
        delivered_at=datetime.datetime(2022, 6, 1, tzinfo=datetime.UTC),
    )
    _delivered_order(  # ended 2026-05-01: over
        payment_type="finance",
        term_months=24,
        delivered_at=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
    )

    assert matching(cond("finance_ending", months=6)) == ids(ending, lease)
    assert matching(cond("finance_ending", months=3)) == ids(ending)


def test_last_service_before_months():
    serviced, overdue, never, new_car = (CustomerFactory() for _ in range(4))
    car = _car(serviced, delivered_on=datetime.date(2020, 1, 1))
    ServiceRecord.objects.create(
        owned_vehicle=car, description="Oil", done_on=datetime.date(2026, 1, 5)
    )
    car = _car(overdue, delivered_on=datetime.date(2020, 1, 1))
    ServiceRecord.objects.create(
        owned_vehicle=car, description="Oil", done_on=datetime.date(2025, 1, 5)
    )
    _car(never, delivered_on=datetime.date(2021, 1, 1))
    _car(new_car, delivered_on=datetime.date(2026, 2, 1))

    assert matching(cond("last_service_before", months=12)) == ids(overdue, never)


def test_open_recall():
    open_, remedied = CustomerFactory(), CustomerFactory()
    recall = RecallCampaign.objects.create(code="R1", title="Airbag", description="-", remedy="-")
    for customer, remedied_at in ((open_, None), (remedied, NOW)):
        car = _car(customer)
        RecallVehicle.objects.get_or_create(
            campaign=recall,
            vin=car.vin,
            defaults={"owned_vehicle": car, "remedied_at": remedied_at},
        )
        RecallVehicle.objects.filter(campaign=recall, vin=car.vin).update(
            owned_vehicle=car, remedied_at=remedied_at
        )

    assert matching(cond("open_recall")) == ids(open_)


def test_service_visit_within_days():
    this_week, later, cancelled = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for customer, day, status in (
        (this_week, datetime.date(2026, 6, 18), "booked"),
        (later, datetime.date(2026, 7, 1), "booked"),
        (cancelled, datetime.date(2026, 6, 17), "cancelled"),
    ):
        car = _car(customer)
        ServiceAppointment.objects.create(
            owned_vehicle=car,
            customer=customer,
            location=customer.location,
            day=day,
            drop_off_at=datetime.datetime.combine(day, datetime.time(8), tzinfo=datetime.UTC),
            handover="drop_off",
            status=status,
            booked_via="staff",
        )

    assert matching(cond("service_visit_within", days=7)) == ids(this_week)


def test_nps_category_uses_the_latest_answer():
    standard_survey()
    promoter, turned_detractor, passive = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for customer, answers in (
        (promoter, [(3, 10)]),
        (turned_detractor, [(1, 9), (5, 4)]),
        (passive, [(2, 7)]),
    ):
        for month, score in answers:
            InvitationFactory(
                customer=customer,
                status=Invitation.Status.COMPLETED,
                nps_score=score,
                submitted_at=datetime.datetime(2026, month, 1, tzinfo=datetime.UTC),
            )

    assert matching(cond("nps_category", category="promoter")) == ids(promoter)
    assert matching(cond("nps_category", category="detractor")) == ids(turned_detractor)
    assert matching(cond("nps_category", category="passive")) == ids(passive)


def test_consented_channel():
    email_yes, withdrawn, suppressed, sms_yes = (CustomerFactory() for _ in range(4))
    consent(email_yes)
    consent(withdrawn)
    consent(withdrawn, granted=False)
    consent(suppressed)
    suppression_add(channel="email", address=suppressed.email, reason="unsubscribed")
    consent(sms_yes, channel="sms")

    assert matching(cond("consented_channel", channel="email")) == ids(email_yes)
    assert matching(cond("consented_channel", channel="sms")) == ids(sms_yes)


def test_and_or_groups_and_location_scope():
    here = LocationFactory()
    a = LeadFactory(customer=CustomerFactory(location=here), status="new", source="phone").customer
    b = LeadFactory(customer=CustomerFactory(location=here), status="lost", source="phone").customer
    c = LeadFactory(status="new", source="website").customer

    either = tree(cond("lead_status", status="new"), cond("lead_status", status="lost"), op="or")
    assert matching(either, cond("lead_source", source="phone")) == ids(a, b)
    assert matching(cond("lead_status", status="new")) == ids(a, c)
    assert matching(cond("lead_status", status="new"), location_id=here.pk) == ids(a)
    assert segment_count(conditions=tree(either), now=NOW) == 3


def test_merged_and_do_not_contact_customers_are_in_no_segment():
    kept = LeadFactory(status="new").customer
    LeadFactory(status="new", customer=CustomerFactory(do_not_contact=True))
    LeadFactory(status="new", customer=CustomerFactory(merged_into=kept))

    assert matching(cond("lead_status", status="new")) == ids(kept)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (tree(cond("horoscope", sign="leo")), "Unknown condition “horoscope”."),
        (tree(cond("owner_vehicle_age", years="four")), "Years must be a whole number."),
        (tree(cond("owner_vehicle_age")), "Years is required."),
        (
            tree(cond("lead_status", status="sleeping")),
            "“sleeping” is not a valid choice for Status.",
        ),
        (tree(cond("last_contact_after", date="31.12.2025")), "Date must be a date (YYYY-MM-DD)."),
        (
            tree(cond("interest")),
            "Interested in (leads, saved searches, test drives) needs at least one filter.",
        ),
        ({"op": "xor", "children": []}, "A group must combine with AND or OR."),
        ({"op": "and", "children": "all"}, "A group is malformed."),
        (tree(cond("finance_ending", months=0)), "Months must be between 1 and 120."),
        (tree(["not", "a", "node"]), "A condition is malformed."),
    ],
)
def test_invalid_conditions_are_refused_with_a_message(bad, message):
    with pytest.raises(ValidationError) as exc:
        validate_tree(bad)

    assert message in exc.value.messages


def test_every_registered_type_is_covered_here():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    assert all(f'"{key}"' in source for key in REGISTRY)


def test_add_months_clamps_the_day():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 3, 15), -15) == datetime.date(2024, 12, 15)
