"""Marketplace feeds: Google Merchant Center vehicle ads (TSV, XML), Meta automotive catalog
(CSV) and the Showroom CSV, checked field by field against each format's required fields;
built by the periodic job when the inventory changed, served from storage by secret token."""

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from inventory.feeds import inventory_export_csv
from inventory.models import Feed, Vehicle
from inventory.pricing import price_breakdown
from inventory.services import vehicle_update
from inventory.syndication import (
    GOOGLE_COLUMNS,
    GOOGLE_REQUIRED,
    META_COLUMNS,
    META_REQUIRED,
    advertised_price,
    feed_build,
    feed_render,
    feeds_refresh,
    required_missing,
)
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import FeatureFactory, VehicleFactory, VehiclePhotoFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site")]

G = "{http://base.google.com/ns/1.0}"


@pytest.fixture
def site():
    with override_settings(SITE_URL="https://cars.example.de", CURRENCY="EUR"):
        yield


@pytest.fixture
def leipzig():
    # VAT included (EU): the advertised price is the car's with its documentation fee.
    return LocationFactory(
        slug="leipzig",
        name="Showroom Leipzig",
        street="Gartenstraße 12",
        postal_code="04107",
        city="Leipzig",
        country="DE",
        tax_regime="inclusive",
        documentation_fee=Decimal("249.00"),
    )


@pytest.fixture
def austin():
    # Sales tax on top (US): the car's price; tax and fees at checkout.
    return LocationFactory(
        slug="austin",
        name="Showroom Austin",
        street="500 Congress Ave",
        postal_code="78701",
        city="Austin",
        country="US",
        tax_regime="exclusive",
        sales_tax_rate=Decimal("8.250"),
        documentation_fee=Decimal("150.00"),
    )


@pytest.fixture
def cars(leipzig, austin):
    golf = VehicleFactory(
        location=leipzig,
        stock_number="L1001",
        make="Volkswagen",
        model="Golf",
        trim="Style",
        model_year=2022,
        condition=Vehicle.Condition.USED,
        body_type=Vehicle.BodyType.ESTATE,
        fuel=Vehicle.Fuel.DIESEL,
        transmission=Vehicle.Transmission.AUTOMATIC,
        drivetrain=Vehicle.Drivetrain.FWD,
        mileage=30_000,
        exterior_colour=Vehicle.Colour.GREY,
        exterior_colour_name="Moonstone Grey",
        list_price=Decimal("24990.00"),
        sale_price=Decimal("23990.00"),
        description="One owner,\nfull service history.",
    )
    VehiclePhotoFactory(vehicle=golf, is_primary=True, gallery__filename="golf.jpg")
    tesla = VehicleFactory(
        location=austin,
        stock_number="A2001",
        make="Tesla",
        model="Model 3",
        trim="",
        model_year=2024,
        condition=Vehicle.Condition.NEW,
        body_type=Vehicle.BodyType.SEDAN,
        fuel=Vehicle.Fuel.ELECTRIC,
        transmission=Vehicle.Transmission.AUTOMATIC,
        drivetrain=Vehicle.Drivetrain.AWD,
        mileage=10,
        exterior_colour=Vehicle.Colour.WHITE,
        list_price=Decimal("41990.00"),
        description="",
    )
    VehiclePhotoFactory(vehicle=tesla, is_primary=True, gallery__filename="tesla.jpg")
    # Not on sale: never in a feed.
    VehicleFactory(location=leipzig, stock_number="L1002", status=Vehicle.Status.SOLD)
    VehicleFactory(location=leipzig, stock_number="L1003", status=Vehicle.Status.DRAFT)
    return golf, tesla


def _render(kind, location=None) -> str:
    out = io.StringIO()
    feed_render(kind=kind, location=location, out=out)
    return out.getvalue()


def test_advertised_price_is_the_pricing_modules_total(leipzig, austin):
    price = Decimal("23990.00")
    eu = price_breakdown(
        price=price,
        documentation_fee=leipzig.documentation_fee,
        tax_rate=leipzig.sales_tax_rate,
        registration=Decimal(0),
        currency="EUR",
        tax_included=True,
    )
    assert advertised_price(price=price, location=leipzig) == eu.total == Decimal("24239.00")
    assert advertised_price(price=price, location=austin) == Decimal("23990.00")


