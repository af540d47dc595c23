"""The proof that the summary can be trusted: on a randomised fixture (seeded, three time
zones, every stage, late and unanswered leads, paid and unpaid cancellations, answered and
unanswered surveys, service reminders followed by bookings or not), every dashboard figure
read from the summary tables equals the figure computed from the source tables, for many
filters and periods; and the funnel and the reminders equal a plain Python count of the rows."""

import datetime
import random
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.models import ServiceAppointment, ServiceReminder
from dealership.accounts.roles import Role
from dealership.reports.selectors import (
    ReportFilters,
    funnel_report,
    leaderboard_report,
    response_report,
)
from dealership.reports.selectors_aftersales import aftersales_report
from dealership.reports.selectors_nps import nps_report
from dealership.reports.services import rollup_backfill, rollup_refresh
from inventory.models import Vehicle
from leads.models import Lead
from orders.models import Order, Payment
from surveys.models import Invitation
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.aftersales.factories import MaintenancePlanFactory, ServiceItemFactory, owned_vehicle
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.surveys.factories import InvitationFactory, standard_survey

from .conftest import make_order

pytestmark = pytest.mark.postgres

NOW = datetime.datetime(2026, 6, 10, 15, 0, tzinfo=datetime.UTC)
SOURCES = (Lead.Source.WEBSITE, Lead.Source.PHONE, Lead.Source.WALK_IN)
STAGES = ("contacted", "qualified", "appointment", "negotiation", "won")


def _random_moment(rng: random.Random, days: int = 60) -> datetime.datetime:
    return NOW - datetime.timedelta(minutes=rng.randint(1, days * 24 * 60))


