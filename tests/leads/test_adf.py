import datetime
import mailbox
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from dealership.accounts.roles import Role
from leads.adf import parse_request_date
from leads.models import AdfDocument, Customer, Lead
from leads.services.adf import provider_key_create
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = (Path(__file__).parent / "adf" / "sample.xml").read_bytes()


@pytest.fixture
def leipzig():
    return LocationFactory(name="Example Motors Leipzig", slug="leipzig", country="DE")


@pytest.fixture
def provider(leipzig):
    return provider_key_create(name="Example Auto Market", location=leipzig, source="marketplace")


def _post(client, body, key):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post("/enquiries/adf/", data=body, content_type="application/xml", **headers)


def test_the_sample_document_becomes_a_lead(client, provider, leipzig):
    _row, key = provider
    consultant = UserFactory(role=Role.CONSULTANT, locations=[leipzig])

    response = _post(client, SAMPLE, key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == {
        "document": lead.adf_document_id,
        "duplicate": False,
        "created": [lead.pk],
        "updated": [],
        "flagged": [],
        "skipped": [],
    }
    customer = lead.customer
    assert (customer.first_name, customer.last_name) == ("Lena", "Hoffmann")
    assert customer.email == "lena.hoffmann@example.de"
    assert customer.mobile_phone == "+4915123456789"
    assert (customer.street, customer.postal_code, customer.city, customer.country) == (
        "Gartenstraße 12",
        "04107",
        "Leipzig",
        "DE",
    )
    assert customer.source == Customer.Source.ADF
    assert lead.location == leipzig
    assert lead.source == Lead.Source.MARKETPLACE
    assert lead.type == Lead.Type.VEHICLE_ENQUIRY
    assert lead.vin == "WVWZZZCDZNW123456"
    assert (lead.year, lead.make, lead.model, lead.trim) == (
        2022,
        "Volkswagen",
        "Golf",
        "Life 1.5 eTSI",
    )
    assert lead.stock_number == "G2207"
    assert lead.odometer_km == 31200
    assert lead.price == Decimal("23490")
    assert lead.vehicle_status == "used"
    assert lead.timeframe == "This month"
    assert lead.message == (
        "Customer comments: Is a test drive possible on Saturday?\n\n"
        "— Example Auto Market Used car enquiry"
    )
    assert (lead.external_source, lead.external_id, lead.external_sequence) == (
        "ExampleAutoMarket",
        "EAM-778812",
        1,
    )
    assert lead.assigned_to == consultant
    assert lead.needs_review is False
    assert bytes(lead.adf_document.raw) == SAMPLE
    assert lead.adf_document.status == AdfDocument.Status.IMPORTED


def test_the_same_document_posted_twice_gives_one_lead(client, provider):
    _row, key = provider

    first = _post(client, SAMPLE, key)
    second = _post(client, SAMPLE, key)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert Lead.objects.count() == 1
    assert AdfDocument.objects.count() == 1


def test_a_resend_updates_the_lead_instead_of_duplicating(client, provider):
    _row, key = provider
    _post(client, SAMPLE, key)
    resend = (
        SAMPLE.replace(b'<prospect status="new">', b'<prospect status="resend">')
        .replace(b"Is a test drive possible on Saturday?", b"Sunday would suit me better.")
        .replace(b'sequence="1"', b'sequence="2"')
    )

    response = _post(client, resend, key)

    assert response.status_code == 200
    lead = Lead.objects.get()
    assert response.json()["updated"] == [lead.pk]
    assert lead.message.startswith("Customer comments: Sunday would suit me better.")
    assert lead.external_sequence == 2
    assert AdfDocument.objects.count() == 2


def test_missing_or_revoked_keys_are_refused(client, provider):
    row, key = provider

    assert _post(client, SAMPLE, "").status_code == 401
    assert _post(client, SAMPLE, "x" * 40).status_code == 401
    row.is_active = False
    row.save()
    assert _post(client, SAMPLE, key).status_code == 401
    assert AdfDocument.objects.count() == 0
    assert Lead.objects.count() == 0


def test_get_is_not_allowed(client):
    assert client.get("/enquiries/adf/").status_code == 405


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<adf><prospect><customer><contact><name part="full">&lol3;</name><email>a@example.de</email></contact></customer></prospect></adf>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adf><prospect><customer><contact><name part="full">&xxe;</name><email>a@example.de</email></contact></customer></prospect></adf>"""


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<adf><prospect>", "malformed XML: no element found: line 1, column 15"),
        (b"not xml at all", "malformed XML: syntax error: line 1, column 0"),
        (BILLION_LAUGHS, "forbidden XML construct (EntitiesForbidden)"),
        (EXTERNAL_ENTITY, "forbidden XML construct (EntitiesForbidden)"),
        (b"<lead><name>x</name></lead>", "the root element is <lead>, not <adf>"),
        (b"<adf></adf>", "the document has no <prospect>"),
    ],
)
def test_malformed_and_hostile_documents_get_a_clear_400_and_are_kept(
    client, provider, body, error, caplog
):
    _row, key = provider

    response = _post(client, body, key)

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert Lead.objects.count() == 0
    document = AdfDocument.objects.get()
    assert document.status == AdfDocument.Status.REJECTED
    assert bytes(document.raw) == body
    assert document.problems == [error]
    assert f"ADF document rejected from Example Auto Market: {error}" in caplog.text


def test_a_prospect_without_a_way_to_contact_is_not_a_lead(client, provider):
    _row, key = provider
    body = b"""<adf><prospect><customer><contact><name part="full">Nobody Known</name>
    <phone>12</phone></contact></customer></prospect></adf>"""

    response = _post(client, body, key)

    assert response.status_code == 400
    assert response.json()["error"] == (
        "no prospect could be imported: Nobody Known: no valid email or phone to contact the person"
    )
    assert Customer.objects.count() == 0
    assert AdfDocument.objects.get().status == AdfDocument.Status.REJECTED


LIBERAL = b"""
  <?xml version="1.0" encoding="UTF-8"?>
<adf xmlns="http://example.com/adf">
  <prospect>
    <requestdate>10/02/2026 6:05 PM</requestdate>
    <vehicle interest="buy"><year>2019</year><make>Ford</make><model>Focus</model>
      <vin>1FAHP3F20CL123456</vin><odometer units="mi">10000</odometer>
      <price currency="USD">15000</price></vehicle>
    <customer><contact><name part="full">Paul Wagner</name>
      <phone type="voice">(0341) 555-0147</phone></contact>
      <comments>Tom & Jerry's car</comments></customer>
  </prospect>
  <prospect>
    <customer><contact><name part="first">Ana</name><email>ana@example.pt</email></contact></customer>
  </prospect>
</adf>"""


def test_liberal_input_is_imported_and_what_cannot_be_trusted_is_flagged(client, provider):
    _row, key = provider

    response = _post(client, LIBERAL, key)

    assert response.status_code == 201
    body = response.json()
    assert len(body["created"]) == 2
    paul = Lead.objects.get(customer__first_name="Paul")
    assert paul.customer.last_name == "Wagner"
    assert paul.customer.mobile_phone == "+493415550147"
    assert paul.odometer_km == 16093
    assert paul.vin == ""  # wrong check digit for a North American VIN
    assert paul.price is None
    assert paul.message == "Customer comments: Tom & Jerry's car"
    assert paul.needs_review is True
    assert paul.review_notes.splitlines() == [
        "unescaped & replaced",
        "price in USD, we sell in EUR: not imported",
        "vehicle VIN “1FAHP3F20CL123456”: The check digit (character 9) of the VIN is “0” but "
        "should be “7”: a character is probably mistyped.",
    ]
    ana = Lead.objects.get(customer__first_name="Ana")
    # A repair to the document puts every lead from it up for review.
    assert body["flagged"] == [paul.pk, ana.pk]
    assert ana.review_notes == "unescaped & replaced"
    assert ana.type == Lead.Type.GENERAL
    assert ana.external_id.startswith("sha256:")
    assert AdfDocument.objects.get().status == AdfDocument.Status.PARTIAL


def test_a_windows_1252_document_without_declaration_is_read(client, provider):
    _row, key = provider
    body = '<adf><prospect><customer><contact><name part="full">Jürgen Müller</name><email>jm@example.de</email></contact></customer></prospect></adf>'.encode(
        "cp1252"
    )

    response = _post(client, body, key)

    assert response.status_code == 201
    assert Customer.objects.get().last_name == "Müller"
    assert Lead.objects.get().review_notes == "not valid UTF-8: read as Windows-1252"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-02T18:05:00+02:00", datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)),
        ("2026-10-02T16:05:00Z", datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)),
        ("2026-10-02 18:05:00", datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)),
        ("10/02/2026 6:05 PM", datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)),
        ("02.10.2026 18:05", datetime.datetime(2026, 10, 2, 16, 5, tzinfo=datetime.UTC)),
        ("yesterday", None),
    ],
)
def test_request_date_formats(value, expected):
    import zoneinfo

    parsed = parse_request_date(value, zoneinfo.ZoneInfo("Europe/Berlin"))

    assert parsed == expected


def test_the_vendor_name_picks_the_location(client, leipzig):
    lisbon = LocationFactory(name="Showroom Motors Lisboa", country="PT")
    _row, key = provider_key_create(name="Feed", location=lisbon)

    _post(client, SAMPLE, key)

    assert Lead.objects.get().location == leipzig  # <vendorname>Example Motors Leipzig


def test_management_command_imports_files_and_a_maildir(tmp_path, leipzig, capsys):
    (tmp_path / "one.xml").write_bytes(SAMPLE)
    (tmp_path / "broken.xml").write_bytes(b"<adf><prospect>")
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    mail = EmailMessage()
    mail["Subject"] = "New lead"
    mail.set_content(LIBERAL.decode())
    box.add(mail)

    call_command("import_adf", str(tmp_path), str(tmp_path / "mail"), "--location", "leipzig")
    call_command("import_adf", str(tmp_path), str(tmp_path / "mail"), "--location", "leipzig")

    out, err = capsys.readouterr()
    assert Lead.objects.count() == 3
    assert "3 leads created, 0 updated, 0 documents already imported, 1 rejected." in out
    assert "0 leads created, 0 updated, 1 documents already imported, 1 rejected." in out
    assert err.count("broken.xml: rejected: malformed XML: no element found") == 2
    assert AdfDocument.objects.filter(channel="maildir").count() == 1


def test_management_command_needs_a_known_location(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no location with slug “nowhere”"):
        call_command("import_adf", str(tmp_path), "--location", "nowhere")
