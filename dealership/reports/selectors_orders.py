"""The orders and finance panel: orders by status, average deal value, finance penetration
and decisions, cancellations with their reasons, each beside the previous period.

Two queries whatever the number of orders, scoped to the locations the user may report on.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from dealership.accounts.models import User
from orders.models import FinanceApplication, Order

from .periods import Period
from .selectors import ReportFilters, _location_ids, _period, _ratio
from .tables import Table, chart_from

CENT = Decimal("0.01")
# Orders that reached a customer: a draft is a deal builder nobody submitted.
PLACED = ~Q(status=Order.Status.DRAFT)
FINANCED = Q(payment_type__in=(Order.PaymentType.FINANCE, Order.PaymentType.LEASE))
D = FinanceApplication.Decision


def change(now, before):
    """now − before; None when either side has no figure (an empty period shows "–")."""
    if now is None or before is None:
        return None
    return now - before


def _orders(user: User, filters: ReportFilters) -> QuerySet[Order]:
    qs = Order.objects.filter(location__in=_location_ids(user, filters))
    if filters.consultant_id is not None:
        qs = qs.filter(consultant=filters.consultant_id)
    return qs.order_by()


def _in(period: Period, field: str = "created_at") -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _order_counts(orders: QuerySet[Order], now: Period, before: Period) -> dict:
    """One query: placed orders per period, grouped by status, payment type and finance
    decision (a few dozen groups at most), summed here into each figure; with each group's
    sum and number of agreed deal totals (cancelled orders left out) for the average deal
    value, divided once here."""
    agreed = ~Q(status=Order.Status.CANCELLED) & Q(deal_total__isnull=False)
    rows = (
        orders.filter(PLACED)
        .filter(_in(now) | _in(before))
        .values("status", "payment_type", "finance__decision")
        .annotate(
            now=Count("pk", filter=_in(now)),
            before=Count("pk", filter=_in(before)),
            now_deals=Count("pk", filter=_in(now) & agreed),
            before_deals=Count("pk", filter=_in(before) & agreed),
            now_deal_sum=Sum("deal_total", filter=_in(now) & agreed),
            before_deal_sum=Sum("deal_total", filter=_in(before) & agreed),
        )
    )
    financed = set(Order.PaymentType.values) - {Order.PaymentType.CASH}
    counts = {
        f"{key}_{name}": 0
        for key in ("now", "before")
        for name in (
            "placed",
            "financed",
            "applications",
            "deals",
            "deal_sum",
            *Order.Status.values,
            *(f"decision_{d}" for d in D.values),
        )
    }
    for row in rows:
        for key in ("now", "before"):
            n = row[key]
            counts[f"{key}_placed"] += n
            counts[f"{key}_{row['status']}"] += n
            counts[f"{key}_deals"] += row[f"{key}_deals"]
            counts[f"{key}_deal_sum"] += row[f"{key}_deal_sum"] or 0
            if row["payment_type"] in financed:
                counts[f"{key}_financed"] += n
            if row["finance__decision"] is not None:
                counts[f"{key}_applications"] += n
                counts[f"{key}_decision_{row['finance__decision']}"] += n
    return counts


def _deal_value(counts: dict, key: str) -> Decimal | None:
    """The average agreed deal total of the period, rounded once to the cent."""
    deals = counts[f"{key}_deals"]
    if not deals:
        return None
    return (Decimal(counts[f"{key}_deal_sum"]) / deals).quantize(CENT, ROUND_HALF_UP)


def _cancellations(orders: QuerySet[Order], now: Period, before: Period) -> list[dict]:
    """One query: orders cancelled in each period (by when they were cancelled), by reason."""
    cancelled = orders.filter(status=Order.Status.CANCELLED).filter(
        _in(now, "status_changed_at") | _in(before, "status_changed_at")
    )
    rows = cancelled.values("cancel_reason").annotate(
        now=Count("pk", filter=_in(now, "status_changed_at")),
        before=Count("pk", filter=_in(before, "status_changed_at")),
    )
    return sorted(rows, key=lambda r: (-r["now"], -r["before"], r["cancel_reason"]))


def orders_report(*, user: User, filters: ReportFilters) -> dict:
    """Orders placed in the period (created and submitted, drafts left out) by their status
    now, the average deal value, the share financed or leased, the lenders' decisions, and
    the orders cancelled in the period by reason; each beside the previous period."""
    period = _period(user, filters)
    previous = period.previous()
    orders = _orders(user, filters)
    counts = _order_counts(orders, period, previous)
    deal_value = {key: _deal_value(counts, key) for key in ("now", "before")}
    cancellations = _cancellations(orders, period, previous)

    status_table = Table(
        "orders_by_status",
        _("Orders by status"),
        [_("Status"), _("Orders"), _("Previous period"), _("Change")],
    )
    for status, label in Order.Status.choices:
        if status == Order.Status.DRAFT:
            continue
        n, b = counts[f"now_{status}"], counts[f"before_{status}"]
        status_table.rows.append([str(label), n, b, n - b])
    n, b = counts["now_placed"], counts["before_placed"]
    status_table.rows.append([_("All orders placed"), n, b, n - b])

    def figures(key: str) -> dict:
        decided = (
            counts[f"{key}_decision_{D.APPROVED}"]
            + counts[f"{key}_decision_{D.COUNTER_OFFER}"]
            + counts[f"{key}_decision_{D.DECLINED}"]
        )
        return {
            "placed": counts[f"{key}_placed"],
            "deal_value": deal_value[key],
            "financed": counts[f"{key}_financed"],
            "penetration": _ratio(counts[f"{key}_financed"], counts[f"{key}_placed"]),
            "applications": counts[f"{key}_applications"],
            "approved": counts[f"{key}_decision_{D.APPROVED}"],
            "counter_offer": counts[f"{key}_decision_{D.COUNTER_OFFER}"],
            "declined": counts[f"{key}_decision_{D.DECLINED}"],
            "pending": counts[f"{key}_decision_{D.PENDING}"],
            "approval_rate": _ratio(counts[f"{key}_decision_{D.APPROVED}"], decided),
        }

    now, before = figures("now"), figures("before")
    labels = {
        "placed": _("Orders placed"),
        "deal_value": _("Average deal value"),
        "financed": _("Financed or leased"),
        "penetration": _("Finance penetration (%)"),
        "applications": _("Finance applications"),
        "approved": _("Approved"),
        "counter_offer": _("Counter-offers"),
        "declined": _("Declined"),
        "pending": _("Decision pending"),
        "approval_rate": _("Approval rate of decided applications (%)"),
    }
    finance_table = Table(
        "deals_and_finance",
        _("Deal value and finance"),
        [_("Figure"), _("This period"), _("Previous period"), _("Change")],
        [
            [label, now[key], before[key], change(now[key], before[key])]
            for key, label in labels.items()
        ],
    )
    cancel_table = Table(
        "cancellations",
        _("Cancellations by reason"),
        [_("Reason"), _("Cancelled"), _("Previous period"), _("Change")],
        [
            [
                r["cancel_reason"] or _("(no reason given)"),
                r["now"],
                r["before"],
                r["now"] - r["before"],
            ]
            for r in cancellations
        ],
    )
    cancelled_now = sum(r["now"] for r in cancellations)
    cancelled_before = sum(r["before"] for r in cancellations)
    cancel_table.rows.append(
        [_("All cancellations"), cancelled_now, cancelled_before, cancelled_now - cancelled_before]
    )
    return {
        "period": period,
        "previous": previous,
        "note": _(
            "Orders are counted when placed and cancellations when cancelled; the source "
            "filter does not apply to orders."
        ),
        "figures": now,
        "previous_figures": before,
        "tables": [status_table, finance_table, cancel_table],
        "charts": [
            chart_from(
                Table(
                    status_table.name,
                    status_table.title,
                    status_table.columns,
                    status_table.rows[:-1],
                ),
                label_col=0,
                value_col=1,
            )
        ],
    }
