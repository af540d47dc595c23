"""Demo inventory: ~300 believable cars across the demo locations, with generated photos.

Idempotent: vehicles are keyed by stock number, features by slug; a second run adds nothing.
Photos are drawn with Pillow (no downloads) and processed in-process, so the demo shows
real thumbnails without a worker.
"""

import datetime
import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from .models import Feature, Vehicle, VehicleDailyViews, VehiclePhoto
from .page_views import views_day
from .services import vehicle_create
from .vin import check_digit

FEATURES = [
    "Adaptive cruise control",
    "Apple CarPlay / Android Auto",
    "Heated seats",
    "Heat pump",
    "Keyless entry",
    "LED headlights",
    "Navigation",
    "Panoramic roof",
    "Parking camera",
    "Parking sensors",
    "Tow bar",
    "Blind spot assist",
    "Lane keeping assist",
    "Leather seats",
    "Head-up display",
    "Wireless charging",
]

# make, model, WMI, body, fuels, (new price low, high), trims
CATALOGUE = [
    (
        "Volkswagen",
        "Golf",
        "WVW",
        "hatchback",
        ["petrol", "diesel", "plugin_hybrid"],
        (28000, 45000),
        ["Life", "Style", "GTI", "R-Line"],
    ),
    (
        "Volkswagen",
        "Passat",
        "WVW",
        "estate",
        ["diesel", "plugin_hybrid"],
        (38000, 55000),
        ["Business", "Elegance", "R-Line"],
    ),
    ("Volkswagen", "ID.4", "WVG", "suv", ["electric"], (42000, 55000), ["Pure", "Pro", "GTX"]),
    (
        "Volkswagen",
        "Tiguan",
        "WVG",
        "suv",
        ["petrol", "diesel"],
        (36000, 52000),
        ["Life", "Elegance", "R-Line"],
    ),
    (
        "BMW",
        "3 Series",
        "WBA",
        "sedan",
        ["petrol", "diesel", "plugin_hybrid"],
        (45000, 65000),
        ["320i", "320d", "330e", "M340i"],
    ),
    (
        "BMW",
        "X3",
        "WBA",
        "suv",
        ["diesel", "petrol", "plugin_hybrid"],
        (55000, 75000),
        ["xDrive20d", "xDrive30e", "M40i"],
    ),
    ("BMW", "i4", "WBY", "sedan", ["electric"], (57000, 75000), ["eDrive35", "eDrive40", "M50"]),
    (
        "Mercedes-Benz",
        "C-Class",
        "W1K",
        "sedan",
        ["petrol", "diesel", "plugin_hybrid"],
        (48000, 68000),
        ["C 200", "C 220 d", "C 300 e"],
    ),
    (
        "Mercedes-Benz",
        "GLC",
        "W1N",
        "suv",
        ["diesel", "plugin_hybrid"],
        (58000, 80000),
        ["GLC 220 d", "GLC 300 e"],
    ),
    (
        "Audi",
        "A4 Avant",
        "WAU",
        "estate",
        ["petrol", "diesel"],
        (45000, 62000),
        ["35 TFSI", "40 TDI quattro"],
    ),
    ("Audi", "Q4 e-tron", "WAU", "suv", ["electric"], (50000, 65000), ["35", "45", "55 quattro"]),
    (
        "Škoda",
        "Octavia",
        "TMB",
        "estate",
        ["petrol", "diesel"],
        (30000, 42000),
        ["Selection", "Sportline", "RS"],
    ),
    ("Škoda", "Enyaq", "TMB", "suv", ["electric"], (45000, 58000), ["60", "85", "85x"]),
    (
        "SEAT",
        "Leon",
        "VSS",
        "hatchback",
        ["petrol", "plugin_hybrid"],
        (26000, 38000),
        ["Style", "FR"],
    ),
    (
        "Renault",
        "Clio",
        "VF1",
        "hatchback",
        ["petrol", "hybrid"],
        (18000, 26000),
        ["Evolution", "Techno", "Esprit Alpine"],
    ),
    (
        "Renault",
        "Mégane E-Tech",
        "VF1",
        "hatchback",
        ["electric"],
        (38000, 46000),
        ["Equilibre", "Techno"],
    ),
    (
        "Peugeot",
        "308",
        "VF3",
        "hatchback",
        ["petrol", "plugin_hybrid", "diesel"],
        (29000, 42000),
        ["Allure", "GT"],
    ),
    (
        "Peugeot",
        "3008",
        "VF3",
        "suv",
        ["hybrid", "plugin_hybrid"],
        (38000, 50000),
        ["Allure", "GT"],
    ),
    (
        "Fiat",
        "500",
        "ZFA",
        "hatchback",
        ["hybrid", "electric"],
        (17000, 33000),
        ["Dolcevita", "La Prima"],
    ),
    (
        "Volvo",
        "XC60",
        "YV1",
        "suv",
        ["plugin_hybrid", "hybrid"],
        (55000, 72000),
        ["Core", "Plus", "Ultra"],
    ),
    (
        "Volvo",
        "V60",
        "YV1",
        "estate",
        ["hybrid", "plugin_hybrid"],
        (48000, 62000),
        ["Core", "Plus"],
    ),
    ("Toyota", "Corolla", "SB1", "hatchback", ["hybrid"], (30000, 38000), ["Business", "GR Sport"]),
    (
        "Toyota",
        "RAV4",
        "JTM",
        "suv",
        ["hybrid", "plugin_hybrid"],
        (40000, 55000),
        ["Active", "Style", "GR Sport"],
    ),
    ("Toyota", "Yaris", "VNK", "hatchback", ["hybrid"], (22000, 29000), ["Comfort", "Style"]),
    (
        "Kia",
        "Sportage",
        "U5Y",
        "suv",
        ["hybrid", "plugin_hybrid", "petrol"],
        (33000, 48000),
        ["Vision", "Spirit", "GT-Line"],
    ),
    ("Kia", "EV6", "KNA", "suv", ["electric"], (47000, 65000), ["Air", "GT-Line", "GT"]),
    (
        "Hyundai",
        "Ioniq 5",
        "KMH",
        "suv",
        ["electric"],
        (44000, 62000),
        ["Dynamiq", "Techniq", "Uniq"],
    ),
    (
        "Hyundai",
        "Tucson",
        "TMA",
        "suv",
        ["hybrid", "petrol"],
        (34000, 46000),
        ["Select", "Trend", "Prime"],
    ),
    (
        "Tesla",
        "Model 3",
        "5YJ",
        "sedan",
        ["electric"],
        (40000, 55000),
        ["RWD", "Long Range", "Performance"],
    ),
    (
        "Tesla",
        "Model Y",
        "7SA",
        "suv",
        ["electric"],
        (45000, 60000),
        ["RWD", "Long Range", "Performance"],
    ),
    ("Ford", "Mustang", "1FA", "coupe", ["petrol"], (55000, 70000), ["GT", "Dark Horse"]),
    ("Ford", "Puma", "WF0", "suv", ["petrol", "hybrid"], (26000, 34000), ["Titanium", "ST-Line"]),
    (
        "MINI",
        "Cooper",
        "WMW",
        "hatchback",
        ["petrol", "electric"],
        (28000, 40000),
        ["Classic", "Exclusive", "JCW"],
    ),
    (
        "Mazda",
        "MX-5",
        "JMZ",
        "convertible",
        ["petrol"],
        (32000, 40000),
        ["Prime-Line", "Exclusive-Line"],
    ),
    (
        "Volkswagen",
        "Multivan",
        "WV2",
        "mpv",
        ["diesel", "plugin_hybrid"],
        (55000, 75000),
        ["Life", "Style"],
    ),
    ("Ford", "Ranger", "6FP", "pickup", ["diesel"], (42000, 60000), ["XLT", "Wildtrak", "Raptor"]),
]

