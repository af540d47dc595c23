"""ADF <requestdate>: stored on the lead when it can be trusted, kept as text and flagged
for review when not, shown on the lead page."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from dealership.accounts.roles import Role
from leads.adf import parse_request_date
from leads.models import AdfDocument, Lead
from leads.services.adf import provider_key_create
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ARRIVAL = datetime.datetime(2026, 10, 2, 18, 30, tzinfo=BERLIN)


@pytest.fixture
def leipzig():
    return LocationFactory(
        name="Example Motors Leipzig", slug="leipzig", country="DE", time_zone="Europe/Berlin"
    )


@pytest.fixture
def key(leipzig):
    _row, key = provider_key_create(name="Example Auto Market", location=leipzig)
    return key


def document(requestdate: str) -> bytes:
    return f"""<?xml version="1.0"?>
<adf><prospect>
  <id sequence="1" source="market">L-1</id>
  <requestdate>{requestdate}</requestdate>
  <customer><contact><name part="full">Paul Wagner</name>
    <email>paul@example.de</email></contact></customer>
</prospect></adf>""".encode()


def post(client, body: bytes, key: str):
    with time_machine.travel(ARRIVAL, tick=False):
        return client.post(
            "/enquiries/adf/",
            data=body,
            content_type="application/xml",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )


@pytest.mark.parametrize(
    "requestdate",
    [
        "2026-10-02T18:05:00+02:00",
        "2026-10-02T16:05:00Z",
        "2026-10-02T18:05:00+0200",
        "2026-10-02 16:05:00 UTC",
        "2026-10-02 18:05:00",
        "10/02/2026 6:05 PM",
        "02.10.2026 18:05",
        "2026/10/02 18:05",
        "20261002180500",
        "Fri, 02 Oct 2026 18:05:00 +0200",
    ],
)
def test_the_request_date_is_stored_from_the_formats_feeds_send(client, key, requestdate):
    response = post(client, document(requestdate), key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.requested_at == datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)
    assert lead.requested_at_text == requestdate
    assert (lead.needs_review, lead.review_notes) == (False, "")
    # The response clock starts on arrival, not at the feed's date.
    assert lead.created_at == ARRIVAL


@pytest.mark.parametrize(
    ("requestdate", "note"),
    [
        ("yesterday evening", "requestdate “yesterday evening” not understood: kept as text"),
        (
            "2026-10-02 18:05:00 CEST",
            "requestdate “2026-10-02 18:05:00 CEST” not understood: kept as text",
        ),
        ("31/12/2026 10:00", "requestdate “31/12/2026 10:00” not understood: kept as text"),
        # Day and month swapped by the feed: 10 February read as 2 October would be fine, but
        # 12 October (from "10/12/2026") is ten days after the lead arrived.
        ("10/12/2026 9:00 AM", "requestdate “10/12/2026 9:00 AM” is in the future: kept as text"),
    ],
)
def test_an_odd_request_date_is_kept_as_text_and_flagged(client, key, requestdate, note):
    response = post(client, document(requestdate), key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.requested_at is None
    assert lead.requested_at_text == requestdate
    assert (lead.needs_review, lead.review_notes) == (True, note)
    assert response.json()["flagged"] == [lead.pk]
    assert requestdate.encode() in bytes(AdfDocument.objects.get().raw)


def test_a_resend_updates_the_request_date(client, key):
    post(client, document("yesterday evening"), key)

    post(client, document("2026-10-02T18:05:00+02:00").replace(b'"1"', b'"2"'), key)

    lead = Lead.objects.get()
    assert lead.requested_at == datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)
    assert lead.requested_at_text == "2026-10-02T18:05:00+02:00"


def test_the_lead_page_shows_the_request_date_in_the_locations_time_zone(client, key, leipzig):
    post(client, document("2026-10-02T16:05:00Z"), key)
    lead = Lead.objects.get()
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[leipzig]))

    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert "Requested (per the feed)" in page
    assert ">2 Oct 2026, 18:05 CEST</time>" in page


def test_the_lead_page_shows_an_untrusted_request_date_as_sent(client, key, leipzig):
    post(client, document("yesterday evening"), key)
    lead = Lead.objects.get()
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[leipzig]))

    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert "“yesterday evening”" in page
    assert "not a date we could trust" in page


def test_parse_request_date_reads_a_mail_header_date():
    parsed = parse_request_date("Fri, 02 Oct 2026 18:05:00 +0200", BERLIN)

    assert parsed == datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)
