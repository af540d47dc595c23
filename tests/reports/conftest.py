"""The hand-computed fixture every figure is checked against (see the numbers in each test).

Location "Leipzig" (Europe/Berlin, Mon–Fri 09:00–18:00); today is Monday 2026-03-16; the
period is 2026-03-02 to 2026-03-15, the previous one 2026-02-16 to 2026-03-01.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from dealership.accounts.roles import Role
from dealership.reports.services import rollup_backfill, rollup_refresh
from inventory.models import PriceChange, Vehicle
from leads.models import Lead
from orders.models import Order, Payment
from surveys.models import Invitation
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.surveys.factories import InvitationFactory, standard_survey
from tests.testdrives.factories import BookingFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=UTC)
FIRST, LAST = datetime.date(2026, 3, 2), datetime.date(2026, 3, 15)
PERIOD = {"first": "2026-03-02", "last": "2026-03-15"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def at(day: int, hour: int = 9, month: int = 3) -> datetime.datetime:
    """09:00 UTC is 10:00 in Leipzig in March (before the DST change on 29 March)."""
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=UTC)


def make_lead(location, *, created, minutes=None, late=False, stages=(), **fields):
    """A lead created at `created`, due 15 minutes later, answered after `minutes`."""
    due = created + datetime.timedelta(minutes=15)
    responded = None
    if minutes is not None:
        responded = created + datetime.timedelta(minutes=minutes)
        assert (responded > due) == late
    stamps = {f"{stage}_at": created + datetime.timedelta(days=1) for stage in stages}
    return LeadFactory(
        customer=CustomerFactory(location=location),
        location=location,
        created_at=created,
        response_due_at=due,
        first_response_at=responded,
        first_response_minutes=minutes,
        **stamps,
        **fields,
    )


def make_drive(location, vehicle_location, consultant, *, start, status):
    """A test drive at `location` (its car comes from `vehicle_location`'s stock, so the
    inventory figures of the fixture stay as they are)."""
    return BookingFactory(
        location=location,
        vehicle=VehicleFactory(location=vehicle_location, status=Vehicle.Status.AVAILABLE),
        customer=CustomerFactory(location=location),
        consultant=consultant,
        start_at=start,
        status=status,
    )


def make_order(
    location, vehicle_location, consultant, *, created, status, paid=False, delivered=None
):
    """An order as the deal builder leaves it, created at `created`; `paid`: its deposit
    payment succeeded."""
    order = Order.objects.create(
        customer=CustomerFactory(location=location),
        vehicle=VehicleFactory(location=vehicle_location, status=Vehicle.Status.SOLD),
        location=location,
        consultant=consultant,
        status=status,
        status_changed_at=delivered or created,
        payment_type=Order.PaymentType.CASH,
        delivered_at=delivered,
    )
    Order.objects.filter(pk=order.pk).update(created_at=created)
    if paid:
        Payment.objects.create(
            order=order,
            kind=Payment.Kind.DEPOSIT,
            provider="test",
            amount=Decimal("500.00"),
            currency="EUR",
            status=Payment.Status.SUCCEEDED,
            idempotency_key=f"deposit-{order.pk}",
            settled_at=created,
        )
    return order


def make_answer(location, consultant, *, score, submitted):
    """A customer's purchase survey invitation for `consultant`, answered at `submitted`."""
    return InvitationFactory(
        customer=CustomerFactory(location=location),
        location=location,
        consultant=consultant,
        status=Invitation.Status.COMPLETED if submitted else Invitation.Status.SENT,
        nps_score=score,
        submitted_at=submitted,
        occurred_at=(submitted or NOW) - datetime.timedelta(days=8),
        created_at=(submitted or NOW) - datetime.timedelta(days=7),
    )


