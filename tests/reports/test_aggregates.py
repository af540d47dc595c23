"""The SQLite fallback interpolates exactly as PostgreSQL's percentile_cont."""

import pytest

from dealership.reports.aggregates import PercentileCont, percentile, percentile_of_counts


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


@pytest.mark.parametrize(
    ("values", "fraction"),
    [
        ([5, 10, 20, 30], 0.5),
        ([5, 10, 20, 30], 0.9),
        ([7, 7, 7, 1, 2, 90, 90], 0.5),
        ([7, 7, 7, 1, 2, 90, 90], 0.9),
        ([3], 0.9),
        ([0, 0, 1], 1.0),
    ],
)
def test_percentile_of_counts_equals_the_percentile_of_the_values(values, fraction):
    # Given the values as a histogram (value, how often)
    histogram = [(v, values.count(v)) for v in sorted(set(values))]
    # Then the percentile is the one of the listed values
    assert percentile_of_counts(histogram, fraction) == percentile(values, fraction)


def test_percentile_of_an_empty_histogram_is_none():
    assert percentile_of_counts([], 0.5) is None
    assert percentile_of_counts([(5, 0)], 0.5) is None