COLOURS = {
    "black": ("Black", (20, 20, 24)),
    "white": ("Pure White", (236, 236, 236)),
    "silver": ("Reflex Silver metallic", (180, 184, 190)),
    "grey": ("Moonstone Grey", (110, 114, 120)),
    "blue": ("Atlantic Blue metallic", (30, 70, 140)),
    "red": ("Kings Red metallic", (160, 25, 30)),
    "green": ("British Racing Green", (20, 70, 45)),
}
INTERIORS = ["Black cloth", "Black leather", "Grey cloth", "Cognac leather", "Beige leather"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
YEAR_CODES = {
    2017: "H",
    2018: "J",
    2019: "K",
    2020: "L",
    2021: "M",
    2022: "N",
    2023: "P",
    2024: "R",
    2025: "S",
    2026: "T",
}


def _vin(rng: random.Random, wmi: str, year: int) -> str:
    body = wmi + "".join(rng.choice(VIN_CHARS) for _ in range(5)) + "0" + YEAR_CODES[year]
    body += rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + "".join(
        rng.choice("0123456789") for _ in range(6)
    )
    return body[:8] + check_digit(body) + body[9:]


def _photo(colour: tuple[int, int, int], label: str, variant: int) -> Image.Image:
    """A simple drawn car on a showroom floor: believable enough for a demo, 800×600."""
    image = Image.new("RGB", (800, 600), (232, 236, 241) if variant == 0 else (210, 216, 224))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 400, 800, 600), fill=(190, 196, 204))
    offset = 40 * variant
    draw.rounded_rectangle((110 - offset, 250, 690 - offset, 400), radius=40, fill=colour)
    draw.polygon(
        [(230 - offset, 250), (310 - offset, 170), (520 - offset, 170), (600 - offset, 250)],
        fill=colour,
    )
    draw.polygon(
        [(255 - offset, 248), (320 - offset, 185), (410 - offset, 185), (410 - offset, 248)],
        fill=(160, 190, 215),
    )
    draw.polygon(
        [(425 - offset, 248), (425 - offset, 185), (510 - offset, 185), (575 - offset, 248)],
        fill=(160, 190, 215),
    )
    for x in (220, 580):
        draw.ellipse((x - 55 - offset, 345, x + 55 - offset, 455), fill=(30, 30, 30))
        draw.ellipse((x - 28 - offset, 372, x + 28 - offset, 428), fill=(170, 170, 175))
    draw.text((30, 30), label, fill=(40, 40, 40))
    return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=78)
    return buffer.getvalue()


