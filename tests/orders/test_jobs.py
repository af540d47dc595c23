"""The periodic jobs: reservation expiry through Celery, reminders once per day."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from dealership.messaging.models import OutboxMessage
from orders.models import Order
from orders.tasks import expire_reservations, send_reminders
from tests.orders.factories import advance, make_order

pytestmark = pytest.mark.django_db


def test_the_expiry_task_runs_the_service(vehicle):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = advance(make_order(vehicle), "submitted", staff=None)
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        assert expire_reservations.delay().get() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_a_reminder_goes_out_once_a_day_however_often_the_job_runs(vehicle, consultant):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = advance(make_order(vehicle), "contract_sent", staff=consultant)
    reminders = OutboxMessage.objects.filter(template_key="orders.reminder")

    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        send_reminders.delay()
    assert reminders.count() == 0  # not due before two days
    with time_machine.travel(start + datetime.timedelta(days=2, hours=1), tick=False):
        send_reminders.delay()
        send_reminders.delay()
    with time_machine.travel(start + datetime.timedelta(days=3, hours=1), tick=False):
        send_reminders.delay()

    assert list(reminders.values_list("dedupe_key", flat=True).order_by("id")) == [
        f"order:{order.pk}:reminder:contract_sent:2:email",
        f"order:{order.pk}:reminder:contract_sent:3:email",
    ]
    assert "needs something from you (Contract ready to sign)" in reminders.first().body
