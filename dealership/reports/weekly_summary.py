"""What the weekly summary email says (reads only).

For each of a sales manager's locations, last week (Monday to Sunday, the location's own
calendar days) beside the week before, read from the dashboards' own report functions with
the same filters a manager would set on the panels (so the email and the dashboards agree),
and what needs attention right now, with links into the staff UI.

The result is JSON-serialisable (the outbox stores it): raw figures as numbers or decimal
strings under "figures", the same figures formatted in the active language under "sections".
A fixed number of queries per location whatever the number of leads, orders or vehicles; each
attention list is one query (two for detractors' comments) for all the locations together.
"""

import datetime
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from aftersales.selectors import complaint_list_for_user
from dealership.accounts.models import Location, User
from inventory.templatetags.inventory import money
from leads.models import Lead
from leads.selectors import lead_list_for_user
from orders.selectors import DeskFilters, order_desk
from surveys.models import Answer, Question
from surveys.scoring import DETRACTOR_MAX
from surveys.selectors import invitation_list_for_user

from .selectors import (
    ReportFilters,
    funnel_report,
    inventory_report,
    response_report,
)
from .selectors_aftersales import aftersales_report
from .selectors_nps import nps_report
from .selectors_orders import orders_report

ATTENTION_LIMIT = 10
AGED_DAYS = 90

COUNT, MONEY, PERCENT, MINUTES, SCORE = "count", "money", "percent", "minutes", "score"
# Figures of today, with nothing to compare: no column for the week before.
NOW_ONLY = {"open_recalls", "complaints_open", "complaints_overdue", "aged_over_90"}