def _sale_price(list_price: Decimal) -> Decimal:
    return (list_price * Decimal("0.94") / 100).quantize(Decimal(1)) * 100 - Decimal(10)


def seed_features() -> list[Feature]:
    return [
        Feature.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]
        for name in FEATURES
    ]


def _add_photos(vehicle: Vehicle, rgb: tuple[int, int, int]) -> None:
    for variant in range(2):
        # Drawn without metadata, so the upload pipeline's re-encoding is skipped for speed.
        image = _photo(rgb, f"{vehicle.title} {vehicle.trim}", variant)
        sizes = {
            "gallery": (_jpeg(image), 800, 600),
            "thumbnail": (_jpeg(image.resize((480, 360), Image.Resampling.BILINEAR)), 480, 360),
        }
        photo = VehiclePhoto(
            vehicle=vehicle,
            position=variant,
            is_primary=variant == 0,
            alt_text=f"{vehicle.title} {vehicle.trim}, {'side view' if variant == 0 else 'front three-quarter view'}",
            status=VehiclePhoto.Status.READY,
        )
        for name, (data, width, height) in sizes.items():
            getattr(photo, name).save(
                f"demo-{vehicle.stock_number}-{variant}.jpg", ContentFile(data), save=False
            )
            if name == "gallery":
                photo.width, photo.height = width, height
        photo.save()


