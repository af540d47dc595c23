"""The nightly reminder run: who is due, once only (twice run, killed halfway), second
reminder, advisor task, and nobody who booked, sold, scrapped or opted out."""

import datetime
import zoneinfo

import pytest
import time_machine

from aftersales.models import OwnedVehicle, ServiceAppointment, ServiceReminder
from aftersales.services import reminders, reminders_run
from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, OutboxMessage
from dealership.messaging.services import consent_record
from leads.models import Task
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory

from .factories import ServiceItemFactory, owned_vehicle

pytestmark = pytest.mark.django_db
UTC = zoneinfo.ZoneInfo("UTC")
# Annual service due 15 Jan 2026 (time wins at 40 km/day); the window opens 16 Dec 2025.
NIGHT = datetime.datetime(2025, 12, 16, 2, 15, tzinfo=UTC)


def _customer(**kwargs):
    customer = CustomerFactory(**kwargs)
    for channel, address in ((Channel.EMAIL, customer.email), (Channel.SMS, customer.mobile_phone)):
        if address:
            consent_record(
                channel=channel, address=address, granted=True, source="test", wording="yes"
            )
    return customer


@pytest.fixture
def item():
    return ServiceItemFactory()


def _keys():
    return sorted(
        OutboxMessage.objects.filter(template_key="aftersales.service_reminder").values_list(
            "dedupe_key", flat=True
        )
    )


def test_a_car_entering_the_window_gets_one_email_and_one_sms(item):
    ov = owned_vehicle(_customer())
    with time_machine.travel(NIGHT - datetime.timedelta(days=1), tick=False):
        assert reminders_run()["first"] == 0
    with time_machine.travel(NIGHT, tick=False):
        result = reminders_run()
    assert result == {"first": 1, "second": 0, "queued": 1, "tasks": 0}
    assert _keys() == [
        f"aftersales:reminder:{ov.pk}:{item.pk}:2026-01-15:1:email",
        f"aftersales:reminder:{ov.pk}:{item.pk}:2026-01-15:1:sms",
    ]


def test_preferred_channel_only(item):
    ov = owned_vehicle(_customer(preferred_channel="email"))
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
    assert _keys() == [f"aftersales:reminder:{ov.pk}:{item.pk}:2026-01-15:1:email"]


def test_running_twice_sends_each_reminder_once(item):
    for _ in range(3):
        owned_vehicle(_customer())
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
        second_run = reminders_run()
    assert second_run == {"first": 0, "second": 0, "queued": 0, "tasks": 0}
    assert len(_keys()) == 6
    assert ServiceReminder.objects.count() == 3


def test_a_run_killed_halfway_is_finished_by_the_next_without_repeats(item, monkeypatch):
    for _ in range(4):
        owned_vehicle(_customer())
    real = reminders.message_enqueue
    calls = {"n": 0}

    def dies_after_three(**kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(reminders, "message_enqueue", dies_after_three)
    with time_machine.travel(NIGHT, tick=False), pytest.raises(SystemExit):
        reminders_run()
    # The reminder whose transaction died left nothing behind; one car was fully queued.
    assert len(_keys()) == 2
    assert ServiceReminder.objects.filter(queued_at__isnull=False).count() == 1

    monkeypatch.setattr(reminders, "message_enqueue", real)
    with time_machine.travel(NIGHT, tick=False):
        result = reminders_run()
    assert result["queued"] == 3
    keys = _keys()
    assert len(keys) == 8 == len(set(keys))


def test_second_reminder_after_n_days_then_a_task_for_the_advisor(item, location, settings):
    settings.AFTERSALES_SECOND_REMINDER_DAYS = 14
    settings.AFTERSALES_ADVISOR_TASK_DAYS = 7
    advisor = UserFactory(role=Role.SERVICE_ADVISOR, locations=[location])
    ov = owned_vehicle(_customer(location=location, preferred_channel="email"))
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
    with time_machine.travel(NIGHT + datetime.timedelta(days=13), tick=False):
        assert reminders_run()["second"] == 0
    with time_machine.travel(NIGHT + datetime.timedelta(days=14), tick=False):
        assert reminders_run()["second"] == 1
    with time_machine.travel(NIGHT + datetime.timedelta(days=21), tick=False):
        assert reminders_run()["tasks"] == 1
        assert reminders_run()["tasks"] == 0
    assert _keys() == [
        f"aftersales:reminder:{ov.pk}:{item.pk}:2026-01-15:1:email",
        f"aftersales:reminder:{ov.pk}:{item.pk}:2026-01-15:2:email",
    ]
    task = Task.objects.get()
    assert (task.owner, task.customer_id, task.kind) == (advisor, ov.customer_id, Task.Kind.CALL)
    assert (
        task.title
        == "Call about the Annual service of the Volkswagen Golf (no booking after two reminders)"
    )


def test_a_customer_who_booked_gets_no_second_reminder(item, settings):
    ov = owned_vehicle(_customer(preferred_channel="email"))
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
    ServiceAppointment.objects.create(
        owned_vehicle=ov,
        customer=ov.customer,
        location=ov.location,
        day=datetime.date(2025, 12, 22),
        drop_off_at=datetime.datetime(2025, 12, 22, 8, tzinfo=UTC),
        handover="drop_off",
        booked_via="reminder",
    )
    with time_machine.travel(NIGHT + datetime.timedelta(days=30), tick=False):
        assert reminders_run() == {"first": 0, "second": 0, "queued": 0, "tasks": 0}
    assert len(_keys()) == 1
    assert Task.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"status": OwnedVehicle.Status.SOLD},
        {"status": OwnedVehicle.Status.SCRAPPED},
        {"reminders_opt_out": True},
    ],
)
def test_sold_scrapped_or_opted_out_cars_get_nothing(item, change):
    ov = owned_vehicle(_customer())
    OwnedVehicle.objects.filter(pk=ov.pk).update(**change)
    with time_machine.travel(NIGHT, tick=False):
        assert reminders_run()["first"] == 0
    assert _keys() == []
    assert ServiceReminder.objects.count() == 0


def test_do_not_contact_customers_get_nothing(item):
    owned_vehicle(_customer(do_not_contact=True))
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
    assert _keys() == []


def test_the_reminder_needs_no_marketing_consent(item):
    owned_vehicle(CustomerFactory(mobile_phone=""))
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["queued"]


def test_a_suppressed_address_gets_no_reminder(item):
    from dealership.messaging.services import suppression_add

    customer = CustomerFactory(mobile_phone="")
    suppression_add(channel=Channel.EMAIL, address=customer.email, reason="unsubscribed")
    owned_vehicle(customer)
    with time_machine.travel(NIGHT, tick=False):
        reminders_run()
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["suppressed"]
