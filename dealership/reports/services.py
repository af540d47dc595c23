"""The weekly summary email: Monday 08:00 in each sales manager's location time, once a week.

Writes nothing of its own: the outbox row (unique dedupe key) is the record that a week's
summary went out, so the hourly job is safe to run twice, late or after a crash.
"""

import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue

from .selectors import (
    ReportFilters,
    funnel_report,
    inventory_report,
    leaderboard_report,
    response_report,
)

SEND_WEEKDAY = 0  # Monday
SEND_HOUR = 8


def weekly_summary_key(*, user_id: int, day: datetime.date) -> str:
    iso = day.isocalendar()
    return f"reports:weekly:{user_id}:{iso.year}-W{iso.week:02d}"


def _sales_managers():
    return (
        User.objects.filter(is_active=True, is_staff=True, groups__name=Role.SALES_MANAGER.value)
        .exclude(email="")
        .prefetch_related(Prefetch("locations", queryset=Location.objects.order_by("pk")))
        .distinct()
        .order_by("pk")
    )


def weekly_summary_managers_due(*, now: datetime.datetime) -> list[tuple[User, Location]]:
    """Sales managers whose (first) location's clock shows Monday 08:xx and who have no
    summary for this ISO week yet, with that location."""
    due = []
    for manager in _sales_managers():
        locations = list(manager.locations.all())
        if not locations:
            continue
        local = timezone.localtime(now, locations[0].tzinfo)
        if local.weekday() == SEND_WEEKDAY and local.hour == SEND_HOUR:
            due.append((manager, locations[0]))
    keys = {weekly_summary_key(user_id=m.pk, day=n.localtime(now).date()) for m, n in due}
    sent = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    return [
        (m, n)
        for m, n in due
        if weekly_summary_key(user_id=m.pk, day=n.localtime(now).date()) not in sent
    ]


def weekly_summary_context(*, manager: User, location: Location, now: datetime.datetime) -> dict:
    """The figures of the ISO week before `now` (local days, the manager's locations) and
    what needs attention now. JSON-serialisable: the outbox stores it."""
    monday = location.localtime(now).date() - datetime.timedelta(days=7)
    monday -= datetime.timedelta(days=monday.weekday())
    filters = ReportFilters(
        first=monday, last=monday + datetime.timedelta(days=6), time_zone=location.time_zone
    )
    funnel = funnel_report(user=manager, filters=filters)
    response = response_report(user=manager, filters=filters, now=now)["figures"]
    stock = inventory_report(user=manager, filters=filters, today=location.localtime(now).date())
    leaders = leaderboard_report(user=manager, filters=filters)["tables"][0].rows
    counts, before = funnel["counts"], funnel["previous_counts"]
    candidates = next(t for t in stock["tables"] if t.name == "price_drop_candidates").rows

    def text(value) -> str:
        return "–" if value is None else str(value)

    return {
        "manager": manager.get_full_name() or manager.username,
        "first": filters.first.isoformat(),
        "last": filters.last.isoformat(),
        "leads": counts["leads"],
        "leads_before": before["leads"],
        "contacted": counts["contacted"],
        "appointments": counts["appointment"],
        "won": counts["won"],
        "won_before": before["won"],
        "median_minutes": text(response["median_minutes"]),
        "p90_minutes": text(response["p90_minutes"]),
        "breach_rate": text(response["breach_rate"]),
        "unanswered_now": response["unanswered_now"],
        "unanswered_overdue": response["unanswered_overdue"],
        "aged_over_90": stock["figures"]["age_b91"],
        "price_drop_candidates": len(candidates),
        "top_consultant": leaders[0][0] if leaders and leaders[0][5] else "",
        "top_consultant_won": leaders[0][5] if leaders else 0,
        "url": settings.SITE_URL.rstrip("/") + reverse("reports:index"),
    }


def weekly_summary_send(
    *, manager: User, location: Location, now: datetime.datetime
) -> OutboxMessage:
    """Queue one manager's summary for the ISO week of `now`. Idempotent on the dedupe key
    "reports:weekly:<user_id>:<iso_year>-W<week>"."""
    return message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=manager.email,
        template_key="reports.weekly_summary",
        context=weekly_summary_context(manager=manager, location=location, now=now),
        dedupe_key=weekly_summary_key(user_id=manager.pk, day=location.localtime(now).date()),
        location=location,
    )


def weekly_summaries_send_due(*, now: datetime.datetime | None = None) -> int:
    """The hourly job: queue the summaries due now. Returns how many were queued."""
    now = now or timezone.now()
    due = weekly_summary_managers_due(now=now)
    for manager, location in due:
        weekly_summary_send(manager=manager, location=location, now=now)
    return len(due)