def _shop(*, sales: bool) -> dict:
    leipzig = LocationFactory(name="Leipzig", slug="leipzig")
    elsewhere = LocationFactory(name="Dresden", slug="dresden")
    manager = UserFactory(
        username="maria",
        first_name="Maria",
        last_name="Berg",
        role=Role.SALES_MANAGER,
        locations=[leipzig],
    )
    c1 = UserFactory(
        username="c1",
        first_name="Jonas",
        last_name="Adler",
        role=Role.CONSULTANT,
        locations=[leipzig],
    )
    c2 = UserFactory(
        username="c2",
        first_name="Eva",
        last_name="Zeller",
        role=Role.CONSULTANT,
        locations=[leipzig],
    )
    won = ("contacted", "qualified", "appointment", "won")
    status = Lead.Status
    leads = {
        "A": make_lead(
            leipzig, created=at(3), minutes=10, stages=won, assigned_to=c1, status=status.WON
        ),
        "B": make_lead(
            leipzig,
            created=at(4),
            minutes=30,
            late=True,
            assigned_to=c1,
            stages=("contacted", "qualified", "appointment"),
            status=status.APPOINTMENT,
        ),
        "C": make_lead(
            leipzig,
            created=at(5),
            minutes=20,
            late=True,
            assigned_to=c2,
            stages=("contacted",),
            status=status.CONTACTED,
        ),
        "D": make_lead(leipzig, created=at(6), assigned_to=c2),
        "E": make_lead(
            leipzig,
            created=at(10),
            minutes=5,
            stages=("contacted",),
            source=Lead.Source.PHONE,
            status=status.CONTACTED,
        ),
        # The previous period: one contacted, one won.
        "P1": make_lead(
            leipzig,
            created=at(20, month=2),
            minutes=8,
            stages=("contacted",),
            assigned_to=c1,
            status=status.CONTACTED,
        ),
        "P2": make_lead(
            leipzig,
            created=at(23, month=2),
            minutes=12,
            stages=won,
            assigned_to=c2,
            status=status.WON,
        ),
        # Another location the manager does not work at.
        "X": make_lead(
            elsewhere, created=at(4), minutes=50, late=True, stages=won, status=status.WON
        ),
    }
    sold = Vehicle.Status.SOLD
    vehicles = {
        "V1": VehicleFactory(
            location=leipzig,
            status=Vehicle.Status.AVAILABLE,
            stock_number="V1",
            in_stock_since=datetime.date(2025, 11, 1),
        ),
        "V2": VehicleFactory(
            location=leipzig,
            status=Vehicle.Status.RESERVED,
            stock_number="V2",
            in_stock_since=datetime.date(2026, 1, 5),
        ),
        "V3": VehicleFactory(
            location=leipzig,
            status=Vehicle.Status.AVAILABLE,
            stock_number="V3",
            in_stock_since=datetime.date(2026, 2, 20),
        ),
        "V4": VehicleFactory(
            location=leipzig,
            status=sold,
            stock_number="V4",
            in_stock_since=datetime.date(2025, 12, 1),
            sold_at=at(9),
        ),
        "V5": VehicleFactory(
            location=leipzig,
            status=sold,
            stock_number="V5",
            in_stock_since=datetime.date(2025, 12, 15),
            sold_at=at(10, month=2),
        ),
        "V6": VehicleFactory(
            location=leipzig,
            status=Vehicle.Status.DRAFT,
            stock_number="V6",
            in_stock_since=datetime.date(2026, 3, 12),
        ),
        "V7": VehicleFactory(
            location=leipzig,
            status=Vehicle.Status.AVAILABLE,
            stock_number="V7",
            in_stock_since=datetime.date(2025, 12, 20),
            list_price=Decimal("18990.00"),
        ),
        "W1": VehicleFactory(
            location=elsewhere,
            status=Vehicle.Status.AVAILABLE,
            stock_number="W1",
            in_stock_since=datetime.date(2025, 1, 1),
        ),
    }
    # V2 has two leads (one recent); V7 had a recent price cut: neither is a price-drop
    # candidate. The leads came in through the other branch: they count for the vehicle only.
    make_lead(elsewhere, created=at(10, month=1), vin=vehicles["V2"].vin, minutes=1)
    make_lead(elsewhere, created=at(10), vin=vehicles["V2"].vin, minutes=1)
    PriceChange.objects.create(
        vehicle=vehicles["V7"],
        old_price=Decimal("19990.00"),
        new_price=Decimal("18990.00"),
        changed_at=at(1),
    )
    drives, orders, answers = {}, {}, {}
    if sales:
        completed, booked = Booking.Status.COMPLETED, Booking.Status.CONFIRMED
        drives = {
            # This period: TD1 (Jonas) and TD2 (Eva) completed; TD3 a no-show, TD4 only booked.
            "TD1": make_drive(leipzig, elsewhere, c1, start=at(5), status=completed),
            "TD2": make_drive(leipzig, elsewhere, c2, start=at(7), status=completed),
            "TD3": make_drive(leipzig, elsewhere, c1, start=at(8), status=Booking.Status.NO_SHOW),
            "TD4": make_drive(leipzig, elsewhere, c1, start=at(12), status=booked),
            # The previous period, and another location.
            "TD5": make_drive(leipzig, elsewhere, c2, start=at(25, month=2), status=completed),
            "TD6": make_drive(elsewhere, elsewhere, None, start=at(6), status=completed),
        }
        S = Order.Status
        orders = {
            # This period: O1 (Jonas) placed and paid; O4 (Eva) cancelled after the deposit was
            # paid (still an order); O3 cancelled before any payment and O5 a draft (neither).
            "O1": make_order(
                leipzig, elsewhere, c1, created=at(6), status=S.DEPOSIT_PAID, paid=True
            ),
            "O3": make_order(leipzig, elsewhere, c2, created=at(9), status=S.CANCELLED),
            "O4": make_order(leipzig, elsewhere, c2, created=at(10), status=S.CANCELLED, paid=True),
            "O5": make_order(leipzig, elsewhere, c1, created=at(7), status=S.DRAFT),
            # Placed in the previous period, delivered in this one (Jonas).
            "O2": make_order(
                leipzig,
                elsewhere,
                c1,
                created=at(20, month=2),
                status=S.DELIVERED,
                paid=True,
                delivered=at(11),
            ),
            "O6": make_order(elsewhere, elsewhere, None, created=at(6), status=S.SUBMITTED),
        }
        standard_survey()
        answers = {
            # Jonas: a promoter and a detractor (NPS 0); Eva: a promoter (NPS 100); N4 was
            # answered in the previous period; N5 has no score yet.
            "N1": make_answer(leipzig, c1, score=10, submitted=at(9)),
            "N2": make_answer(leipzig, c1, score=6, submitted=at(10)),
            "N3": make_answer(leipzig, c2, score=9, submitted=at(11)),
            "N4": make_answer(leipzig, c1, score=3, submitted=at(25, month=2)),
            "N5": make_answer(leipzig, c2, score=None, submitted=None),
        }
    # The summary was backfilled and the rollup job has just run: the tests read the days
    # before today from it.
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    return {
        "drives": drives,
        "orders": orders,
        "answers": answers,
        "leipzig": leipzig,
        "elsewhere": elsewhere,
        "manager": manager,
        "c1": c1,
        "c2": c2,
        "leads": leads,
        "vehicles": vehicles,
    }


@pytest.fixture
def shop(db, frozen):
    return _shop(sales=True)


@pytest.fixture
def shop_without_sales(db, frozen):
    """The shop without its test drives, orders and survey answers: the ground the orders
    and NPS panels' own hand-computed worlds (panel_data.py) are built on, so that each of
    their figures is counted once."""
    return _shop(sales=False)


@pytest.fixture(params=["rollup", "live"])
def mode(request, settings):
    """Figures read from the summary tables (closed days) or every day from the source
    tables: both must give the hand-computed numbers."""
    settings.REPORTS_USE_ROLLUPS = request.param == "rollup"
    return request.param


@pytest.fixture
def manager_client(client, shop):
    client.force_login(shop["manager"])
    return client