def test_google_tsv_has_every_required_attribute_field_by_field(cars):
    golf, _tesla = cars
    text = _render(Feed.Kind.GOOGLE_TSV)
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))

    assert text.splitlines()[0].split("\t") == GOOGLE_COLUMNS
    assert [row["id"] for row in rows] == ["L1001", "A2001"]
    for row in rows:
        assert required_missing(row, GOOGLE_REQUIRED) == [], row["id"]
    assert rows[0] == {
        "id": "L1001",
        "title": "2022 Volkswagen Golf Style",
        "description": "One owner, full service history.",
        "link": f"https://cars.example.de{golf.get_absolute_url()}",
        "image_link": "https://cars.example.de/media/" + golf.photos.get().gallery.name,
        "price": "24239.00 EUR",  # 23,990 sale price + 249 fee, VAT included
        "condition": "used",
        "brand": "Volkswagen",
        "model": "Golf",
        "trim": "Style",
        "year": "2022",
        "mileage": "30000 km",
        "vin": golf.vin,
        "store_code": "leipzig",
        "vehicle_fulfillment(option:store_code)": "in_store:leipzig",
        "color": "Moonstone Grey",
        "body_style": "estate",
        "engine": "1.5 l TSI",
        "certified_pre-owned": "no",
    }
    assert rows[1]["price"] == "41990.00 EUR"  # sales tax on top: the car's price
    assert rows[1]["condition"] == "new"
    assert rows[1]["description"] == "2024 Tesla Model 3, 10 km, electric, automatic, white"
    assert rows[1]["store_code"] == "austin"


def test_google_xml_is_rss_with_the_g_namespace_and_a_fulfilment_group(cars):
    golf, _tesla = cars
    # Our own output, not untrusted input.
    root = ET.fromstring(  # noqa: S314
        _render(Feed.Kind.GOOGLE_XML, location=golf.location).encode()
    )

    items = root.findall("./channel/item")
    assert len(items) == 1
    item = items[0]
    assert item.findtext("title") == "2022 Volkswagen Golf Style"
    assert item.findtext("link") == f"https://cars.example.de{golf.get_absolute_url()}"
    assert item.findtext("description") == "One owner,\nfull service history."
    for name in ("price", "condition", "brand", "model", "year", "mileage", "vin", "store_code"):
        assert item.findtext(f"{G}{name}"), name
    assert item.findtext(f"{G}id") == "L1001"
    assert item.findtext(f"{G}price") == "24239.00 EUR"
    assert item.findtext(f"{G}image_link").endswith(golf.photos.get().gallery.name)
    fulfilment = item.find(f"{G}vehicle_fulfillment")
    assert fulfilment.findtext(f"{G}option") == "in_store"
    assert fulfilment.findtext(f"{G}store_code") == "leipzig"


def test_meta_csv_has_every_required_field_with_metas_enums(cars):
    golf, _tesla = cars
    text = _render(Feed.Kind.META_CSV)
    rows = list(csv.DictReader(io.StringIO(text)))

    assert text.splitlines()[0].split(",") == META_COLUMNS
    for row in rows:
        assert required_missing(row, META_REQUIRED) == [], row["vehicle_id"]
    golf_row, tesla_row = rows
    assert golf_row["vehicle_id"] == "L1001"
    assert golf_row["url"] == f"https://cars.example.de{golf.get_absolute_url()}"
    assert (golf_row["mileage.value"], golf_row["mileage.unit"]) == ("30000", "KM")
    assert golf_row["image[0].url"].endswith(golf.photos.get().gallery.name)
    assert (golf_row["body_style"], golf_row["fuel_type"], golf_row["drivetrain"]) == (
        "WAGON",
        "DIESEL",
        "FWD",
    )
    assert golf_row["transmission"] == "AUTOMATIC"
    # The list price and the reduced price, each with the fee, VAT included.
    assert (golf_row["price"], golf_row["sale_price"]) == ("25239.00 EUR", "24239.00 EUR")
    assert (golf_row["address.addr1"], golf_row["address.city"]) == ("Gartenstraße 12", "Leipzig")
    assert (golf_row["address.postal_code"], golf_row["address.country"]) == ("04107", "DE")
    assert golf_row["exterior_color"] == "Moonstone Grey"
    assert golf_row["state_of_vehicle"] == "USED"
    assert golf_row["availability"] == "AVAILABLE"
    assert golf_row["date_first_on_lot"] == golf.in_stock_since.isoformat()
    assert tesla_row["state_of_vehicle"] == "NEW"
    assert tesla_row["price"] == "41990.00 EUR"
    assert tesla_row["sale_price"] == ""
    assert tesla_row["body_style"] == "SEDAN"


