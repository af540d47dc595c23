"""The trigger job: what is due and has no invitation yet, once, within the contact cap."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection

from dealership.messaging.models import OutboxMessage
from dealership.messaging.services import consent_record, suppression_add
from leads.models import Lead
from surveys.models import Invitation, Touchpoint
from surveys.services import invitation_create_for_customer, survey_invitations_create_due
from surveys.triggers import Due
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.surveys.factories import InvitationFactory, standard_survey

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


def _won(customer=None, *, ago: datetime.timedelta, **kwargs) -> Lead:
    customer = customer or CustomerFactory()
    return LeadFactory(
        customer=customer, status=Lead.Status.WON, won_at=NOW - ago, created_at=NOW - ago, **kwargs
    )


@pytest.mark.django_db
def test_trigger_run_twice_sends_once(consultant):
    survey = standard_survey(Touchpoint.PURCHASE)
    lead = _won(ago=datetime.timedelta(days=2), assigned_to=consultant)

    with time_machine.travel(NOW, tick=False):
        first = survey_invitations_create_due()
        second = survey_invitations_create_due()

    assert first == {"sent": 1, "skipped": 0}
    assert second == {"sent": 0, "skipped": 0}
    invitation = Invitation.objects.get()
    assert invitation.survey == survey
    assert invitation.dedupe_key == f"purchase:{lead.pk}:{lead.customer_id}"
    assert invitation.status == Invitation.Status.SENT
    assert invitation.consultant == consultant
    assert invitation.location == lead.location
    assert invitation.expires_at == NOW + datetime.timedelta(days=14)
    assert invitation.reminder_due_at == NOW + datetime.timedelta(days=3)
    message = OutboxMessage.objects.get()
    assert message.template_key == "surveys.invitation"
    assert message.to == lead.customer.email
    assert message.purpose == "transactional"
    assert message.dedupe_key == f"survey:{invitation.pk}:invitation"
    assert "/s/" in message.body


@pytest.mark.django_db
def test_only_touchpoints_inside_the_window_are_due():
    standard_survey(Touchpoint.PURCHASE)
    _won(ago=datetime.timedelta(hours=20))  # not a day ago yet
    _won(ago=datetime.timedelta(days=16))  # older than delay + window
    due = _won(ago=datetime.timedelta(days=1, minutes=1))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 1, "skipped": 0}
    assert list(Invitation.objects.values_list("source_id", flat=True)) == [str(due.pk)]


@pytest.mark.django_db
def test_an_inactive_survey_invites_nobody():
    survey = standard_survey(Touchpoint.PURCHASE)
    survey.is_active = False
    survey.save()
    _won(ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 0}
    assert Invitation.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_contact_cap_skips_a_customer_surveyed_within_30_days():
    standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory()
    InvitationFactory(customer=customer, created_at=NOW - datetime.timedelta(days=29))
    _won(customer, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()
        again = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 1}
    assert again == {"sent": 0, "skipped": 0}
    capped = Invitation.objects.get(dedupe_key__startswith="purchase:")
    assert capped.status == Invitation.Status.SKIPPED
    assert capped.skip_reason == Invitation.SkipReason.CAPPED
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_contact_cap_lets_the_survey_through_after_the_period(settings):
    settings.SURVEYS_CONTACT_CAP_DAYS = 30
    standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory()
    InvitationFactory(customer=customer, created_at=NOW - datetime.timedelta(days=30, minutes=1))
    _won(customer, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 1, "skipped": 0}
    assert OutboxMessage.objects.filter(to=customer.email).count() == 1


@pytest.mark.django_db
def test_contact_cap_period_is_configurable(settings):
    settings.SURVEYS_CONTACT_CAP_DAYS = 90
    standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory()
    InvitationFactory(customer=customer, created_at=NOW - datetime.timedelta(days=60))
    _won(customer, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 1}


@pytest.mark.django_db
def test_suppressed_address_is_recorded_not_sent():
    standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory()
    suppression_add(channel="email", address=customer.email, reason="unsubscribed")
    _won(customer, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 1}
    invitation = Invitation.objects.get()
    assert invitation.skip_reason == Invitation.SkipReason.SUPPRESSED
    assert invitation.reminder_due_at is None
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SUPPRESSED


@pytest.mark.django_db
def test_survey_requiring_marketing_consent_skips_customers_without_it():
    standard_survey(Touchpoint.PURCHASE, requires_marketing_consent=True)
    without = CustomerFactory()
    consenting = CustomerFactory()
    consent_record(
        channel="email", address=consenting.email, granted=True, source="test", wording="Yes"
    )
    _won(without, ago=datetime.timedelta(days=2))
    _won(consenting, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 1, "skipped": 1}
    assert Invitation.objects.get(customer=without).skip_reason == "suppressed"
    sent = OutboxMessage.objects.get(to=consenting.email)
    assert (sent.purpose, sent.status) == ("marketing", OutboxMessage.Status.QUEUED)


@pytest.mark.django_db
def test_customer_without_address_or_asking_for_no_contact_is_skipped():
    standard_survey(Touchpoint.PURCHASE)
    no_address = CustomerFactory(email="", mobile_phone="")
    no_contact = CustomerFactory(do_not_contact=True)
    _won(no_address, ago=datetime.timedelta(days=2))
    _won(no_contact, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        counts = survey_invitations_create_due()

    assert counts == {"sent": 0, "skipped": 2}
    assert Invitation.objects.get(customer=no_address).skip_reason == "no_address"
    assert Invitation.objects.get(customer=no_contact).skip_reason == "do_not_contact"
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_sms_when_the_customer_prefers_it():
    standard_survey(Touchpoint.PURCHASE)
    customer = CustomerFactory(preferred_channel="sms", mobile_phone="+4915112345678")
    _won(customer, ago=datetime.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        survey_invitations_create_due()

    message = OutboxMessage.objects.get()
    assert (message.channel, message.to) == ("sms", "+4915112345678")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cap_holds_when_two_touchpoints_invite_the_same_customer_at_once():
    purchase = standard_survey(Touchpoint.PURCHASE)
    test_drive = standard_survey(Touchpoint.TEST_DRIVE)
    customer = CustomerFactory()
    barrier = threading.Barrier(2)
    results = []

    def invite(survey, source_id):
        try:
            barrier.wait(timeout=10)
            due = Due(source_id, customer.pk, customer.location_id, None, NOW)
            results.append(invitation_create_for_customer(survey=survey, due=due, now=NOW))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=invite, args=(purchase, "1")),
        threading.Thread(target=invite, args=(test_drive, "2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 2
    statuses = sorted(Invitation.objects.values_list("status", "skip_reason"))
    assert statuses == [("sent", ""), ("skipped", "capped")]
    assert OutboxMessage.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_trigger_jobs_at_once_send_once():
    standard_survey(Touchpoint.PURCHASE)
    for _ in range(5):
        _won(ago=datetime.timedelta(days=2))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            survey_invitations_create_due(now=NOW)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert Invitation.objects.count() == 5
    assert OutboxMessage.objects.count() == 5
