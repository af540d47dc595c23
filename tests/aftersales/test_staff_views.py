import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from aftersales.models import OdometerReading, RecallVehicle, ServiceAppointment
from aftersales.services import appointment_book, recall_campaign_import
from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, WorkshopCapacityFactory, owned_vehicle

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def advisor(location):
    return UserFactory(role=Role.SERVICE_ADVISOR, locations=[location])


def _book(location, n, *, day=datetime.date(2025, 12, 17)):
    item = ServiceItemFactory()
    WorkshopCapacityFactory(location=location, appointments_per_day=20)
    appointments = []
    with time_machine.travel(datetime.datetime(2025, 12, 15, 10, tzinfo=BERLIN), tick=False):
        for i in range(n):
            ov = owned_vehicle(CustomerFactory(location=location))
            appointments.append(
                appointment_book(
                    owned_vehicle=ov,
                    drop_off_at=datetime.datetime.combine(
                        day, datetime.time(9 + i % 8), tzinfo=BERLIN
                    ),
                    items=[item],
                    handover="drop_off",
                    via="staff",
                )
            )
    return item, appointments


@pytest.mark.parametrize("count", [1, 6])
def test_workshop_day_has_a_fixed_query_count(
    client, advisor, location, count, django_assert_num_queries
):
    _book(location, count)
    client.force_login(advisor)
    # Savepoint, session, user, groups, the user's locations; the appointments, their services,
    # their open recalls; release; the session save (3). The same for 1 appointment or 6.
    with django_assert_num_queries(12):
        response = client.get(f"/staff/service/?location={location.pk}&day=2025-12-17")
    assert response.status_code == 200
    assert response.content.decode().count("Volkswagen Golf") == count


def test_other_locations_appointments_are_404(client, advisor):
    _item, (appt,) = _book(LocationFactory(), 1)
    client.force_login(advisor)
    assert client.get(f"/staff/service/appointments/{appt.pk}/").status_code == 404
    assert (
        client.post(
            f"/staff/service/appointments/{appt.pk}/check-in/", {"odometer_km": 5}
        ).status_code
        == 404
    )
    appt.refresh_from_db()
    assert appt.status == "booked"


def test_check_in_with_a_backwards_odometer_warns_and_completion_clears_the_recall(
    client, advisor, location, manager
):
    item, (appt,) = _book(location, 1)
    ov = appt.owned_vehicle
    OdometerReading.objects.filter(owned_vehicle=ov).update(km=20000)
    type(ov).objects.filter(pk=ov.pk).update(odometer_km=20000, first_odometer_km=20000)
    recall_campaign_import(
        code="R1",
        title="Brake hose",
        description="d",
        remedy="Replace hose",
        vins=[ov.vin],
        by=manager,
    )
    client.force_login(advisor)
    with time_machine.travel(datetime.datetime(2025, 12, 17, 9, tzinfo=BERLIN), tick=False):
        response = client.post(
            f"/staff/service/appointments/{appt.pk}/check-in/", {"odometer_km": 1500}, follow=True
        )
        assert (
            "Ignored: lower than the latest reading (20000 km on 2025-01-15)."
            in response.content.decode()
        )
        recall = RecallVehicle.objects.get()
        bad = client.post(
            f"/staff/service/appointments/{appt.pk}/complete/", {"work_done": "", "price": "-1"}
        )
        assert bad.status_code == 400
        assert ServiceAppointment.objects.get().status == "checked_in"
        client.post(
            f"/staff/service/appointments/{appt.pk}/complete/",
            {
                "work_done": "Annual service, brake hose",
                "price": "310.50",
                "items_done": [item.pk],
                "recalls": [recall.pk],
            },
        )
    appt.refresh_from_db()
    recall.refresh_from_db()
    assert (appt.status, appt.price, recall.remedied_appointment_id) == (
        "completed",
        Decimal("310.50"),
        appt.pk,
    )


def test_customer_360_shows_cars_visits_and_complaints(client, consultant, location):
    _item, (appt,) = _book(location, 1)
    client.force_login(consultant)
    html = client.get(f"/staff/customers/{appt.customer_id}/").content.decode()
    assert "Owns Volkswagen Golf" in html
    assert "Service visit: Volkswagen Golf" in html


def test_open_recalls_report_per_location_counts_open_and_notified(
    client, advisor, location, manager
):
    cars = [owned_vehicle(CustomerFactory(location=location)) for _ in range(3)]
    elsewhere = owned_vehicle(CustomerFactory(location=LocationFactory()))
    recall_campaign_import(
        code="R7",
        title="Seat belt",
        description="d",
        remedy="r",
        vins=[c.vin for c in cars] + [elsewhere.vin],
        by=manager,
    )
    RecallVehicle.objects.filter(owned_vehicle=cars[0]).update(remedied_at="2025-01-01T00:00Z")
    client.force_login(advisor)
    response = client.get("/staff/service/recalls/")
    assert [
        (r["owned_vehicle__location__name"], r["campaign__code"], r["open"], r["notified"])
        for r in response.context["rows"]
    ] == [(location.name, "R7", 2, 2)]


def test_changing_a_plan_in_admin_recomputes_the_cars(
    admin_client, django_capture_on_commit_callbacks
):
    item = ServiceItemFactory(interval_months=12, interval_km=None)
    ov = owned_vehicle()
    assert ov.next_due_on == datetime.date(2026, 1, 15)
    plan = item.plan
    # The recompute task is queued on commit (and runs eagerly in tests).
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/aftersales/maintenanceplan/{plan.pk}/change/",
            {
                "name": plan.name,
                "make": "",
                "model": "",
                "fuel": "",
                "is_active": "on",
                "items-TOTAL_FORMS": "1",
                "items-INITIAL_FORMS": "1",
                "items-MIN_NUM_FORMS": "0",
                "items-MAX_NUM_FORMS": "1000",
                "items-0-id": item.pk,
                "items-0-plan": plan.pk,
                "items-0-name": item.name,
                "items-0-interval_months": "6",
                "items-0-interval_km": "",
                "items-0-remind_days_ahead": "30",
                "items-0-remind_km_ahead": "1000",
                "items-0-position": "0",
            },
        )
    assert response.status_code == 302
    ov.refresh_from_db()
    assert ov.next_due_on == datetime.date(2025, 7, 15)