def summary_week(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of the ISO week before the one `day` falls in."""
    monday = day - datetime.timedelta(days=day.weekday() + 7)
    return monday, monday + datetime.timedelta(days=6)


def _absolute(path: str, **query) -> str:
    url = settings.SITE_URL.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


def _rows(result: dict, name: str) -> list[list]:
    """The rows of a report's table by name (a report's public output)."""
    return next(table.rows for table in result["tables"] if table.name == name)


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def _text(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == MONEY:
        return money(value)
    if kind == COUNT:
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return formats.number_format(value, decimal_pos=1, use_l10n=True)


def _change(now, before, kind: str) -> str:
    if now is None or before is None:
        return ""
    difference = now - before
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    return sign + _text(abs(difference), kind)


def _figures(manager: User, location: Location, first: datetime.date, now: datetime.datetime):
    """{key: (now, before, kind)} of one location: last week and the week before."""
    week = ReportFilters(
        first=first, last=first + datetime.timedelta(days=6), location_id=location.pk
    )
    week_before = replace(
        week,
        first=first - datetime.timedelta(days=7),
        last=first - datetime.timedelta(days=1),
    )
    funnel = funnel_report(user=manager, filters=week)
    counts, before = funnel["counts"], funnel["previous_counts"]
    orders = orders_report(user=manager, filters=week)
    cancelled = _rows(orders, "cancellations")[-1]
    response = response_report(user=manager, filters=week, now=now, with_conversations=False)[
        "figures"
    ]
    response_before = response_report(
        user=manager, filters=week_before, now=now, with_conversations=False
    )["figures"]
    nps = nps_report(user=manager, filters=week)
    nps_before = nps_report(user=manager, filters=week_before)
    aftersales = aftersales_report(user=manager, filters=week, now=now)
    sent, booked, conversion = _rows(aftersales, "reminders")[:3]
    complaints_open, complaints_overdue = _rows(aftersales, "open_complaints")[:2]
    stock = inventory_report(user=manager, filters=week, today=location.localtime(now).date())

    def detractors(result: dict) -> int:
        return sum(row[4] for row in _rows(result, "nps_trend"))

    figures = {
        key: (counts[key], before[key], COUNT)
        for key in ("leads", "contacted", "test_drives", "orders", "delivered")
    }
    figures.update(
        deal_value=(
            orders["figures"]["deal_value"],
            orders["previous_figures"]["deal_value"],
            MONEY,
        ),
        finance_penetration=(
            orders["figures"]["penetration"],
            orders["previous_figures"]["penetration"],
            PERCENT,
        ),
        cancellations=(cancelled[1], cancelled[2], COUNT),
        median_minutes=(response["median_minutes"], response_before["median_minutes"], MINUTES),
        p90_minutes=(response["p90_minutes"], response_before["p90_minutes"], MINUTES),
        breach_rate=(response["breach_rate"], response_before["breach_rate"], PERCENT),
        nps=(nps["figures"]["nps"], nps_before["figures"]["nps"], SCORE),
        nps_responses=(nps["figures"]["responses"], nps_before["figures"]["responses"], COUNT),
        nps_detractors=(detractors(nps), detractors(nps_before), COUNT),
        reminders_sent=(sent[1], sent[2], COUNT),
        reminders_booked=(booked[1], booked[2], COUNT),
        reminder_conversion=(conversion[1], conversion[2], PERCENT),
        open_recalls=(sum(row[3] for row in _rows(aftersales, "open_recalls")), None, COUNT),
        complaints_open=(complaints_open[1], None, COUNT),
        complaints_overdue=(complaints_overdue[1], None, COUNT),
        stock=(stock["figures"]["stock_end"], stock["figures"]["stock_start"], COUNT),
        aged_over_90=(stock["figures"]["age_b91"], None, COUNT),
    )
    oldest = [
        {
            "location": location.name,
            "stock_number": row[0],
            "vehicle": row[1],
            "days": row[4],
            "leads": row[5],
            "url": _absolute(reverse("admin:inventory_vehicle_changelist"), q=row[0]),
        }
        for row in _rows(stock, "oldest")
        if row[4] > AGED_DAYS
    ]
    return figures, oldest


def _sections() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (
            _("Sales"),
            [
                ("leads", _("Leads")),
                ("contacted", _("Contacted")),
                ("test_drives", _("Test drives completed")),
                ("orders", _("Orders placed")),
                ("delivered", _("Delivered")),
                ("deal_value", _("Average deal value")),
                ("finance_penetration", _("Finance penetration (%)")),
                ("cancellations", _("Cancellations")),
            ],
        ),
        (
            _("Lead response"),
            [
                ("median_minutes", _("Median first response (business minutes)")),
                ("p90_minutes", _("90th percentile (business minutes)")),
                ("breach_rate", _("Response target breach rate (%)")),
            ],
        ),
        (
            _("Customer satisfaction"),
            [
                ("nps", _("NPS")),
                ("nps_responses", _("NPS responses")),
                ("nps_detractors", _("Detractors")),
            ],
        ),
        (
            _("After-sales"),
            [
                ("reminders_sent", _("Service reminders sent")),
                ("reminders_booked", _("Followed by a service booking")),
                ("reminder_conversion", _("Reminder conversion (%)")),
                ("open_recalls", _("Recalled vehicles not yet done (now)")),
                ("complaints_open", _("Complaints open (now)")),
                ("complaints_overdue", _("Complaints past their resolve-by time (now)")),
            ],
        ),
        (
            _("Inventory"),
            [
                ("stock", _("Vehicles in stock at the end of the week")),
                ("aged_over_90", _("In stock for more than 90 days (now)")),
            ],
        ),
    ]


def _location_part(location: Location, first: datetime.date, figures: dict) -> dict:
    sections = []
    for title, rows in _sections():
        sections.append(
            {
                "title": title,
                "rows": [
                    {
                        "key": key,
                        "label": label,
                        "now": _text(figures[key][0], figures[key][2]),
                        "before": ""
                        if key in NOW_ONLY
                        else _text(figures[key][1], figures[key][2]),
                        "change": _change(*figures[key]),
                    }
                    for key, label in rows
                ],
            }
        )
    return {
        "name": location.name,
        "sections": sections,
        "figures": {key: [_json(n), _json(b)] for key, (n, b, _kind) in figures.items()},
        "url": _absolute(
            reverse("reports:index"),
            first=first.isoformat(),
            last=(first + datetime.timedelta(days=6)).isoformat(),
            location=location.pk,
        ),
    }


def _local(moment: datetime.datetime, location: Location) -> str:
    return formats.date_format(location.localtime(moment), "SHORT_DATETIME_FORMAT")


def _attention_list(title: str, items: list[dict], url: str) -> dict:
    return {
        "title": title,
        "items": items[:ATTENTION_LIMIT],
        "more": len(items) > ATTENTION_LIMIT,
        "url": url,
    }


def _unanswered_leads(manager: User, location_ids: list[int], now: datetime.datetime) -> dict:
    """New leads without a first response whose target has passed: the panel's
    "unanswered and overdue now"."""
    leads = (
        lead_list_for_user(user=manager)
        .filter(
            location__in=location_ids,
            status=Lead.Status.NEW,
            first_response_at__isnull=True,
            response_due_at__lt=now,
        )
        .select_related("customer", "location")
        .order_by("response_due_at", "pk")[: ATTENTION_LIMIT + 1]
    )
    items = [
        {
            "text": _("%(customer)s at %(location)s, due %(due)s")
            % {
                "customer": lead.customer,
                "location": lead.location.name,
                "due": _local(lead.response_due_at, lead.location),
            },
            "url": _absolute(lead.get_absolute_url()),
        }
        for lead in leads
    ]
    return _attention_list(
        _("Leads past their response target without an answer"),
        items,
        _absolute(reverse("leads:inbox"), scope="location", overdue="on"),
    )


def _complaints(manager: User, location_ids: list[int], now: datetime.datetime) -> dict:
    complaints = (
        complaint_list_for_user(user=manager, status="open")
        .filter(location__in=location_ids, target_at__lt=now)
        .order_by("target_at", "pk")[: ATTENTION_LIMIT + 1]
    )
    items = [
        {
            "text": _("%(customer)s: %(subject)s (%(location)s, resolve by %(target)s)")
            % {
                "customer": complaint.customer,
                "subject": complaint.subject,
                "location": complaint.location.name,
                "target": _local(complaint.target_at, complaint.location),
            },
            "url": _absolute(reverse("aftersales:complaint_detail", args=[complaint.pk])),
        }
        for complaint in complaints
    ]
    return _attention_list(
        _("Complaints past their resolve-by time"),
        items,
        _absolute(reverse("aftersales:complaints"), status="open"),
    )


def _detractors(manager: User, locations: list[Location], first: datetime.date) -> dict:
    """Last week's answers scoring 0–6 (by when they were submitted, each location's week),
    with the customer's comments."""
    week = Q(pk__in=[])
    for location in locations:
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=location.tzinfo)
        end = start + datetime.timedelta(days=7)
        week |= Q(location=location, submitted_at__gte=start, submitted_at__lt=end)
    comments = Answer.objects.filter(
        question__kind__in=(Question.Kind.WHY, Question.Kind.TEXT)
    ).exclude(text="")
    answers = (
        invitation_list_for_user(user=manager)
        .filter(week, nps_score__lte=DETRACTOR_MAX)
        .select_related("customer", "location")
        .prefetch_related(Prefetch("answers", queryset=comments, to_attr="comments"))
        .order_by("nps_score", "submitted_at", "pk")[: ATTENTION_LIMIT + 1]
    )
    items = [
        {
            "text": _("%(customer)s scored %(score)s at %(location)s")
            % {
                "customer": answer.customer,
                "score": answer.nps_score,
                "location": answer.location.name,
            },
            "comment": " / ".join(comment.text for comment in answer.comments),
            "url": _absolute(answer.customer.get_absolute_url()),
        }
        for answer in answers
    ]
    return _attention_list(_("Detractors last week"), items, _absolute(reverse("surveys:results")))


