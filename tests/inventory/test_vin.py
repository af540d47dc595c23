import pytest
from django.core.exceptions import ValidationError

from inventory.vin import check_digit, decode_vin, validate_vin


def test_north_american_vin_with_correct_check_digit_is_accepted():
    assert validate_vin(" 1hgcm82633a004352 ") == "1HGCM82633A004352"


def test_north_american_vin_with_wrong_check_digit_says_which_digit_fails():
    # Character 10 mistyped (4 for 3): the check digit no longer matches.
    with pytest.raises(ValidationError) as error:
        validate_vin("1HGCM82634A004352")

    assert error.value.messages == [
        "The check digit (character 9) of the VIN is “3” but should be “1”: "
        "a character is probably mistyped."
    ]


def test_chinese_vin_needs_a_check_digit_too():
    with pytest.raises(ValidationError) as error:
        validate_vin("LRW3E7EK5NC123456")

    assert error.value.code == "vin_check_digit"


def test_european_vin_with_a_filler_in_position_9_is_accepted():
    assert validate_vin("WVWZZZCDZNW123456") == "WVWZZZCDZNW123456"


@pytest.mark.parametrize(
    ("vin", "message"),
    [
        ("WVWZZZCDZNW12345", "A VIN has 17 characters; this one has 16."),
        ("WVWZZZCDZNWI23456", "Character 12 of the VIN is “I”: I, O and Q are never used."),
        ("WVWZZZCDZNW12345Q", "Character 17 of the VIN is “Q”: I, O and Q are never used."),
        ("WVWZZZCD-NW123456", "Character 9 of the VIN is “-”: only letters and digits."),
    ],
)
def test_malformed_vin_names_the_failing_character(vin, message):
    with pytest.raises(ValidationError) as error:
        validate_vin(vin)

    assert error.value.messages == [message]


def test_check_digit_x_for_remainder_ten():
    # 1M8GDM9A_KP042788 is the textbook example whose check digit is X.
    assert check_digit("1M8GDM9AXKP042788") == "X"


def test_decode_north_american_vin_prefills_the_vehicle_offline():
    decoded = decode_vin("5YJ3E1EA8JF000000")

    assert decoded.make == "Tesla"
    assert decoded.model == "Model 3"
    assert decoded.model_year == 2018
    assert decoded.body_type == "sedan"
    assert decoded.fuel == "electric"
    assert decoded.doors == 4
    assert decoded.seats == 5


def test_decode_european_vin_keeps_make_and_year():
    decoded = decode_vin("WVWZZZCDZNW123456")

    assert decoded.make == "Volkswagen"
    assert decoded.model_year == 2022
    assert decoded.raw["Plant Country"] == "GERMANY"
    assert decoded.prefill() == {"make": "Volkswagen", "model_year": 2022}


def test_decode_fills_engine_from_displacement_and_cylinders():
    decoded = decode_vin("1HGCM82633A004352")

    assert decoded.prefill() == {
        "make": "Honda",
        "model": "Accord",
        "model_year": 2003,
        "trim": "EX-V6",
        "body_type": "coupe",
        "transmission": "automatic",
        "fuel": "petrol",
        "doors": 2,
        "engine": "3.0 l, 6 cyl.",
    }
