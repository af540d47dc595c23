"""The SQLite fallback interpolates exactly as PostgreSQL's percentile_cont."""

import pytest

from dealership.reports.aggregates import PercentileCont, percentile


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([5, 10, 20, 30], 0.5, 15.0),
        ([5, 10, 20, 30], 0.9, 27.0),
        ([30, 5, 20, 10], 0.9, 27.0),
        ([7], 0.9, 7.0),
        ([1, 2, 3], 0.0, 1.0),
        ([1, 2, 3], 1.0, 3.0),
    ],
)
def test_percentile_interpolates_like_percentile_cont(values, fraction, expected):
    assert percentile(values, fraction) == expected


def test_percentile_of_nothing_is_none():
    assert percentile([], 0.5) is None


def test_fraction_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="fraction must be between 0 and 1"):
        PercentileCont("first_response_minutes", 1.5)
