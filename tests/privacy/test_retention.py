import datetime

import pytest
import time_machine
from django.utils import timezone

from dealership.accounts.models import AuditEvent
from dealership.privacy.models import Erasure
from dealership.privacy.services import privacy_retention_run
from dealership.privacy.tasks import retention
from leads.models import Lead
from tests.leads.factories import ActivityFactory, CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 2, 15, tzinfo=datetime.UTC)


def _customer_with_lead(location, *, age: datetime.timedelta, status=Lead.Status.LOST, **kw):
    """A customer created with a lead `age` ago (created_at is auto_now_add: travel there)."""
    with time_machine.travel(NOW - age, tick=False):
        customer = CustomerFactory(location=location, **kw)
        LeadFactory(customer=customer, status=status, created_at=timezone.now())
    return customer


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_leads_that_never_converted_are_erased_after_24_months(location, frozen):
    # Given customers on both sides of the 24 months (2024-11-23 02:15 UTC)
    stale = _customer_with_lead(location, age=datetime.timedelta(days=731), email="old@x.de")
    recent = _customer_with_lead(location, age=datetime.timedelta(days=729), email="new@x.de")
    bought = _customer_with_lead(
        location, age=datetime.timedelta(days=900), status=Lead.Status.WON, email="won@x.de"
    )
    came_back = _customer_with_lead(location, age=datetime.timedelta(days=900), email="back@x.de")
    LeadFactory(customer=came_back, created_at=NOW - datetime.timedelta(days=30))
    talked = _customer_with_lead(location, age=datetime.timedelta(days=900), email="call@x.de")
    ActivityFactory(customer=talked, occurred_at=NOW - datetime.timedelta(days=10))

    # When the job runs
    erased = privacy_retention_run()

    # Then only the stale one is erased, by the system, with the reason
    assert erased == 1
    erasure = Erasure.objects.get()
    assert (erasure.customer_id, erasure.trigger, erasure.erased_by) == (
        stale.pk,
        "retention",
        None,
    )
    assert erasure.reason == "No purchase and no contact for 24 months"
    assert erasure.erased_at == NOW
    stale.refresh_from_db()
    assert stale.email == ""
    for kept in (recent, bought, came_back, talked):
        kept.refresh_from_db()
        assert kept.email != "", kept
    event = AuditEvent.objects.get()
    assert (event.actor_name, event.action) == ("system", "erase")


def test_running_twice_erases_nothing_more(location, frozen):
    _customer_with_lead(location, age=datetime.timedelta(days=800))
    _customer_with_lead(location, age=datetime.timedelta(days=900))

    assert privacy_retention_run() == 2
    assert privacy_retention_run() == 0

    assert Erasure.objects.count() == 2
    assert AuditEvent.objects.count() == 2


def test_the_period_is_a_setting(location, frozen, settings):
    settings.PRIVACY_LEAD_RETENTION_MONTHS = 12
    customer = _customer_with_lead(location, age=datetime.timedelta(days=400))

    retention.delay()

    assert list(Erasure.objects.values_list("customer_id", flat=True)) == [customer.pk]


def test_a_run_that_crashes_halfway_is_finished_by_the_next(location, frozen, monkeypatch):
    from dealership.privacy import services

    first = _customer_with_lead(location, age=datetime.timedelta(days=800))
    second = _customer_with_lead(location, age=datetime.timedelta(days=900))
    real_erase, calls = services.customer_erase, []

    def erase_then_crash(**kwargs):
        calls.append(kwargs["customer"].pk)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_erase(**kwargs)

    monkeypatch.setattr(services, "customer_erase", erase_then_crash)
    with pytest.raises(RuntimeError):
        privacy_retention_run()
    assert list(Erasure.objects.values_list("customer_id", flat=True)) == [first.pk]

    monkeypatch.setattr(services, "customer_erase", real_erase)
    assert privacy_retention_run() == 1

    assert sorted(Erasure.objects.values_list("customer_id", flat=True)) == [first.pk, second.pk]
    assert AuditEvent.objects.count() == 2