def seed(*, locations, count: int = 300) -> int:
    """Create the demo vehicles that do not exist yet; returns how many exist in total."""
    rng = random.Random(4)  # noqa: S311 - the same demo inventory every run, not security
    features = seed_features()
    existing = set(
        Vehicle.objects.filter(stock_number__startswith="D").values_list("stock_number", flat=True)
    )
    today = timezone.localdate()
    current_year = today.year
    for number in range(1, count + 1):
        make, model, wmi, body, fuels, (low, high), trims = rng.choice(CATALOGUE)
        location = locations[number % len(locations)]
        condition = rng.choices(["new", "used", "certified"], weights=[3, 6, 2])[0]
        age = 0 if condition == "new" else rng.randint(1, 7)
        year = min(max(current_year - age, 2017), 2026)
        fuel = rng.choice(fuels)
        colour = rng.choice(list(COLOURS))
        new_price = Decimal(rng.randint(low // 100, high // 100) * 100)
        depreciation = Decimal(str(round(0.85**age, 3)))
        list_price = (new_price * depreciation / 100).quantize(Decimal(1)) * 100 - Decimal(10)
        mileage = 0 if condition == "new" else rng.randint(8000, 22000) * age
        stock = f"D{location.slug[:1].upper()}{number:04d}"
        vin = _vin(rng, wmi, year)
        vin_features = rng.sample(features, rng.randint(3, 9))
        on_sale = rng.random() < 0.25
        trim = rng.choice(trims)
        automatic = fuel in ("electric", "hybrid", "plugin_hybrid") or rng.random() < 0.6
        all_wheel = "quattro" in trim or "xDrive" in trim or rng.random() < 0.25
        engine = "77 kWh" if fuel == "electric" else rng.choice(["1.5 l", "2.0 l", "1.4 l"])
        interior = rng.choice(INTERIORS)
        in_stock_days = rng.randint(1, 180)
        if stock in existing:
            continue
        with transaction.atomic():
            vehicle = vehicle_create(
                vin=vin,
                stock_number=stock,
                location=location,
                condition=condition,
                make=make,
                model=model,
                trim=trim,
                model_year=year,
                body_type=body,
                fuel=fuel,
                transmission="automatic" if automatic else "manual",
                drivetrain="awd"
                if all_wheel
                else ("rwd" if make in ("BMW", "Tesla", "Ford") else "fwd"),
                engine=engine,
                mileage=mileage,
                exterior_colour=colour,
                exterior_colour_name=COLOURS[colour][0],
                interior_colour=interior,
                seats=7 if body == "mpv" else (2 if body == "convertible" else 5),
                doors=2
                if body in ("coupe", "convertible")
                else (4 if body in ("sedan", "pickup") else 5),
                description=f"{make} {model} in {COLOURS[colour][0]}, one owner, full service history."
                if condition != "new"
                else f"Brand new {make} {model}, ready for delivery.",
                list_price=list_price,
                sale_price=_sale_price(list_price) if on_sale else None,
                status=Vehicle.Status.AVAILABLE if number % 40 else Vehicle.Status.SOLD,
                in_stock_since=today - datetime.timedelta(days=in_stock_days),
                features=vin_features,
                prefill_from_vin=False,
            )
            _add_photos(vehicle, COLOURS[colour][1])
    seed_views()
    return Vehicle.objects.filter(stock_number__startswith="D").count()


def seed_views(days: int = 30) -> int:
    """Page views of the demo cars on each of the last ``days`` UTC days (the dashboard's
    views columns): the same figures every run for a car and day; existing rows are kept, so
    running twice adds nothing. Returns how many rows exist for the demo cars."""
    today = views_day()
    cars = Vehicle.objects.filter(stock_number__startswith="D").exclude(status=Vehicle.Status.DRAFT)
    rows = []
    for vehicle in cars.only("pk", "stock_number", "in_stock_since"):
        # Some cars draw a crowd, most a few visitors a day.
        popularity = sum(vehicle.stock_number.encode()) % 7
        for back in range(days):
            day = today - datetime.timedelta(days=back)
            if day >= vehicle.in_stock_since:
                rows.append(
                    VehicleDailyViews(
                        vehicle=vehicle, day=day, views=(popularity * 3 + back * 5) % 23
                    )
                )
    VehicleDailyViews.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return VehicleDailyViews.objects.filter(vehicle__in=cars).count()
