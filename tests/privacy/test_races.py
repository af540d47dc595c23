"""Two erasures of one customer at once (a manager's click and the retention job) on
PostgreSQL: the row lock makes the second wait and then find the first's erasure."""

import threading

import pytest
from django.db import connection

from dealership.accounts.models import AuditEvent
from dealership.messaging.models import Channel, Suppression
from dealership.privacy.models import Erasure
from dealership.privacy.services import customer_erase
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.privacy.factories import SuppressionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_erasures_of_one_customer_erase_once():
    customer = CustomerFactory(email="lena@example.de")
    LeadFactory(customer=customer)
    SuppressionFactory(channel=Channel.EMAIL, address="lena@example.de")
    start, results, errors = threading.Barrier(2), [], []

    def erase(trigger):
        try:
            start.wait(timeout=10)
            results.append(
                customer_erase(customer=customer, by=None, reason=trigger, trigger=trigger)
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=erase, args=(trigger,)) for trigger in ("request", "retention")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len({erasure.pk for erasure in results}) == 1
    assert Erasure.objects.count() == 1
    assert AuditEvent.objects.filter(action="erase").count() == 1
    assert Suppression.objects.count() == 1
