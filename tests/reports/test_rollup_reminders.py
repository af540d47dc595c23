"""The reminder figures in the summary: a service booking made (or cancelled) today changes
the figure of a reminder sent up to 60 days ago, long outside the rollup's sliding window;
the periodic job finds that day through the appointment's updated_at and recomputes it."""

import datetime

import pytest
import time_machine

from aftersales.models import ServiceAppointment
from aftersales.services import appointment_cancel
from dealership.reports import services
from dealership.reports.models import DailyFigures
from dealership.reports.selectors import ReportFilters, funnel_report
from dealership.reports.selectors_aftersales import aftersales_report, reminder_conversion
from dealership.reports.services import rollup_backfill, rollup_refresh
from tests.aftersales.factories import MaintenancePlanFactory, ServiceItemFactory, owned_vehicle
from tests.leads.factories import CustomerFactory

from .conftest import NOW, at
from .panel_data import _appointment, _reminder

pytestmark = pytest.mark.postgres

LATER = NOW + datetime.timedelta(minutes=10)
JANUARY = ReportFilters(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 1, 31))


@pytest.fixture
def car(shop):
    return owned_vehicle(CustomerFactory(location=shop["leipzig"]), location=shop["leipzig"])


@pytest.fixture
def item(db):
    return ServiceItemFactory(plan=MaintenancePlanFactory())


def reminder_row(shop, day: datetime.date) -> tuple[int, int]:
    row = DailyFigures.objects.get(
        day=day, location_id=shop["leipzig"].pk, consultant_id=None, source=""
    )
    return row.reminders_sent, row.reminders_booked


def reminders(shop, filters=JANUARY) -> list:
    return aftersales_report(user=shop["manager"], filters=filters)["tables"][0].rows[:2]


def test_a_booking_made_now_converts_a_reminder_sent_outside_the_window(shop, car, item):
    # Given a reminder sent on 20 January (the 35-day window starts on 9 February), rolled up
    _reminder(car, item, queued=at(20, month=1))
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    assert reminder_row(shop, datetime.date(2026, 1, 20)) == (1, 0)
    # When the car is booked in ten minutes later (55 days after the reminder)
    with time_machine.travel(LATER, tick=False):
        ServiceAppointment.objects.create(
            owned_vehicle=car,
            customer=car.customer,
            location=car.location,
            day=datetime.date(2026, 3, 20),
            drop_off_at=at(20),
            handover=ServiceAppointment.Handover.DROP_OFF,
            booked_via=ServiceAppointment.BookedVia.REMINDER,
        )
        # Then the job sees exactly that reminder's day as touched, recomputes it
        assert services._touched_days(NOW + datetime.timedelta(minutes=5)) == {
            datetime.date(2026, 1, 20)
        }
        rollup_refresh()
        # and January's panel shows the reminder converted
        assert reminder_row(shop, datetime.date(2026, 1, 20)) == (1, 1)
        assert reminders(shop) == [
            ["Reminders sent", 1, 0, 1],
            ["Followed by a service booking", 1, 0, 1],
        ]


def test_a_booking_more_than_60_days_after_touches_no_reminder_day(shop, car, item):
    # Given a reminder of 10 January (65 days before today)
    _reminder(car, item, queued=at(10, month=1))
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    # When the car is booked in now
    with time_machine.travel(LATER, tick=False):
        _appointment(car, created=LATER)
        # Then no reminder day is touched, and the reminder stays unconverted
        assert services._touched_days(NOW + datetime.timedelta(minutes=5)) == set()
        rollup_refresh()
        assert reminder_row(shop, datetime.date(2026, 1, 10)) == (1, 0)
        assert reminders(shop)[1] == ["Followed by a service booking", 0, 0, 0]


