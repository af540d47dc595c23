import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from dealership.messaging.models import Channel, Consent, Suppression
from dealership.messaging.selectors import consent_state
from dealership.messaging.services import consent_record
from dealership.messaging.tokens import SALT, unsubscribe_token

ADDRESS = "kim@example.com"


@pytest.fixture
def consented(db):
    return consent_record(
        channel=Channel.EMAIL, address=ADDRESS, granted=True, source="web form", wording="Offers"
    )


def one_click_url(address=ADDRESS):
    return f"/messages/unsubscribe/{unsubscribe_token(channel=Channel.EMAIL, address=address)}/"


@pytest.mark.django_db
def test_one_click_post_unsubscribes_without_cookies_or_csrf(consented):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        one_click_url(),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert response.content.decode() == "You are unsubscribed."
    assert response.cookies == {}
    state = consent_state(channel=Channel.EMAIL, address=ADDRESS)
    assert state.granted is False
    assert state.source == "one-click unsubscribe (RFC 8058)"
    assert Consent.objects.count() == 2  # the grant stays as history


@pytest.mark.django_db
def test_a_get_on_the_one_click_url_changes_nothing(client, consented):
    response = client.get(one_click_url())

    assert response.status_code == 302
    assert response["Location"].startswith("/messages/preferences/")
    assert Consent.objects.count() == 1
    assert consent_state(channel=Channel.EMAIL, address=ADDRESS).granted is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    [
        "forged",
        signing.dumps({"c": "email", "a": ADDRESS}, salt="another-salt"),
        signing.dumps({"c": "email", "a": ADDRESS}, salt=SALT, key="not-our-secret-key"),
        unsubscribe_token(channel=Channel.EMAIL, address=ADDRESS)[:-2] + "xx",
    ],
    ids=["garbage", "other salt", "other key", "tampered"],
)
def test_a_forged_token_is_a_404_and_changes_nothing(client, consented, token):
    response = client.post(f"/messages/unsubscribe/{token}/")
    page = client.get(f"/messages/preferences/{token}/")

    assert response.status_code == 404
    assert page.status_code == 404
    assert Consent.objects.count() == 1


@pytest.mark.django_db
def test_a_token_only_unsubscribes_its_own_address(client, consented):
    consent_record(
        channel=Channel.EMAIL, address="other@example.com", granted=True, source="x", wording="y"
    )

    client.post(one_click_url("other@example.com"))

    assert consent_state(channel=Channel.EMAIL, address=ADDRESS).granted is True
    assert consent_state(channel=Channel.EMAIL, address="other@example.com").granted is False


@pytest.mark.django_db
def test_the_preference_page_shows_labelled_switches_and_saves_one(client, consented):
    url = f"/messages/preferences/{unsubscribe_token(channel=Channel.EMAIL, address=ADDRESS)}/"

    page = client.get(url)
    html = page.content.decode()
    saved = client.post(url, {"purpose": "transactional"})  # switched off: nothing ticked

    assert page.status_code == 200
    assert 'for="switch-marketing-email"' in html
    assert "Send me offers and news by email" in html
    assert 'id="switch-marketing-email" checked' in html
    assert 'id="switch-transactional" checked' in html
    assert saved.status_code == 200
    assert (
        "Saved: “Service emails: confirmations, reminders and updates on my orders” is off."
        in saved.content.decode()
    )
    state = consent_state(channel=Channel.EMAIL, address=ADDRESS)
    # Service emails off stops everything; the offers' consent is its own record, untouched.
    assert (state.granted, state.suppressed) == (True, True)
    assert Suppression.objects.get().reason == Suppression.Reason.UNSUBSCRIBED
    assert Consent.objects.count() == 1


@pytest.mark.django_db
def test_the_preference_form_is_rate_limited(client, consented):
    url = f"/messages/preferences/{unsubscribe_token(channel=Channel.EMAIL, address=ADDRESS)}/"
    # Frozen clock: the limit is a fixed window, so a slow run must not cross into the next one.
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            client.post(url, {"purpose": "marketing:email", "enabled": "on"}).status_code
            for _ in range(21)
        ]

    assert statuses == [200] * 20 + [429]
    assert Consent.objects.count() == 21  # the initial grant and 20 saves, not the 21st


@pytest.mark.django_db
def test_the_preference_form_is_csrf_protected(consented):
    client = Client(enforce_csrf_checks=True)
    url = f"/messages/preferences/{unsubscribe_token(channel=Channel.EMAIL, address=ADDRESS)}/"

    response = client.post(url, {"purpose": "marketing:email"})

    assert response.status_code == 403
    assert Consent.objects.count() == 1