@pytest.fixture
def world(db):
    rng = random.Random(20260610)
    with time_machine.travel(NOW, tick=False):
        locations = [
            LocationFactory(name="Berlin", slug="berlin", time_zone="Europe/Berlin"),
            LocationFactory(name="New York", slug="new-york", time_zone="America/New_York"),
            LocationFactory(name="Tokyo", slug="tokyo", time_zone="Asia/Tokyo"),
        ]
        team = {
            loc.pk: [
                UserFactory(username=f"c{loc.pk}-{i}", role=Role.CONSULTANT, locations=[loc])
                for i in range(2)
            ]
            for loc in locations
        }
        admin = UserFactory(username="root", role=Role.ADMINISTRATOR)
        manager = UserFactory(username="boss", role=Role.SALES_MANAGER, locations=locations[:2])

        def someone(location):
            return rng.choice([*team[location.pk], None])

        for _ in range(160):
            location = rng.choice(locations)
            created = _random_moment(rng)
            reached = rng.randint(0, len(STAGES))
            stamps = {f"{s}_at": created + datetime.timedelta(hours=1) for s in STAGES[:reached]}
            due = created + datetime.timedelta(minutes=15) if rng.random() < 0.9 else None
            answered = rng.random() < 0.8
            minutes = rng.randint(0, 240) if answered else None
            LeadFactory(
                customer=CustomerFactory(location=location, source=rng.choice(SOURCES)),
                location=location,
                source=rng.choice(SOURCES),
                assigned_to=someone(location),
                created_at=created,
                response_due_at=due,
                first_response_at=created + datetime.timedelta(minutes=minutes)
                if answered
                else None,
                first_response_minutes=minutes,
                status=Lead.Status.NEW if not answered and not reached else Lead.Status.CONTACTED,
                **stamps,
            )
        statuses = list(Booking.Status)
        for i in range(45):
            location = rng.choice(locations)
            start = NOW - datetime.timedelta(hours=31 * i + rng.randint(1, 20))
            Booking.objects.create(
                kind=Booking.Kind.DRIVE,
                location=location,
                vehicle=VehicleFactory(location=location, status=Vehicle.Status.AVAILABLE),
                consultant=someone(location),
                customer=CustomerFactory(location=location, source=rng.choice(SOURCES)),
                start_at=start,
                end_at=start + datetime.timedelta(minutes=45),
                busy_until=start + datetime.timedelta(minutes=60),
                status=rng.choice(statuses),
                channel=Booking.Channel.WEBSITE,
            )
        for _ in range(45):
            location = rng.choice(locations)
            created = _random_moment(rng)
            S = Order.Status
            status = rng.choice(
                (S.DRAFT, S.SUBMITTED, S.CANCELLED, S.CANCELLED, S.DELIVERED, S.DEPOSIT_PAID)
            )
            delivered = None
            if status == Order.Status.DELIVERED:
                delivered = min(created + datetime.timedelta(days=rng.randint(0, 20)), NOW)
            order = make_order(
                location,
                location,
                someone(location),
                created=created,
                status=status,
                paid=status != Order.Status.DRAFT and rng.random() < 0.5,
                delivered=delivered,
            )
            order.customer.source = rng.choice(SOURCES)
            order.customer.save()
        standard_survey()
        for _ in range(120):
            # Sent over 100 days (NPS counts by then, by month), answered up to 20 days after
            location = rng.choice(locations)
            created = _random_moment(rng, days=100)
            submitted = None
            if rng.random() < 0.8:
                submitted = min(created + datetime.timedelta(hours=rng.randint(1, 480)), NOW)
            InvitationFactory(
                customer=CustomerFactory(location=location, source=rng.choice(SOURCES)),
                location=location,
                consultant=someone(location),
                touchpoint=rng.choice(("purchase", "test_drive", "delivery", "service")),
                created_at=created,
                status=Invitation.Status.COMPLETED if submitted else Invitation.Status.SENT,
                nps_score=rng.randint(0, 10) if submitted else None,
                submitted_at=submitted,
            )
        # After-sales: cars at each branch, reminders sent (or not yet) over three months,
        # and bookings of the cars before and after them, some cancelled, some too late.
        item = ServiceItemFactory(plan=MaintenancePlanFactory())
        cars = [
            owned_vehicle(CustomerFactory(location=location), location=location)
            for location in locations
            for _ in range(6)
        ]
        for n in range(70):
            queued = _random_moment(rng, days=90) if rng.random() < 0.9 else None
            ServiceReminder.objects.create(
                owned_vehicle=rng.choice(cars),
                item=item,
                due_on=datetime.date(2026, 7, 1),
                number=n,
                created_at=queued or NOW,
                queued_at=queued,
            )
        for _ in range(40):
            car = rng.choice(cars)
            appointment = ServiceAppointment.objects.create(
                owned_vehicle=car,
                customer=car.customer,
                location=car.location,
                day=datetime.date(2026, 6, 20),
                drop_off_at=datetime.datetime(2026, 6, 20, 7, 30, tzinfo=datetime.UTC),
                handover=ServiceAppointment.Handover.DROP_OFF,
                booked_via=ServiceAppointment.BookedVia.REMINDER,
                status=rng.choice(list(ServiceAppointment.Status)),
            )
            ServiceAppointment.objects.filter(pk=appointment.pk).update(
                created_at=_random_moment(rng, days=90)
            )
        rollup_backfill(first=datetime.date(2026, 3, 1), last=datetime.date(2026, 6, 12))
        rollup_refresh()
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        yield {"locations": locations, "team": team, "admin": admin, "manager": manager}


def _everything(user, filters: ReportFilters) -> tuple:
    return (
        funnel_report(user=user, filters=filters)["tables"][0].rows,
        response_report(user=user, filters=filters)["figures"],
        leaderboard_report(user=user, filters=filters)["tables"][0].rows,
        aftersales_report(user=user, filters=filters)["tables"][0].rows,
        [table.rows for table in nps_report(user=user, filters=filters)["tables"]],
    )


PERIODS = [
    (datetime.date(2026, 5, 12), datetime.date(2026, 6, 11)),  # up to today: live + summary
    (datetime.date(2026, 4, 20), datetime.date(2026, 5, 25)),  # closed days only
    (datetime.date(2026, 6, 9), datetime.date(2026, 6, 11)),  # the live days only
    (datetime.date(2026, 6, 1), datetime.date(2026, 6, 1)),  # one day
    (datetime.date(2026, 4, 1), datetime.date(2026, 5, 31)),  # two whole months
    (datetime.date(2026, 3, 20), datetime.date(2026, 6, 11)),  # days, months, days, live
]


