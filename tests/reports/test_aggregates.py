"""percentile_of_counts interpolates over a histogram exactly as PostgreSQL's percentile_cont
does over the listed values."""

import pytest

from dealership.reports.aggregates import PercentileCont, percentile_of_counts


def test_fraction_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="fraction must be between 0 and 1"):
        PercentileCont("first_response_minutes", 1.5)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([5, 10, 20, 30], 0.5, 15.0),
        ([5, 10, 20, 30], 0.9, 27.0),
        ([30, 5, 20, 10], 0.9, 27.0),
        ([7, 7, 7, 1, 2, 90, 90], 0.5, 7.0),
        ([7, 7, 7, 1, 2, 90, 90], 0.9, 90.0),
        ([7, 7, 7, 1, 2, 90, 90], 0.25, 4.5),
        ([3], 0.9, 3.0),
        ([1, 2, 3], 0.0, 1.0),
        ([0, 0, 1], 1.0, 1.0),
    ],
)
def test_percentile_of_counts_interpolates_like_percentile_cont(values, fraction, expected):
    # Given the values as a histogram (value, how often)
    histogram = [(v, values.count(v)) for v in sorted(set(values))]
    # Then the percentile is percentile_cont's of the listed values
    assert percentile_of_counts(histogram, fraction) == expected


def test_percentile_of_an_empty_histogram_is_none():
    assert percentile_of_counts([], 0.5) is None
    assert percentile_of_counts([(5, 0)], 0.5) is None
