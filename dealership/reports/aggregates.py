"""Percentiles in SQL (PostgreSQL's percentile_cont), and the same interpolation over a
histogram of counts for figures that are already summed up."""

import math
from collections.abc import Hashable, Iterable

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Aggregate, FloatField, QuerySet

from dealership.routers import read_alias


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of an expression (NULLs ignored)."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles_by(
    qs: QuerySet, *, field: str, fractions: Iterable[float], group: str | None = None
) -> dict[Hashable, list[float | None]]:
    """{group value (None without a group): [percentile per fraction]} of `field`'s non-null
    values, in one GROUP BY query."""
    fractions = list(fractions)
    qs = qs.filter(**{f"{field}__isnull": False}).order_by()
    aggregates = {f"p{i}": PercentileCont(field, f) for i, f in enumerate(fractions)}
    # percentile_cont sorts every value; with the default work_mem a year of leads sorts
    # on disk. SET LOCAL lasts to the end of the transaction (the request's, or this one).
    alias = read_alias()
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.REPORTS_WORK_MEM])
        if group is None:
            row = qs.aggregate(**aggregates)
            return {None: [row[f"p{i}"] for i in range(len(fractions))]}
        rows = list(qs.values(group).annotate(**aggregates))
    return {r[group]: [r[f"p{i}"] for i in range(len(fractions))] for r in rows}


def percentile_of_counts(counts: Iterable[tuple[float, int]], fraction: float) -> float | None:
    """percentile_cont over a histogram: `counts` are (value, how many times it occurs).
    The same linear interpolation between the closest ranks, without listing every value."""
    ordered = sorted((v, n) for v, n in counts if n)
    total = sum(n for _v, n in ordered)
    if not total:
        return None
    position = fraction * (total - 1)
    low, high = math.floor(position), math.ceil(position)

    def at(rank: int) -> float:
        seen = 0
        for value, n in ordered:
            seen += n
            if rank < seen:
                return float(value)
        raise AssertionError("rank beyond the histogram")  # pragma: no cover

    low_value = at(low)
    return low_value + (at(high) - low_value) * (position - low)
