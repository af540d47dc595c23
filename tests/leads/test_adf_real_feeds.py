"""ADF documents as real feeds send them: the specification's own header, comments on the
vehicle and in CDATA, phone numbers in the customer's own national format."""

from pathlib import Path

import pytest
from django.urls import reverse

from dealership.accounts.roles import Role
from leads.models import AdfDocument, Customer, Lead
from leads.services.adf import provider_key_create
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "adf"


@pytest.fixture
def leipzig():
    return LocationFactory(name="Example Motors Leipzig", slug="leipzig", country="DE")


@pytest.fixture
def key(leipzig):
    _row, key = provider_key_create(name="Example Auto Market", location=leipzig)
    return key


def _post(client, body: bytes, key: str):
    return client.post(
        "/enquiries/adf/",
        data=body,
        content_type="application/xml",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_the_specifications_own_header_is_accepted_and_the_bytes_kept_as_sent(client, key, leipzig):
    body = (FIXTURES / "spec-header.xml").read_bytes()
    assert body.startswith(b'<?ADF VERSION "1.0"?>\n<?XML VERSION "1.0"?>\n<adf>')

    response = _post(client, body, key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json()["created"] == [lead.pk]
    assert response.json()["skipped"] == []
    assert (lead.customer.first_name, lead.customer.last_name) == ("Jonas", "Becker")
    assert (lead.make, lead.model, lead.year) == ("Skoda", "Octavia", 2021)
    assert lead.location == leipzig
    # The header is the specification's: nothing to review.
    assert lead.needs_review is False
    assert lead.review_notes == ""
    document = AdfDocument.objects.get()
    assert document.status == AdfDocument.Status.IMPORTED
    assert document.problems == []
    assert bytes(document.raw) == body


@pytest.mark.parametrize(
    "header",
    [
        b'<?ADF VERSION "1.0"?>\r\n<?XML VERSION "1.0" ENCODING "ISO-8859-1"?>\r\n',
        b'<?adf version="1.0"?><?xml version="1.0" encoding="ISO-8859-1"?>',
    ],
)
def test_header_variants_keep_their_declared_encoding(client, key, header):
    body = header + (
        '<adf><prospect><customer><contact><name part="full">Jürgen Weiß</name>'
        "<email>jw@example.de</email></contact></customer></prospect></adf>"
    ).encode("latin-1")

    response = _post(client, body, key)

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name) == ("Jürgen", "Weiß")
    assert Lead.objects.get().needs_review is False


def test_a_spec_header_does_not_let_entities_through(client, key):
    body = b"""<?ADF VERSION "1.0"?>
<?XML VERSION "1.0"?>
<!DOCTYPE adf [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<adf><prospect><customer><contact><name part="full">&lol2;</name>
<email>a@example.de</email></contact></customer></prospect></adf>"""

    response = _post(client, body, key)

    assert response.status_code == 400
    assert response.json()["error"] == "forbidden XML construct (EntitiesForbidden)"
    assert Lead.objects.count() == 0
    assert AdfDocument.objects.get().status == AdfDocument.Status.REJECTED


def test_every_comment_is_kept_verbatim_and_labelled_by_where_it_came_from(client, key):
    body = (FIXTURES / "comments.xml").read_bytes()

    response = _post(client, body, key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.message == (
        "Customer comments: Call me after 5 pm.\n"
        'Price < 30.000 €? R&D budget & "cash".\n\n'
        "Vehicle comments (2020 Audi A4): Only if the winter tyres come with it.\n\n"
        "Trade-in comments (2012 Opel Astra): Scratch on the rear bumper & a dent <left door>."
    )
    assert (lead.tradein_make, lead.tradein_model) == ("Opel", "Astra")
    assert lead.needs_review is False


def test_an_ampersand_repair_elsewhere_leaves_cdata_comments_as_sent(client, key):
    body = b"""<adf><prospect><vehicle><make>Mini</make><model>Cooper & Co</model></vehicle>
<customer><contact><name part="full">Eva Roth</name><email>eva@example.de</email></contact>
<comments><![CDATA[Trade-in: Fish &amp; Chips van]]></comments></customer></prospect></adf>"""

    response = _post(client, body, key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.model == "Cooper & Co"
    assert lead.message == "Customer comments: Trade-in: Fish &amp; Chips van"
    assert lead.review_notes == "unescaped & replaced"


def test_the_lead_page_shows_every_labelled_comment(client, key, leipzig):
    _post(client, (FIXTURES / "comments.xml").read_bytes(), key)
    lead = Lead.objects.get()
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[leipzig]))

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Customer comments: Call me after 5 pm.<br>Price &lt; 30.000 €?" in page
    assert "Vehicle comments (2020 Audi A4): Only if the winter tyres come with it." in page
    assert "Trade-in comments (2012 Opel Astra): Scratch on the rear bumper &amp; a dent" in page


def test_a_number_in_the_customers_own_national_format_is_read_with_their_country(
    client, key, leipzig
):
    body = (FIXTURES / "foreign-phone.xml").read_bytes()

    response = _post(client, body, key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.customer.mobile_phone == "+14155552671"
    assert lead.customer.country == "US"
    assert lead.location == leipzig
    # What no country reads is flagged for the consultant and kept as sent, never dropped.
    assert lead.needs_review is True
    assert lead.review_notes == "phone “call the office” is not a valid number"
    assert lead.message == "Phone as sent (not a valid number): call the office"
    assert response.json()["flagged"] == [lead.pk]
    assert AdfDocument.objects.get().status == AdfDocument.Status.PARTIAL


def test_a_national_number_without_a_country_is_read_with_the_locations(client, key):
    body = b"""<adf><prospect><customer><contact><name part="full">Lea Wolf</name>
<phone type="voice">0341 5550147</phone><phone type="cellphone">0151 23456789</phone>
</contact></customer></prospect></adf>"""

    response = _post(client, body, key)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.customer.mobile_phone == "+4915123456789"
    assert lead.message == "Other phone: +493415550147"
    assert lead.needs_review is False


def test_an_unreadable_phone_beside_an_email_is_flagged_and_shown_on_the_lead_page(
    client, key, leipzig
):
    body = b"""<adf><prospect><customer><contact><name part="full">Max Vogel</name>
<email>max@example.de</email><phone>+99 12 34</phone></contact>
<comments>Evenings only</comments></customer></prospect></adf>"""
    _post(client, body, key)
    lead = Lead.objects.get()
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[leipzig]))

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert lead.customer.email == "max@example.de"
    assert lead.customer.mobile_phone == ""
    assert lead.message == (
        "Customer comments: Evenings only\n\nPhone as sent (not a valid number): +99 12 34"
    )
    page = response.content.decode()
    assert "Phone as sent (not a valid number): +99 12 34" in page
    assert "Check this import:" in page
    assert "phone “+99 12 34” is not a valid number" in page
