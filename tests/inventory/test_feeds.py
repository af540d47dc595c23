from decimal import Decimal

import pytest

from inventory.feeds import inventory_export_csv, inventory_import_csv
from inventory.models import PriceChange, Vehicle
from tests.accounts.factories import LocationFactory

from .factories import FeatureFactory, VehicleFactory, make_vin

pytestmark = pytest.mark.django_db

HEADER = "VIN,Stock,Year,Make,Model,Trim,Condition,Body,Fuel,Transmission,Drivetrain,Mileage,Colour,Price,Sale price,Status,Location,Features\n"


@pytest.fixture
def leipzig():
    return LocationFactory(slug="leipzig")


def _row(
    vin,
    stock="A1",
    year="2022",
    make="Volkswagen",
    model="Golf",
    price="24990",
    location="leipzig",
    features="",
    status="available",
    fuel="petrol",
    mileage="12000",
):
    return (
        f"{vin},{stock},{year},{make},{model},Style,used,hatchback,{fuel},manual,fwd,"
        f"{mileage},blue,{price},,{status},{location},{features}\n"
    )


def test_dry_run_reports_counts_and_writes_nothing(leipzig):
    data = HEADER + _row(make_vin(1), "A1") + _row(make_vin(2), "A2")

    report = inventory_import_csv(data=data.encode(), dry_run=True)

    assert (report.ok, report.rows, report.created, report.updated) == (True, 2, 2, 0)
    assert Vehicle.objects.count() == 0


def test_real_run_creates_then_upserts_by_vin(leipzig):
    FeatureFactory(name="Tow bar")
    data = HEADER + _row(make_vin(1), "A1", features="Tow bar") + _row(make_vin(2), "A2")
    first = inventory_import_csv(data=data.encode(), dry_run=False)

    changed = (
        HEADER
        + _row(make_vin(1), "A1", price="23990", features="Tow bar")
        + _row(make_vin(2), "A2")
        + _row(make_vin(3), "A3")
    )
    second = inventory_import_csv(data=changed.encode(), dry_run=False)

    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 1)
    vehicle = Vehicle.objects.get(vin=make_vin(1))
    assert vehicle.list_price == Decimal("23990.00")
    assert vehicle.status == Vehicle.Status.AVAILABLE
    assert vehicle.published_at is not None
    assert [f.name for f in vehicle.features.all()] == ["Tow bar"]
    assert PriceChange.objects.get().new_price == Decimal("23990.00")


def test_errors_name_the_line_and_column_and_nothing_is_saved(leipzig):
    data = (
        HEADER
        + _row(make_vin(1), "A1")
        + _row("1HGCM82634A004352", "A2")
        + _row(make_vin(3), "A3", fuel="coal", location="paris")
        + _row(make_vin(4), "A1", price="lots")
    )

    report = inventory_import_csv(data=data.encode(), dry_run=False)

    assert [str(e) for e in report.errors] == [
        "Line 3, vin: The check digit (character 9) of the VIN is “3” but should be “1”: "
        "a character is probably mistyped.",
        "Line 4, fuel: “coal” is not one of: petrol, diesel, hybrid, plugin_hybrid, electric.",
        "Line 4, location: No location “paris”; use one of: leipzig.",
        "Line 5, list_price: “lots” is not an amount.",
        "Line 5, stock_number: The same stock number is on line 2.",
    ]
    assert (report.created, report.updated) == (0, 0)
    assert Vehicle.objects.count() == 0


def test_model_level_errors_roll_back_the_whole_file(leipzig):
    VehicleFactory(stock_number="TAKEN", location=leipzig)
    data = HEADER + _row(make_vin(1), "A1") + _row(make_vin(2), "TAKEN")

    report = inventory_import_csv(data=data.encode(), dry_run=False)

    assert [str(e) for e in report.errors] == [
        "Line 3, stock_number: Vehicle with this Stock number already exists."
    ]
    assert Vehicle.objects.count() == 1


def test_decoded_vin_fills_missing_columns(leipzig):
    data = (
        "vin,stock_number,list_price,location,body_type,transmission,drivetrain,colour,condition\n"
    )
    data += "1HGCM82633A004352,H1,9990,leipzig,,,fwd,silver,used\n"

    report = inventory_import_csv(data=data.encode(), dry_run=False)

    assert report.ok, report.errors
    vehicle = Vehicle.objects.get()
    assert (vehicle.make, vehicle.model, vehicle.model_year, vehicle.body_type, vehicle.fuel) == (
        "Honda",
        "Accord",
        2003,
        "coupe",
        "petrol",
    )


def test_missing_header_columns_are_reported():
    report = inventory_import_csv(data=b"vin,price\nX,1\n", dry_run=True)

    assert [str(e) for e in report.errors] == [
        "Line 1, stock_number, location: Missing column(s) in the header line."
    ]


def test_export_round_trips_through_import(leipzig):
    roof = FeatureFactory(name="Panoramic roof")
    VehicleFactory(location=leipzig, features=[roof], description="=HYPERLINK(evil)")
    VehicleFactory(location=leipzig, sale_price=Decimal("20000"))

    text = inventory_export_csv(
        vehicles=Vehicle.objects.select_related("location").prefetch_related("features")
    )
    report = inventory_import_csv(data=text.encode(), dry_run=True)

    assert text.splitlines()[0].startswith("vin,stock_number,year,make,model")
    assert "'=HYPERLINK(evil)" in text
    assert ";".join(["Panoramic roof"]) in text
    assert (report.ok, report.unchanged, report.updated) == (True, 2, 0)