def test_showroom_csv_is_the_existing_export_of_the_available_cars(cars):
    golf, tesla = cars
    golf.features.set([FeatureFactory(name="Tow bar"), FeatureFactory(name="Heated seats")])

    expected = inventory_export_csv(
        vehicles=Vehicle.objects.filter(pk__in=[golf.pk, tesla.pk])
        .order_by("pk")
        .select_related("location")
        .prefetch_related("features")
    )

    # The same cells (every field quoted here): the import reads either.
    assert list(csv.reader(io.StringIO(_render(Feed.Kind.CSV)))) == list(
        csv.reader(io.StringIO(expected))
    )
    assert "Heated seats;Tow bar" in expected


def test_showroom_csv_imports_back_unchanged(cars):
    from inventory.feeds import inventory_import_csv

    golf, _tesla = cars
    Vehicle.objects.filter(pk=golf.pk).update(description="=1+1 is not a formula here")

    report = inventory_import_csv(data=_render(Feed.Kind.CSV), dry_run=False)

    assert report.ok, [str(e) for e in report.errors]
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == 2


def test_the_job_builds_once_per_inventory_change_and_serves_from_storage(
    client, cars, leipzig, django_capture_on_commit_callbacks
):
    golf, _tesla = cars
    feed = Feed.objects.create(name="Google Leipzig", kind=Feed.Kind.GOOGLE_TSV, location=leipzig)
    assert client.get(feed.get_absolute_url()).status_code == 404  # not built yet

    assert feeds_refresh() == 1
    assert feeds_refresh() == 0  # nothing changed: nothing built
    feed.refresh_from_db()
    assert feed.row_count == 1
    first_built = feed.last_built_at
    response = client.get(feed.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    assert "L1001" in body
    assert "A2001" not in body  # another location's car

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_update(vehicle=golf, sale_price=Decimal("22990.00"))
    # Served from the last build until the job runs: a request never builds.
    body = b"".join(client.get(feed.get_absolute_url()).streaming_content).decode()
    assert "24239.00 EUR" in body
    assert feeds_refresh() == 1
    feed.refresh_from_db()
    assert feed.last_built_at >= first_built
    body = b"".join(client.get(feed.get_absolute_url()).streaming_content).decode()
    assert "23239.00 EUR" in body


def test_wrong_token_or_extension_or_inactive_feed_is_404(client, cars):
    feed = Feed.objects.create(name="Meta", kind=Feed.Kind.META_CSV)
    feed_build(feed=feed)
    url = feed.get_absolute_url()
    assert client.get(url).status_code == 200

    assert client.get(reverse("inventory:feed", args=["x" * 43, "csv"])).status_code == 404
    assert client.get(reverse("inventory:feed", args=[feed.token, "xml"])).status_code == 404
    Feed.objects.filter(pk=feed.pk).update(is_active=False)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 405


def test_tokens_and_stored_names_are_secret_and_distinct():
    one = Feed.objects.create(name="A", kind=Feed.Kind.CSV)
    two = Feed.objects.create(name="B", kind=Feed.Kind.CSV)
    assert one.token != two.token
    assert len(one.token) >= 40
    feed_build(feed=one)
    first_name = one.file.name
    feed_build(feed=one)
    # A file name says nothing guessable (media may be served publicly).
    assert first_name != one.file.name
    assert one.token not in one.file.name
    assert len(one.file.name.split("/")[1]) >= 32
