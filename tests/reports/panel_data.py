"""Hand-computed fixtures for the orders, after-sales and NPS panels (on top of `shop` in
conftest.py: Leipzig is the manager's, Dresden is not; the period is 2 to 15 March 2026, the
previous one 16 February to 1 March; TIME_ZONE is UTC). The figures each test expects are
worked out beside the rows in the tests."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.models import (
    Complaint,
    RecallCampaign,
    RecallVehicle,
    ServiceAppointment,
    ServiceReminder,
)
from dealership.reports.services import rollup_backfill, rollup_refresh
from orders.models import FinanceApplication, Order, OrderVersion
from surveys.models import Invitation, Touchpoint
from tests.aftersales.factories import MaintenancePlanFactory, ServiceItemFactory, owned_vehicle
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory
from tests.orders.factories import make_order
from tests.surveys.factories import InvitationFactory, standard_survey

from .conftest import at

S = Order.Status


def place_order(
    location,
    *,
    created,
    status,
    total,
    payment="cash",
    decision=None,
    cancelled=None,
    reason="",
    consultant=None,
):
    """An order built through the deal builder, then put where the figures need it."""
    order = make_order(VehicleFactory(location=location))
    Order.objects.filter(pk=order.pk).update(
        created_at=created,
        status=status,
        status_changed_at=cancelled or created,
        payment_type=payment,
        term_months=0 if payment == "cash" else 48,
        cancel_reason=reason,
        consultant=consultant,
    )
    version = order.versions.get(number=1)
    version.breakdown = {**version.breakdown, "total": total}
    version.save(update_fields=["breakdown"])
    # Version 1 is accepted (built online): its total is the deal, as order_create keeps it.
    Order.objects.filter(pk=order.pk).update(deal_total=Decimal(total))
    if decision:
        FinanceApplication.objects.create(
            order=order,
            employment_status="employed",
            housing_cost=Decimal("800.00"),
            credit_check_consent_wording="I agree to a credit check.",
            credit_check_consent_at=created,
            decision=decision,
        )
    return order


@pytest.fixture
def order_data(shop):
    leipzig, dresden, c1 = shop["leipzig"], shop["elsewhere"], shop["c1"]
    d = FinanceApplication.Decision
    orders = {
        # This period.
        "O1": place_order(
            leipzig, created=at(3), status=S.DELIVERED, total="31000.00", consultant=c1
        ),
        "O2": place_order(
            leipzig,
            created=at(4),
            status=S.FINANCE_APPROVED,
            total="25000.00",
            payment="finance",
            decision=d.APPROVED,
            consultant=c1,
        ),
        "O3": place_order(
            leipzig,
            created=at(5),
            status=S.CANCELLED,
            cancelled=at(6),
            reason="Found a cheaper car",
            total="20000.00",
            payment="lease",
            decision=d.DECLINED,
        ),
        "O4": place_order(
            leipzig,
            created=at(6),
            status=S.SUBMITTED,
            total="21000.50",
            payment="finance",
            decision=d.PENDING,
        ),
        "draft": place_order(leipzig, created=at(7), status=S.DRAFT, total="50000.00"),
        # The previous period (P2 is cancelled in this one).
        "P1": place_order(leipzig, created=at(20, month=2), status=S.DELIVERED, total="28000.00"),
        "P2": place_order(
            leipzig,
            created=at(24, month=2),
            status=S.CANCELLED,
            cancelled=at(10),
            reason="Found a cheaper car",
            total="30000.00",
        ),
        "P3": place_order(
            leipzig,
            created=at(25, month=2),
            status=S.CANCELLED,
            cancelled=at(26, month=2),
            reason="Financing declined",
            total="30000.00",
            payment="finance",
            decision=d.DECLINED,
        ),
        # Another location.
        "X1": place_order(
            dresden,
            created=at(4),
            status=S.CANCELLED,
            cancelled=at(5),
            reason="Moved away",
            total="99999.00",
            payment="finance",
            decision=d.APPROVED,
        ),
    }
    # O1 was renegotiated: version 2 (accepted) is the deal. O2 has an adjustment the
    # customer has not accepted: version 1 still is.
    v1 = orders["O1"].versions.get(number=1)
    OrderVersion.objects.create(
        order=orders["O1"],
        number=2,
        breakdown={**v1.breakdown, "total": "30000.00"},
        accepted_at=at(4),
    )
    # Accepting version 2 made it the deal (order_accept_version keeps the total so).
    Order.objects.filter(pk=orders["O1"].pk).update(deal_total=Decimal("30000.00"))
    v1 = orders["O2"].versions.get(number=1)
    OrderVersion.objects.create(
        order=orders["O2"], number=2, breakdown={**v1.breakdown, "total": "99999.00"}
    )
    return orders


def _reminder(car, item, *, queued, number=1):
    return ServiceReminder.objects.create(
        owned_vehicle=car,
        item=item,
        due_on=datetime.date(2026, 4, 1),
        number=number,
        created_at=queued or at(5),
        queued_at=queued,
    )


def _appointment(car, *, created, status=ServiceAppointment.Status.BOOKED):
    appointment = ServiceAppointment.objects.create(
        owned_vehicle=car,
        customer=car.customer,
        location=car.location,
        day=datetime.date(2026, 4, 2),
        drop_off_at=datetime.datetime(2026, 4, 2, 7, 30, tzinfo=datetime.UTC),
        handover=ServiceAppointment.Handover.DROP_OFF,
        booked_via=ServiceAppointment.BookedVia.REMINDER,
        status=status,
    )
    ServiceAppointment.objects.filter(pk=appointment.pk).update(created_at=created)
    return appointment


def _complaint(location, *, created, status, resolved=None, target=None):
    return Complaint.objects.create(
        customer=CustomerFactory(location=location),
        location=location,
        channel=Complaint.Channel.PHONE,
        category=Complaint.Category.SERVICE,
        severity=Complaint.Severity.MEDIUM,
        subject="Noise after service",
        description="It rattles.",
        status=status,
        target_at=target or created + datetime.timedelta(days=5),
        resolved_at=resolved,
        created_at=created,
    )


@pytest.fixture
def aftersales_data(shop):
    leipzig, dresden = shop["leipzig"], shop["elsewhere"]
    item = ServiceItemFactory(plan=MaintenancePlanFactory())
    cars = {
        name: owned_vehicle(CustomerFactory(location=leipzig), location=leipzig)
        for name in ("A", "B", "C", "D")
    }
    cars["W"] = owned_vehicle(CustomerFactory(location=dresden), location=dresden)

    # Reminders: A booked two days after (converted); B had booked before its reminder and
    # cancelled the booking made after it (not converted); C has none; D (previous period)
    # booked 18 days later; C's second reminder was never sent; W is Dresden's.
    _reminder(cars["A"], item, queued=at(3))
    _appointment(cars["A"], created=at(5))
    _appointment(cars["B"], created=at(1))
    _reminder(cars["B"], item, queued=at(4))
    _appointment(cars["B"], created=at(6), status=ServiceAppointment.Status.CANCELLED)
    _reminder(cars["C"], item, queued=at(10))
    _reminder(cars["C"], item, queued=None, number=2)
    _reminder(cars["D"], item, queued=at(20, month=2))
    _appointment(cars["D"], created=at(10))
    _reminder(cars["W"], item, queued=at(5))
    _appointment(cars["W"], created=at(6))

    airbag = RecallCampaign.objects.create(
        code="RC-1", title="Airbag inflator", description="Replace.", remedy="Replace."
    )
    brakes = RecallCampaign.objects.create(
        code="RC-2", title="Brake hose", description="Check.", remedy="Check."
    )
    for car, notified, remedied in (
        (cars["A"], at(1), None),
        (cars["B"], at(1), at(8)),
        (cars["C"], None, None),
        (cars["W"], None, None),
    ):
        RecallVehicle.objects.create(
            campaign=airbag,
            vin=car.vin,
            owned_vehicle=car,
            notified_at=notified,
            remedied_at=remedied,
        )
    RecallVehicle.objects.create(
        campaign=brakes,
        vin=cars["D"].vin,
        owned_vehicle=cars["D"],
        notified_at=at(18, month=2),
        remedied_at=at(20, month=2),
    )
    # A VIN no customer of ours owns: no location, in nobody's figures.
    RecallVehicle.objects.create(campaign=brakes, vin="WVWZZZ1KZAW000999")

    st = Complaint.Status
    # Resolved in the period: 10 h, 48 h and 288 h (received on 20 February).
    _complaint(leipzig, created=at(2), status=st.RESOLVED, resolved=at(2, hour=19))
    _complaint(leipzig, created=at(3), status=st.CLOSED, resolved=at(5))
    _complaint(leipzig, created=at(20, month=2), status=st.RESOLVED, resolved=at(4))
    # Resolved in the previous period: 24 h.
    _complaint(leipzig, created=at(17, month=2), status=st.RESOLVED, resolved=at(18, month=2))
    # Open now: K5 due on 20 March; K6 overdue since 11 March.
    _complaint(leipzig, created=at(12), status=st.NEW, target=at(20))
    _complaint(leipzig, created=at(9), status=st.IN_PROGRESS, target=at(11))
    _complaint(dresden, created=at(9), status=st.NEW, target=at(11))
    _complaint(dresden, created=at(3), status=st.RESOLVED, resolved=at(13))
    # The reminders' figures are rolled up as the funnel's are: the summary is backfilled
    # and the rollup job has just run (as in conftest.py's shop).
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    return cars


@pytest.fixture
def nps_data(shop):
    leipzig, dresden = shop["leipzig"], shop["elsewhere"]
    surveys = {
        Touchpoint.DELIVERY: standard_survey(Touchpoint.DELIVERY),
        Touchpoint.SERVICE: standard_survey(Touchpoint.SERVICE),
    }

    def invitation(location, touchpoint, created, score, consultant=None):
        answered = score is not None
        return InvitationFactory(
            survey=surveys[touchpoint],
            customer=CustomerFactory(location=location),
            location=location,
            consultant=consultant,
            created_at=created,
            status=Invitation.Status.COMPLETED if answered else Invitation.Status.SENT,
            nps_score=score,
            submitted_at=created + datetime.timedelta(hours=2) if answered else None,
        )

    delivery, service = Touchpoint.DELIVERY, Touchpoint.SERVICE
    invitation(leipzig, delivery, at(3), 10, consultant=shop["c1"])
    invitation(leipzig, delivery, at(4), 9)
    invitation(leipzig, delivery, at(5), 7, consultant=shop["c1"])
    invitation(leipzig, delivery, at(6), 3)
    invitation(leipzig, delivery, at(7), None)
    invitation(leipzig, service, at(9), 6)
    invitation(leipzig, service, at(20, month=2), 10)
    invitation(leipzig, service, at(24, month=2), 8)
    invitation(dresden, delivery, at(4), 0)
    assert timezone.now() == at(16, hour=11)