def test_cancelling_the_booking_unconverts_an_old_reminder(shop, car, item):
    # Given a reminder of 5 January followed by a booking on 1 February, rolled up
    _reminder(car, item, queued=at(5, month=1))
    appointment = _appointment(car, created=at(1, month=2))
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    assert reminder_row(shop, datetime.date(2026, 1, 5)) == (1, 1)
    # When the booking is cancelled now (through the service, as the workshop does)
    with time_machine.travel(LATER, tick=False):
        appointment_cancel(appointment=appointment)
        assert ServiceAppointment.objects.get(pk=appointment.pk).updated_at == LATER
        rollup_refresh()
        # Then the reminder's day no longer counts it as followed by a booking
        assert reminder_row(shop, datetime.date(2026, 1, 5)) == (1, 0)
        assert reminders(shop) == [
            ["Reminders sent", 1, 0, 1],
            ["Followed by a service booking", 0, 0, 0],
        ]


def test_a_reminder_sent_today_counts_before_any_rollup_run(shop, car, item):
    # Given the rollup ran at 11:00, and a reminder goes out at 11:05 (read live)
    rollup_refresh()
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        _reminder(car, item, queued=NOW + datetime.timedelta(minutes=5))
        today = ReportFilters(first=datetime.date(2026, 3, 16), last=datetime.date(2026, 3, 16))
        # Then today's panel counts it
        assert reminders(shop, today)[0] == ["Reminders sent", 1, 0, 1]
    # (and the summary has no row for today's reminder: the day is read from the sources)
    assert not DailyFigures.objects.filter(reminders_sent__gt=0).exists()


def test_reminder_rows_stay_out_of_the_sales_figures(shop, car, item):
    # Given the funnel before, and two reminders of the period rolled up
    filters = ReportFilters(first=datetime.date(2026, 3, 2), last=datetime.date(2026, 3, 15))
    funnel = funnel_report(user=shop["manager"], filters=filters)["counts"]
    _reminder(car, item, queued=at(3))
    _reminder(car, item, queued=at(4), number=2)
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    # Then they are rows of their own: no consultant, no source, no sales figure on them
    rows = DailyFigures.objects.filter(reminders_sent__gt=0).order_by("day")
    assert list(rows.values_list("day", "consultant_id", "source", "leads", "orders")) == [
        (datetime.date(2026, 3, 3), None, "", 0, 0),
        (datetime.date(2026, 3, 4), None, "", 0, 0),
    ]
    # and the panel counts both, the funnel is unchanged, and a source filter (which the
    # after-sales panel ignores) does not hide them
    assert reminders(shop, filters)[0] == ["Reminders sent", 2, 0, 2]
    assert funnel_report(user=shop["manager"], filters=filters)["counts"] == funnel
    by_source = ReportFilters(first=filters.first, last=filters.last, source="website")
    assert reminders(shop, by_source)[0] == ["Reminders sent", 2, 0, 2]


def test_reminder_conversion_for_another_summary(shop, car, item, django_assert_num_queries):
    # Given a reminder of 3 March booked two days later, rolled up
    _reminder(car, item, queued=at(3))
    _appointment(car, created=at(5))
    rollup_backfill(first=datetime.date(2026, 1, 1), last=datetime.date(2026, 3, 17))
    rollup_refresh()
    filters = ReportFilters(first=datetime.date(2026, 3, 2), last=datetime.date(2026, 3, 15))
    # When another summary (the weekly email, say) asks for the figures: four queries (the
    # user's roles, their locations, the rollup's cutoff day, the sums)
    with django_assert_num_queries(4):
        figures = reminder_conversion(user=shop["manager"], filters=filters)
    # Then they are the panel's
    assert figures == {"now_sent": 1, "before_sent": 0, "now_booked": 1, "before_booked": 0}
    # and a consultant, who may not report, gets none
    assert reminder_conversion(user=shop["c1"], filters=filters) == {
        "now_sent": 0,
        "before_sent": 0,
        "now_booked": 0,
        "before_booked": 0,
    }
