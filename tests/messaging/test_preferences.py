"""Consent stays specific (issue 19): the preference page lists every purpose we email an
address for, each with its own switch; a switch posts its own purpose only, and turning one on
or off never changes another. Tested from every combination of the others."""

import itertools

import pytest
from django.core import mail
from django.utils import timezone

from dealership.messaging.models import Channel, Consent, Suppression
from dealership.messaging.preferences import preference_set, preference_switches
from dealership.messaging.selectors import consent_state
from dealership.messaging.services import consent_record
from dealership.messaging.tokens import unsubscribe_token
from inventory.models import SavedSearch
from inventory.saved_searches import saved_search_create
from tests.accounts.factories import LocationFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ADDRESS = "lena.hoffmann@example.de"
PHONE = "+4915123456789"


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch):
    monkeypatch.setattr("dealership.messaging.views.PUBLIC_LIMIT_PER_MINUTE", 10_000)


@pytest.fixture
def lena():
    customer = CustomerFactory(
        location=LocationFactory(), email=ADDRESS, mobile_phone=PHONE, first_name="Lena"
    )
    golf, _ = saved_search_create(
        email=ADDRESS, query="make=Volkswagen&model=Golf", consent_wording="Email me new matches"
    )
    diesel, _ = saved_search_create(
        email=ADDRESS, query="fuel=diesel", consent_wording="Email me new matches"
    )
    # Somebody else's search and number are never on Lena's page.
    saved_search_create(email="jonas@example.de", query="make=BMW", consent_wording="x")
    CustomerFactory(email="jonas@example.de", mobile_phone="+4915200000001")
    return {"customer": customer, "golf": golf, "diesel": diesel}


def _url(address=ADDRESS):
    return f"/messages/preferences/{unsubscribe_token(channel=Channel.EMAIL, address=address)}/"


def _states() -> dict[str, bool]:
    return {switch.key: switch.enabled for switch in preference_switches(address=ADDRESS)}


def _keys(lena) -> list[str]:
    return [
        "transactional",
        "marketing:email",
        f"marketing:sms:{lena['customer'].pk}",
        f"alert:{lena['golf'].pk}",
        f"alert:{lena['diesel'].pk}",
    ]


def test_the_page_lists_each_purpose_and_each_saved_search_by_name(client, lena):
    html = client.get(_url()).content.decode()

    assert [s.key for s in preference_switches(address=ADDRESS)] == _keys(lena)
    for text in (
        "About your bookings and orders",
        "Service emails: confirmations, reminders and updates on my orders",
        "Offers and news",
        "Send me offers and news by email",
        "Send me offers and news by SMS to my mobile ending in 789",
        "Alerts you asked for",
        f"New cars and price drops for my saved search “{lena['golf'].description}”",
        f"New cars and price drops for my saved search “{lena['diesel'].description}”",
    ):
        assert text in html
    # One form per switch, each with its own labelled checkbox and nothing else to post.
    assert html.count('name="purpose"') == 5
    assert html.count('role="switch"') == 5
    # Five switches and the language of our messages (the page's own content: the site's
    # language switcher and the chat widget have their labels elsewhere).
    content = html.split('class="py-2 col-lg-7 preferences"', 1)[1].split("</main>", 1)[0]
    assert content.count("<label") == 6
    assert html.count('<label class="form-check-label"') == 5
    assert "BMW" not in html
    assert "ending in 001" not in html
    # Nothing was ever granted: service emails on, offers off, the two searches' alerts on.
    assert _states() == dict(zip(_keys(lena), [True, False, False, True, True], strict=True))


def _set(states: dict[str, bool]):
    for key, enabled in states.items():
        preference_set(address=ADDRESS, key=key, enabled=enabled)


@pytest.mark.parametrize(
    "others",
    list(itertools.product((False, True), repeat=4)),
    ids=lambda v: "".join("01"[x] for x in v),
)
def test_each_switch_changes_its_own_purpose_from_every_combination_of_the_others(
    client, lena, others
):
    keys = _keys(lena)
    for index, key in enumerate(keys):
        start = dict(zip([k for k in keys if k != key], others, strict=True))
        for enabled in (True, False):
            _set({**start, key: not enabled})
            expected = {**start, key: enabled}

            response = client.post(
                _url(), {"purpose": key, **({"enabled": "on"} if enabled else {})}
            )

            assert response.status_code == 200, (index, enabled)
            assert _states() == expected, (key, enabled, start)


def test_a_switch_records_its_own_wording_and_nothing_else(client, lena):
    customer = lena["customer"]

    client.post(_url(), {"purpose": "marketing:email", "enabled": "on"})
    client.post(_url(), {"purpose": f"marketing:sms:{customer.pk}", "enabled": "on"})

    email, sms = Consent.objects.order_by("pk")
    assert (email.channel, email.address, email.granted) == (Channel.EMAIL, ADDRESS, True)
    assert email.wording == "Send me offers and news by email"
    assert email.source == "preference page"
    assert (sms.channel, sms.address, sms.granted, sms.customer_id) == (
        Channel.SMS,
        PHONE,
        True,
        customer.pk,
    )
    assert sms.wording == "Send me offers and news by SMS to my mobile ending in 789"
    assert Suppression.objects.count() == 0
    assert SavedSearch.objects.filter(cancelled_at__isnull=True).count() == 3


def test_alerts_off_and_on_again_resume_from_now_with_the_switchs_wording(client, lena):
    golf = lena["golf"]
    key = f"alert:{golf.pk}"

    client.post(_url(), {"purpose": key})
    golf.refresh_from_db()
    assert golf.cancelled_at is not None
    before = timezone.now()
    client.post(_url(), {"purpose": key, "enabled": "on"})

    golf.refresh_from_db()
    assert golf.cancelled_at is None
    assert golf.last_checked_at >= before
    assert golf.consent_wording.startswith("New cars and price drops for my saved search")
    assert Consent.objects.count() == 0  # an alert is never the general marketing consent
    assert consent_state(channel=Channel.EMAIL, address=ADDRESS).granted is False


@pytest.mark.parametrize(
    "purpose",
    ["marketing:sms:{other_customer}", "alert:{other_search}", "everything", "", "alert:x"],
)
def test_a_purpose_not_on_the_page_is_refused_and_changes_nothing(client, lena, purpose):
    other_search = SavedSearch.objects.get(email="jonas@example.de")
    other_customer = CustomerFactory._meta.model.objects.get(email="jonas@example.de")
    purpose = purpose.format(other_search=other_search.pk, other_customer=other_customer.pk)
    before = _states()

    response = client.post(_url(), {"purpose": purpose, "enabled": "on"})

    assert response.status_code == 400
    assert "That choice is not on this page any more. Nothing was changed." in (
        response.content.decode()
    )
    assert _states() == before
    assert Consent.objects.count() == 0
    assert SavedSearch.objects.filter(cancelled_at__isnull=True).count() == 3
    assert len(mail.outbox) == 0


def test_the_marketing_switch_leaves_an_sms_stop_and_the_alerts_alone(client, lena):
    consent_record(
        channel=Channel.SMS, address=PHONE, granted=False, source="SMS STOP", wording="STOP"
    )

    client.post(_url(), {"purpose": "marketing:email", "enabled": "on"})

    assert consent_state(channel=Channel.SMS, address=PHONE).granted is False
    assert consent_state(channel=Channel.EMAIL, address=ADDRESS).granted is True
