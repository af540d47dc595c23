"""The NPS panel: the trend by month, by location and by touchpoint, with response counts and
the previous period beside each. The invitations come from the surveys app's own selector
(customer surveys only, the user's locations) and the score from its scoring module, so the
panel and the survey results page agree.

Two queries whatever the number of responses (after the locations the user may see): the
grouped counts and the locations' names.
"""

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from dealership.accounts.models import Location, User
from surveys import scoring
from surveys.models import Invitation, Touchpoint
from surveys.selectors import invitation_list_for_user

from .periods import Period
from .selectors import ReportFilters, _location_ids, _period
from .selectors_orders import change
from .tables import Table, chart_from


def _in(period: Period) -> Q:
    # By when the invitation went out, as the survey results page counts.
    return Q(created_at__gte=period.start, created_at__lt=period.end)


COUNTERS = dict.fromkeys(
    [
        f"{when}_{category}"
        for when in ("now", "before")
        for category in ("promoters", "passives", "detractors")
    ],
    0,
)


def _score(row: dict, prefix: str = ""):
    return scoring.nps(
        promoters=row[f"{prefix}promoters"],
        passives=row[f"{prefix}passives"],
        detractors=row[f"{prefix}detractors"],
    )


def _responses(row: dict, prefix: str = "") -> int:
    return sum(row[f"{prefix}{k}"] for k in ("promoters", "passives", "detractors"))


def _invitations(
    location_ids: list[int], user: User, filters: ReportFilters
) -> QuerySet[Invitation]:
    qs = invitation_list_for_user(user=user).filter(location__in=location_ids)
    if filters.consultant_id is not None:
        qs = qs.filter(consultant=filters.consultant_id)
    return qs.order_by()


def _compared(rows: list[dict], label_key: str, labels=None) -> list[list]:
    table_rows = []
    for r in rows:
        score, before = _score(r, "now_"), _score(r, "before_")
        label = r[label_key] if labels is None else labels(r[label_key])
        table_rows.append(
            [
                label,
                _responses(r, "now_"),
                score,
                _responses(r, "before_"),
                before,
                change(score, before),
            ]
        )
    return table_rows


def _by_category(rows) -> list[dict]:
    """The rows per score summed into each month, location and touchpoint's promoters,
    passives and detractors of both periods, and its invitations (answered or not)."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = (row["month"], row["location"], row["touchpoint"])
        group = groups.setdefault(
            key,
            {
                "month": key[0],
                "location": key[1],
                "touchpoint": key[2],
                **COUNTERS,
                "invited_now": 0,
                "invited": 0,
            },
        )
        group["invited_now"] += row["now"]
        group["invited"] += row["now"] + row["before"]
        if row["nps_score"] is not None:
            category = f"{scoring.category(row['nps_score'])}s"
            group[f"now_{category}"] += row["now"]
            group[f"before_{category}"] += row["before"]
    return list(groups.values())


def _rolled_up(groups: list[dict], keys: tuple[str, ...], only: str = "invited") -> list[dict]:
    """The groups' counts summed by `keys`, sorted by them; groups without any invitation
    counted in `only` are left out."""
    totals: dict[tuple, dict] = {}
    for group in groups:
        if not group[only]:
            continue
        key = tuple(group[k] for k in keys)
        row = totals.setdefault(key, {**dict(zip(keys, key, strict=True)), **COUNTERS})
        for counter in COUNTERS:
            row[counter] += group[counter]
    return [totals[key] for key in sorted(totals)]


def nps_report(*, user: User, filters: ReportFilters) -> dict:
    """NPS (% promoters − % detractors, one decimal) of the period's customer survey
    invitations by month (in the period's time zone), by location and by touchpoint, each
    with its number of responses and the previous period's score."""
    period = _period(user, filters)
    previous = period.previous()
    # One scan: the invitations per month, location, touchpoint and score in each period
    # (two counts, not a filtered count per category: fewer aggregates per row); the three
    # tables are sums of these few thousand groups at most.
    location_ids = _location_ids(user, filters)
    rows = (
        _invitations(location_ids, user, filters)
        .filter(_in(period) | _in(previous))
        .annotate(month=TruncMonth("created_at", tzinfo=period.tz))
        .values("month", "location", "touchpoint", "nps_score")
        .annotate(now=Count("pk", filter=_in(period)), before=Count("pk", filter=_in(previous)))
    )
    groups = _by_category(rows)
    months = _rolled_up(groups, ("month",), only="invited_now")
    # The names by one small query: joining them in makes the big grouping sort wider.
    names = dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "name"))
    by_location = sorted(
        ({**row, "name": names[row["location"]]} for row in _rolled_up(groups, ("location",))),
        key=lambda row: (row["name"], row["location"]),
    )
    by_touchpoint = _rolled_up(groups, ("touchpoint",))
    for row in months:
        for category in ("promoters", "passives", "detractors"):
            row[category] = row[f"now_{category}"]

    trend = Table(
        "nps_trend",
        _("NPS by month"),
        [
            _("Month"),
            _("Responses"),
            _("Promoters"),
            _("Passives"),
            _("Detractors"),
            _("NPS"),
            _("Change from the month before"),
        ],
    )
    last_score = None
    for r in months:
        score = _score(r)
        trend.rows.append(
            [
                f"{r['month']:%Y-%m}",
                _responses(r),
                r["promoters"],
                r["passives"],
                r["detractors"],
                score,
                change(score, last_score),
            ]
        )
        last_score = score
    columns = [
        _("Responses"),
        _("NPS"),
        _("Responses, previous period"),
        _("NPS, previous period"),
        _("Change"),
    ]
    location_table = Table(
        "nps_by_location",
        _("NPS by location"),
        [_("Location"), *columns],
        _compared(by_location, "name"),
    )
    totals = {key: sum(r[key] for r in by_location) for key in COUNTERS}
    location_table.rows.append(_compared([{**totals, "label": _("All locations")}], "label")[0])
    touchpoint_table = Table(
        "nps_by_touchpoint",
        _("NPS by touchpoint"),
        [_("Touchpoint"), *columns],
        _compared(by_touchpoint, "touchpoint", labels=lambda v: str(Touchpoint(v).label)),
    )
    return {
        "period": period,
        "previous": previous,
        "note": _(
            "Survey invitations are counted by the day they went out (as on the survey "
            "results page); NPS is the share of promoters (9–10) minus the share of "
            "detractors (0–6), in points. The source filter does not apply here."
        ),
        "figures": {
            "responses": _responses(totals, "now_"),
            "nps": _score(totals, "now_"),
            "previous_nps": _score(totals, "before_"),
        },
        "tables": [trend, location_table, touchpoint_table],
        "charts": [chart_from(trend, label_col=0, value_col=5, title=_("NPS by month"))],
    }
