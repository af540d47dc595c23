from decimal import Decimal

import pytest

from surveys import scoring
from surveys.scoring import NpsSummary, category, nps


def test_all_promoters_score_100():
    assert nps(promoters=7, passives=0, detractors=0) == Decimal("100.0")


def test_all_detractors_score_minus_100():
    assert nps(promoters=0, passives=0, detractors=3) == Decimal("-100.0")


def test_all_passives_score_0():
    assert nps(promoters=0, passives=4, detractors=0) == Decimal("0.0")


def test_no_answers_is_no_data_not_zero():
    summary = NpsSummary(invited=12)

    assert nps(promoters=0, passives=0, detractors=0) is None
    assert summary.score is None
    assert summary.has_data is False
    assert summary.response_rate == Decimal("0.0")


def test_nothing_invited_has_no_response_rate():
    assert NpsSummary().response_rate is None


def test_one_decimal_rounded_half_up_from_the_exact_difference():
    # 2 promoters, 0 passives, 1 detractor: 66.666… − 33.333… = 33.333… → 33.3
    assert nps(promoters=2, passives=0, detractors=1) == Decimal("33.3")
    # 1/8 − 0 = 12.5 exactly; 1 promoter of 16 = 6.25 → 6.3 (half up, not banker's 6.2)
    assert nps(promoters=1, passives=7, detractors=0) == Decimal("12.5")
    assert nps(promoters=1, passives=15, detractors=0) == Decimal("6.3")
    # Rounding each percentage first would give 33.3 − 16.7 = 16.6; the difference is 16.7.
    assert nps(promoters=2, passives=3, detractors=1) == Decimal("16.7")


def test_negative_half_rounds_away_from_zero():
    assert nps(promoters=0, passives=15, detractors=1) == Decimal("-6.3")


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_category_boundaries(score, expected):
    assert category(score) == expected


@pytest.mark.parametrize("score", [-1, 11])
def test_category_refuses_scores_outside_0_to_10(score):
    with pytest.raises(ValueError, match="0–10"):
        category(score)


def test_response_rate_one_decimal():
    assert NpsSummary(promoters=1, passives=1, detractors=0, invited=3).response_rate == Decimal(
        "66.7"
    )


@pytest.mark.parametrize(
    ("nps_score", "csi", "expected"),
    [(6, None, True), (7, None, False), (None, 2, True), (9, 3, False), (10, 1, True)],
)
def test_follow_up_for_detractors_and_csi_two_or_less(nps_score, csi, expected):
    assert scoring.needs_follow_up(nps_score=nps_score, lowest_csi=csi) is expected
