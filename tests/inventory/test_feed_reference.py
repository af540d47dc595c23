"""The fast feeds (one COPY per feed, inventory/feed_sql.py) against the row-by-row Python
writers they replaced (tests/inventory/feed_reference.py), on ~50 cars with awkward text:
quotes, tabs, line breaks, &, <, a backslash, non-ASCII, a formula, whitespace only, no
photo, VAT-included and sales-tax locations, margin-scheme cars. TSV and XML byte for
byte; the CSV feeds cell for cell (the new Showroom CSV quotes every field)."""

import csv
import io
import itertools
from decimal import Decimal

import pytest
from django.test import override_settings

from inventory.models import Feed, Vehicle
from inventory.syndication import feed_render
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import FeatureFactory, VehicleFactory, VehiclePhotoFactory
from tests.inventory.feed_reference import reference_render

pytestmark = pytest.mark.django_db

DESCRIPTIONS = [
    'He said "mint", 10/10',
    "Tab\there, and\tanother",
    "Line one\nline two\r\nline three",
    "Fish & chips <b>bold</b> > all",
    "Müller-Straße — 中文 ñ é ø",
    "  leading and trailing  ",
    "double  space   triple",
    "=SUM(A1) looks like a formula",
    "back\\slash \\n is not a line break",
    "",
    "\n\t only whitespace \r\n",
    "\t",
    "-minus first",
]
TRIMS = ['GT "Line"', "R&D <x>", "", "Sport\tPlus", "Élégance", "  "]
COLOUR_NAMES = ["", 'Blau, "Metallic"', "Grün\tMatt", "Rot & Schwarz", "Line\nbreak"]
ENGINES = ["2.0 l TDI, 150 PS", "1.5 l TSI", "", "<electric> & co"]
MAKES = [("Citroën", "C5 Aircross"), ("Volkswagen", "Golf"), ("Land  Rover", "Defender")]


@pytest.fixture
def awkward_cars():
    leipzig = LocationFactory(
        slug="leipzig",
        street='Gartenstraße 12, "Hof"',
        city="Leipzig",
        postal_code="04107",
        country="DE",
        tax_regime="inclusive",
        documentation_fee=Decimal("249.00"),
    )
    austin = LocationFactory(
        slug="austin",
        street="500 Congress Ave",
        city="Austin",
        postal_code="78701",
        country="US",
        tax_regime="exclusive",
        sales_tax_rate=Decimal("8.250"),
        documentation_fee=Decimal("150.00"),
    )
    features = [FeatureFactory(name=name) for name in ("Tow bar", 'Seats "heated"', "Dach; Glas")]
    conditions = itertools.cycle(list(Vehicle.Condition))
    cars = []
    for i in range(50):
        make, model = MAKES[i % len(MAKES)]
        list_price = Decimal("19990.00") + i * Decimal("100.55")
        car = VehicleFactory(
            location=leipzig if i % 3 else austin,
            stock_number=f"F{i:04d}",
            make=make,
            model=model,
            trim=TRIMS[i % len(TRIMS)],
            condition=next(conditions),
            body_type=list(Vehicle.BodyType)[i % len(Vehicle.BodyType)],
            fuel=list(Vehicle.Fuel)[i % len(Vehicle.Fuel)],
            drivetrain=list(Vehicle.Drivetrain)[i % len(Vehicle.Drivetrain)],
            engine=ENGINES[i % len(ENGINES)],
            exterior_colour_name=COLOUR_NAMES[i % len(COLOUR_NAMES)],
            description=DESCRIPTIONS[i % len(DESCRIPTIONS)],
            list_price=list_price,
            sale_price=list_price - Decimal("500.00") if i % 4 == 0 else None,
            margin_scheme=i % 2 == 0,
        )
        if i % 5:  # every fifth car has no photo
            VehiclePhotoFactory(vehicle=car, is_primary=i % 2 == 0, gallery__filename=f"c{i}.jpg")
        if i % 7 == 0:
            car.features.set(features[: i % 3 + 1])
        cars.append(car)
    VehicleFactory(location=leipzig, stock_number="SOLD1", status=Vehicle.Status.SOLD)
    return leipzig, austin, cars


def _both(kind, location=None) -> tuple[str, str, int, int]:
    new, old = io.StringIO(), io.StringIO()
    new_count = feed_render(kind=kind, location=location, out=new)
    old_count = reference_render(kind=kind, location=location, out=old)
    return new.getvalue(), old.getvalue(), new_count, old_count


@override_settings(SITE_URL="https://cars.example.de", CURRENCY="EUR")
@pytest.mark.parametrize("kind", [Feed.Kind.GOOGLE_TSV, Feed.Kind.GOOGLE_XML])
@pytest.mark.parametrize("at", [None, "leipzig", "austin"])
def test_google_feeds_are_byte_identical_to_the_reference(awkward_cars, kind, at):
    leipzig, austin, _cars = awkward_cars
    location = {"leipzig": leipzig, "austin": austin}.get(at)

    new, old, new_count, old_count = _both(kind, location)

    assert new_count == old_count == {None: 50, "leipzig": 33, "austin": 17}[at]
    assert new == old
    assert "&amp;" in new or kind == Feed.Kind.GOOGLE_TSV
    assert "中文" in new


@override_settings(SITE_URL="https://cars.example.de", CURRENCY="EUR")
@pytest.mark.parametrize("kind", [Feed.Kind.META_CSV, Feed.Kind.CSV])
@pytest.mark.parametrize("at", [None, "leipzig"])
def test_csv_feeds_are_cell_identical_to_the_reference(awkward_cars, kind, at):
    leipzig, _austin, _cars = awkward_cars
    location = leipzig if at else None

    new, old, new_count, old_count = _both(kind, location)

    assert new_count == old_count == (33 if at else 50)
    new_rows = list(csv.reader(io.StringIO(new)))
    old_rows = list(csv.reader(io.StringIO(old)))
    assert len(new_rows) == new_count + 1
    assert new_rows == old_rows
