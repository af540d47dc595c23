import datetime
import io
from decimal import Decimal

import factory
from django.utils import timezone
from PIL import Image

from inventory.models import Feature, Vehicle, VehiclePhoto
from inventory.vin import check_digit
from tests.accounts.factories import LocationFactory


def make_vin(n: int, wmi: str = "WVW") -> str:
    """A well-formed VIN with a correct check digit, unique per n."""
    body = f"{wmi}ZZZ1K0NW{n % 1_000_000:06d}"
    return body[:8] + check_digit(body) + body[9:]


def jpeg_bytes(
    size=(640, 480), colour=(200, 30, 30), fmt="JPEG", exif: bytes | None = None
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    kwargs = {"exif": exif} if exif else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


class FeatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feature
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Feature {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-").replace("/", ""))


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle
        skip_postgeneration_save = True

    vin = factory.Sequence(lambda n: make_vin(n))
    stock_number = factory.Sequence(lambda n: f"S{n:05d}")
    location = factory.SubFactory(LocationFactory)
    condition = Vehicle.Condition.USED
    make = "Volkswagen"
    model = "Golf"
    trim = "Style"
    model_year = 2022
    body_type = Vehicle.BodyType.HATCHBACK
    fuel = Vehicle.Fuel.PETROL
    transmission = Vehicle.Transmission.MANUAL
    drivetrain = Vehicle.Drivetrain.FWD
    engine = "1.5 l TSI"
    mileage = 30_000
    exterior_colour = Vehicle.Colour.BLUE
    seats = 5
    doors = 5
    list_price = Decimal("24990.00")
    status = Vehicle.Status.AVAILABLE
    published_at = factory.LazyFunction(timezone.now)
    in_stock_since = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=10)
    )
    slug = factory.LazyAttribute(
        lambda o: Vehicle.build_slug(
            model_year=o.model_year, make=o.make, model=o.model, stock_number=o.stock_number
        )
    )

    @factory.post_generation
    def features(self, create, extracted, **kwargs):
        if create and extracted:
            self.features.set(extracted)


class VehiclePhotoFactory(factory.django.DjangoModelFactory):
    """A processed photo (gallery and thumbnail present)."""

    class Meta:
        model = VehiclePhoto

    vehicle = factory.SubFactory(VehicleFactory)
    position = factory.Sequence(lambda n: n)
    is_primary = False
    alt_text = "Side view"
    status = VehiclePhoto.Status.READY
    gallery = factory.django.FileField(filename="g.jpg", data=b"jpeg")
    thumbnail = factory.django.FileField(filename="t.jpg", data=b"jpeg")
    width = 1600
    height = 1200