def _orders_waiting(manager: User, location_ids: list[int], now: datetime.datetime) -> dict:
    """Orders past their status's time limit on the order desk, longest waiting first."""
    orders = [
        order
        for order in order_desk(user=manager, filters=DeskFilters(overdue=True), now=now)
        if order.location_id in location_ids
    ]
    orders.sort(key=lambda order: (order.status_changed_at, order.pk))
    items = [
        {
            "text": _("%(reference)s, %(customer)s: %(status)s since %(since)s")
            % {
                "reference": order.reference,
                "customer": order.customer,
                "status": order.get_status_display(),
                "since": _local(order.status_changed_at, order.location),
            },
            "url": _absolute(reverse("orders:detail", args=[order.pk])),
        }
        for order in orders
    ]
    return _attention_list(
        _("Orders waiting for action"), items, _absolute(reverse("orders:desk"), overdue="1")
    )


def weekly_summary_context(
    *, manager: User, locations: list[Location], now: datetime.datetime
) -> dict:
    """The summary of the ISO week before `now` for `locations` (the manager's): per
    location the figures of that week and the week before, and the attention lists.
    The week is that of `now` at the first location (where the schedule is kept)."""
    first, last = summary_week(locations[0].localtime(now).date())
    parts, aged, totals = [], [], {"leads": 0, "orders": 0}
    for location in locations:
        figures, oldest = _figures(manager, location, first, now)
        parts.append(_location_part(location, first, figures))
        aged.extend(oldest)
        for key in totals:
            totals[key] += figures[key][0]
    aged.sort(key=lambda vehicle: (-vehicle["days"], vehicle["stock_number"]))
    location_ids = [location.pk for location in locations]
    aged_list = _attention_list(
        _("Vehicles in stock for more than 90 days (oldest first)"),
        [
            {
                "text": _(
                    "%(stock_number)s %(vehicle)s at %(location)s: %(days)s days, %(leads)s leads"
                )
                % vehicle,
                "url": vehicle["url"],
            }
            for vehicle in aged
        ],
        _absolute(
            reverse("reports:panel", args=["inventory"]),
            first=first.isoformat(),
            last=last.isoformat(),
        ),
    )
    attention = [
        _unanswered_leads(manager, location_ids, now),
        aged_list,
        _complaints(manager, location_ids, now),
        _detractors(manager, locations, first),
        _orders_waiting(manager, location_ids, now),
    ]
    return {
        "manager": manager.get_full_name() or manager.username,
        "first": first.isoformat(),
        "last": last.isoformat(),
        **totals,
        "locations": parts,
        "attention": attention,
        "needs_attention": any(part["items"] for part in attention),
        "url": _absolute(reverse("reports:index")),
    }
