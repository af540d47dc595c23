"""Vehicle identification numbers (ISO 3779).

The check digit at position 9 is mandatory for North America (WMI 1–5) and China (L);
elsewhere (e.g. European WVWZZZ…) it is often a filler, so those VINs are accepted as given.
"""

import re

VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_DIGIT_REGIONS = tuple("12345L")


class InvalidVin(ValueError):
    pass


def vin_check_digit(vin: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_normalise(raw: str) -> str:
    """Upper-case, spaces and dashes removed; raises InvalidVin with the reason."""
    vin = re.sub(r"[\s-]", "", raw or "").upper()
    if len(vin) != 17:
        raise InvalidVin(f"a VIN has 17 characters, this has {len(vin)}")
    if not VIN_RE.match(vin):
        raise InvalidVin("a VIN uses only digits and letters other than I, O and Q")
    if vin[0] in CHECK_DIGIT_REGIONS and vin[8] != vin_check_digit(vin):
        raise InvalidVin(
            f"check digit {vin[8]} does not match {vin_check_digit(vin)} (required for {vin[0]}…)"
        )
    return vin