def test_summary_figures_equal_the_figures_from_the_source_tables(world, settings):
    rng = random.Random(7)
    combinations = []
    for first, last in PERIODS:
        combinations.append((world["admin"], ReportFilters(first=first, last=last)))
        combinations.append((world["manager"], ReportFilters(first=first, last=last)))
        location = rng.choice(world["locations"])
        combinations.append(
            (world["admin"], ReportFilters(first=first, last=last, location_id=location.pk))
        )
        combinations.append(
            (world["admin"], ReportFilters(first=first, last=last, source=rng.choice(SOURCES)))
        )
        consultant = rng.choice(world["team"][location.pk])
        combinations.append(
            (world["admin"], ReportFilters(first=first, last=last, consultant_id=consultant.pk))
        )
    non_empty = reminders = nps_months = 0
    for user, filters in combinations:
        settings.REPORTS_USE_ROLLUPS = True
        with CaptureQueriesContext(connection) as captured:
            from_summary = _everything(user, filters)
        nps_months += any("reports_npsmonthly" in q["sql"] for q in captured.captured_queries)
        settings.REPORTS_USE_ROLLUPS = False
        from_sources = _everything(user, filters)
        assert from_summary == from_sources, filters
        non_empty += from_summary[0][0][1] > 0
        # (reminders sent in the period, and some followed by a booking)
        reminders += from_summary[3][0][1] > 0 and from_summary[3][1][1] > 0
    # (and the comparison was not between empty reports)
    assert non_empty >= 20
    assert reminders >= 10
    # (and the NPS months came from the summary where the calendars allow: one location's
    # report over the two periods with whole months before today)
    assert nps_months == 2


def _local_day(moment: datetime.datetime, location) -> datetime.date:
    return moment.astimezone(zoneinfo.ZoneInfo(location.time_zone)).date()


def test_summary_funnel_equals_a_python_count_of_the_rows(world):
    first, last = PERIODS[0]

    def within(moment, location) -> bool:
        return moment is not None and first <= _local_day(moment, location) <= last

    leads = [
        lead
        for lead in Lead.objects.select_related("location")
        if within(lead.created_at, lead.location)
    ]
    paid = set(
        Payment.objects.filter(status=Payment.Status.SUCCEEDED).values_list("order_id", flat=True)
    )
    orders = list(Order.objects.select_related("location"))
    expected = {
        "leads": len(leads),
        "contacted": sum(any(getattr(lead, f"{s}_at") for s in STAGES) for lead in leads),
        "test_drives": sum(
            within(b.start_at, b.location)
            for b in Booking.objects.select_related("location").filter(
                status=Booking.Status.COMPLETED
            )
        ),
        "orders": sum(
            within(o.created_at, o.location)
            for o in orders
            if o.status != Order.Status.DRAFT
            and (o.status != Order.Status.CANCELLED or o.pk in paid)
        ),
        "delivered": sum(
            within(o.delivered_at, o.location) for o in orders if o.status == Order.Status.DELIVERED
        ),
    }
    counts = funnel_report(user=world["admin"], filters=ReportFilters(first=first, last=last))
    assert counts["counts"] == expected
    assert all(expected[k] > 0 for k in expected)
    # and the reminders: sent on the period's days at the car's branch, and those followed
    # by a booking of the car (not cancelled) within 60 days
    window = datetime.timedelta(days=60)
    appointments = list(
        ServiceAppointment.objects.exclude(status=ServiceAppointment.Status.CANCELLED)
    )
    sent = [
        r
        for r in ServiceReminder.objects.select_related("owned_vehicle__location")
        if within(r.queued_at, r.owned_vehicle.location)
    ]
    booked = [
        r
        for r in sent
        if any(
            a.owned_vehicle_id == r.owned_vehicle_id
            and r.queued_at <= a.created_at < r.queued_at + window
            for a in appointments
        )
    ]
    aftersales = aftersales_report(
        user=world["admin"], filters=ReportFilters(first=first, last=last)
    )
    rows = aftersales["tables"][0].rows
    assert (rows[0][1], rows[1][1]) == (len(sent), len(booked))
    assert 0 < len(booked) < len(sent)
    # and the NPS of the leaderboard: Decimal, one place
    rows = leaderboard_report(user=world["admin"], filters=ReportFilters(first=first, last=last))
    assert all(r[7] is None or isinstance(r[7], Decimal) for r in rows["tables"][0].rows)
