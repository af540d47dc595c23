"""ConsentLatest: the latest consent decision per channel and address, kept by triggers on
messaging_consent whatever writes it (the service, a bulk insert, an update, a delete)."""

import datetime

import pytest

from dealership.messaging.models import Consent, ConsentLatest
from dealership.messaging.services import consent_record

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


def record(address, granted, channel="email"):
    return consent_record(
        channel=channel, address=address, granted=granted, source="test", wording="Offers?"
    )


def latest():
    return {
        (row.channel, row.address): (row.granted, row.consent_id)
        for row in ConsentLatest.objects.all()
    }


def test_the_latest_decision_per_address_follows_each_recorded_consent():
    first = record("Anna@Example.com", True)
    assert latest() == {("email", "anna@example.com"): (True, first.pk)}

    withdrawn = record("anna@example.com", False)
    other = record("+4915112345678", True, channel="sms")

    assert latest() == {
        ("email", "anna@example.com"): (False, withdrawn.pk),
        ("sms", "+4915112345678"): (True, other.pk),
    }


def test_deleting_the_latest_falls_back_to_the_one_before_and_deleting_all_clears_it():
    granted = record("ben@example.com", True)
    withdrawn = record("ben@example.com", False)

    Consent.objects.filter(pk=withdrawn.pk).delete()
    assert latest() == {("email", "ben@example.com"): (True, granted.pk)}

    Consent.objects.filter(address="ben@example.com").delete()
    assert latest() == {}


def test_bulk_inserts_and_updates_keep_the_fact_ordered_by_time_then_id():
    Consent.objects.bulk_create(
        [
            Consent(
                channel="email", address="cem@example.com", granted=True, source="s", wording="w"
            ),
            Consent(
                channel="email", address="cem@example.com", granted=False, source="s", wording="w"
            ),
        ]
    )
    rows = list(Consent.objects.filter(address="cem@example.com").order_by("pk"))
    # Same timestamp on both: the higher id is the later decision (as consent_state reads it).
    Consent.objects.filter(address="cem@example.com").update(recorded_at=T0)
    assert latest() == {("email", "cem@example.com"): (False, rows[1].pk)}

    Consent.objects.filter(pk=rows[0].pk).update(recorded_at=T0 + datetime.timedelta(days=1))
    assert latest() == {("email", "cem@example.com"): (True, rows[0].pk)}
