"""Vehicle identification numbers: validation and offline decoding.

Validation follows ISO 3779 / 49 CFR 565: 17 characters, no I, O or Q. Position 9 is a
mandatory check digit only for vehicles built for North America (WMI starting 1–5) and China
(WMI starting L); European manufacturers often put a filler there (``WVWZZZ…``), so elsewhere
the VIN is accepted as it is.

Decoding uses ``ultravin``, which ships NHTSA's vPIC database inside the wheel: it works
offline and also decodes the make and model year of European VINs that fail the check digit.
"""

import contextlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

VIN_LENGTH = 17
FORBIDDEN = {"I", "O", "Q"}
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise_vin(value: str) -> str:
    return "".join(str(value).split()).upper()


def check_digit(vin: str) -> str:
    """The position-9 check digit ('0'–'9' or 'X') computed from the other 16 characters."""
    total = sum(_TRANSLITERATION[ch] * w for ch, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def check_digit_required(vin: str) -> bool:
    """North America (WMI 1–5) and China (WMI L) require a valid check digit."""
    return vin[:1] in {"1", "2", "3", "4", "5", "L"}


def validate_vin(value: str) -> str:
    """Return the normalised VIN or raise ValidationError saying which character fails."""
    vin = normalise_vin(value)
    if len(vin) != VIN_LENGTH:
        raise ValidationError(
            _("A VIN has 17 characters; this one has %(count)d.") % {"count": len(vin)},
            code="vin_length",
        )
    for position, ch in enumerate(vin, start=1):
        if ch in FORBIDDEN:
            raise ValidationError(
                _("Character %(position)d of the VIN is “%(char)s”: I, O and Q are never used.")
                % {"position": position, "char": ch},
                code="vin_forbidden_character",
            )
        if ch not in _TRANSLITERATION:
            raise ValidationError(
                _("Character %(position)d of the VIN is “%(char)s”: only letters and digits.")
                % {"position": position, "char": ch},
                code="vin_invalid_character",
            )
    if check_digit_required(vin):
        expected = check_digit(vin)
        if vin[8] != expected:
            raise ValidationError(
                _(
                    "The check digit (character 9) of the VIN is “%(actual)s” but should be "
                    "“%(expected)s”: a character is probably mistyped."
                )
                % {"actual": vin[8], "expected": expected},
                code="vin_check_digit",
            )
    return vin


@dataclass(frozen=True)
class DecodedVin:
    """What the VIN says about the vehicle; empty strings / None where it says nothing."""

    vin: str
    make: str = ""
    model: str = ""
    model_year: int | None = None
    trim: str = ""
    body_type: str = ""
    fuel: str = ""
    drivetrain: str = ""
    transmission: str = ""
    doors: int | None = None
    seats: int | None = None
    engine: str = ""
    raw: dict = field(default_factory=dict)

    def prefill(self) -> dict:
        """The vehicle fields this decode can fill, without the empty ones."""
        values = {
            "make": self.make,
            "model": self.model,
            "model_year": self.model_year,
            "trim": self.trim,
            "body_type": self.body_type,
            "fuel": self.fuel,
            "drivetrain": self.drivetrain,
            "transmission": self.transmission,
            "doors": self.doors,
            "seats": self.seats,
            "engine": self.engine,
        }
        return {key: value for key, value in values.items() if value not in ("", None)}


# Makes whose vPIC spelling (upper case) is not simply title-cased.
_MAKE_NAMES = {"BMW": "BMW", "MINI": "MINI", "MERCEDES-BENZ": "Mercedes-Benz", "KIA": "Kia"}

_BODY = {
    "Sedan/Saloon": "sedan",
    "Hatchback/Liftback/Notchback": "hatchback",
    "Wagon": "estate",
    "Coupe": "coupe",
    "Convertible/Cabriolet": "convertible",
    "Sport Utility Vehicle (SUV)/Multi-Purpose Vehicle (MPV)": "suv",
    "Crossover Utility Vehicle (CUV)": "suv",
    "Minivan": "mpv",
    "Van": "van",
    "Cargo Van": "van",
    "Pickup": "pickup",
}
_DRIVE = {
    "FWD/Front-Wheel Drive": "fwd",
    "RWD/Rear-Wheel Drive": "rwd",
    "AWD/All-Wheel Drive": "awd",
    "4WD/4-Wheel Drive/4x4": "4wd",
    "4x2": "rwd",
}
_TRANSMISSION = {
    "Automatic": "automatic",
    "Manual/Standard": "manual",
    "Dual-Clutch Transmission (DCT)": "automatic",
    "Continuously Variable Transmission (CVT)": "automatic",
    "Automated Manual Transmission (AMT)": "automatic",
}


def _fuel(attributes: dict) -> str:
    level = attributes.get("Electrification Level") or ""
    if level.startswith("BEV"):
        return "electric"
    if level.startswith("PHEV"):
        return "plugin_hybrid"
    if "HEV" in level:
        return "hybrid"
    primary = attributes.get("Fuel Type - Primary") or ""
    return {"Gasoline": "petrol", "Diesel": "diesel", "Electric": "electric"}.get(primary, "")


def _int(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _engine(attributes: dict) -> str:
    litres = attributes.get("Displacement (L)")
    cylinders = attributes.get("Engine Number of Cylinders")
    parts = []
    if litres:
        with contextlib.suppress(ValueError):
            parts.append(f"{float(litres):.1f} l")
    if cylinders:
        parts.append(f"{cylinders} cyl.")
    return ", ".join(parts)


def decode_vin(value: str) -> DecodedVin:
    """Decode a VIN offline from the vPIC data. Raises ValidationError for an invalid VIN."""
    import ultravin  # imported here: the decoder loads its tables on first use

    vin = validate_vin(value)
    result = ultravin.decode(vin)
    attributes = result.get("attributes") or {}
    make = (attributes.get("Make") or "").strip()
    return DecodedVin(
        vin=vin,
        make=_MAKE_NAMES.get(make, make.title()),
        model=(attributes.get("Model") or "").strip(),
        model_year=result.get("model_year"),
        trim=(attributes.get("Trim") or attributes.get("Series") or "").strip(),
        body_type=_BODY.get(attributes.get("Body Class") or "", ""),
        fuel=_fuel(attributes),
        drivetrain=_DRIVE.get(attributes.get("Drive Type") or "", ""),
        transmission=_TRANSMISSION.get(attributes.get("Transmission Style") or "", ""),
        doors=_int(attributes.get("Doors")),
        seats=_int(attributes.get("Number of Seats")),
        engine=_engine(attributes),
        raw={
            key: value
            for key, value in attributes.items()
            if value and value != "Not Applicable" and isinstance(value, str)
        },
    )
