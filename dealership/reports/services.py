"""The weekly summary email: Monday 08:00 in each sales manager's location time, once a week.

Writes nothing of its own: the outbox row (unique dedupe key) is the record that a week's
summary went out, so the hourly job is safe to run twice, or again after a crash. A summary
not sent at 08:xx (the worker or beat was down, the job crashed) goes out at the job's next
run that Monday: later that morning is still worth a manager's reading, the Tuesday isn't
(the week's own figures have started). What the summary says is built in weekly_summary.py.
"""

import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation

from dealership.accounts.language import user_language
from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue

from .weekly_summary import weekly_summary_context

SEND_WEEKDAY = 0  # Monday
SEND_HOUR = 8


def weekly_summary_key(*, user_id: int, day: datetime.date, location_ids: list[int]) -> str:
    """One summary per manager, set of locations and ISO week: the outbox's unique dedupe
    key holds it. Location ids in ascending order."""
    iso = day.isocalendar()
    locations = "-".join(str(pk) for pk in sorted(location_ids))
    return f"reports:weekly:{user_id}:{iso.year}-W{iso.week:02d}:{locations}"


def _sales_managers():
    return (
        User.objects.filter(is_active=True, is_staff=True, groups__name=Role.SALES_MANAGER.value)
        .exclude(email="")
        .prefetch_related(Prefetch("locations", queryset=Location.objects.order_by("pk")))
        .distinct()
        .order_by("pk")
    )


def _key(manager: User, locations: list[Location], now: datetime.datetime) -> str:
    return weekly_summary_key(
        user_id=manager.pk,
        day=locations[0].localtime(now).date(),
        location_ids=[location.pk for location in locations],
    )


def weekly_summary_managers_due(*, now: datetime.datetime) -> list[tuple[User, list[Location]]]:
    """Sales managers whose (first) location's clock shows Monday, 08:00 or later, and who
    have no summary for this ISO week and these locations yet, with their locations."""
    due = []
    for manager in _sales_managers():
        locations = list(manager.locations.all())
        if not locations:
            continue
        local = timezone.localtime(now, locations[0].tzinfo)
        if local.weekday() == SEND_WEEKDAY and local.hour >= SEND_HOUR:
            due.append((manager, locations))
    keys = {_key(m, locations, now) for m, locations in due}
    sent = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    return [(m, locations) for m, locations in due if _key(m, locations, now) not in sent]


def weekly_summary_send(
    *, manager: User, locations: list[Location], now: datetime.datetime
) -> OutboxMessage:
    """Queue one manager's summary of `locations` (theirs, in id order) for the ISO week of
    `now`. Idempotent on the dedupe key (see weekly_summary_key): a second call, or a
    second job run, returns the message already queued and sends nothing."""
    key = _key(manager, locations, now)
    existing = OutboxMessage.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing  # the figures are not computed again
    language = user_language(manager)
    # The figures' labels and dates in the manager's own language (User.language).
    with translation.override(language or settings.LANGUAGE_CODE):
        context = weekly_summary_context(manager=manager, locations=locations, now=now)
    return message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=manager.email,
        template_key="reports.weekly_summary",
        context=context,
        dedupe_key=key,
        location=locations[0],
        language=language,
    )


def weekly_summaries_send_due(*, now: datetime.datetime | None = None) -> int:
    """The hourly job: queue the summaries due now. Returns how many were queued. Each
    summary commits on its own: after a crash halfway, the run of the next minutes (or a
    retry) queues only those still missing."""
    now = now or timezone.now()
    due = weekly_summary_managers_due(now=now)
    for manager, locations in due:
        weekly_summary_send(manager=manager, locations=locations, now=now)
    return len(due)


# --- Summary tables (rollups) ---------------------------------------------------------------

ROLLUP_LOCK = 0x5EB0_4071  # pg_advisory_xact_lock key: one rollup writer at a time


def rollup_recompute(*, first: datetime.date, last: datetime.date) -> int:
    """Recompute the summary rows of local days first..last from the source tables.

    With them, the monthly rows of the months those days fall in (the response histogram
    summed, the survey invitations counted). One transaction: under an advisory lock (runs
    never interleave), the rows are deleted and inserted afresh, so a rerun gives the same rows (keys that vanished, say a
    lead reassigned, go too), and a crash leaves the previous rows. Returns the rows written.
    """
    from django.db import connection, transaction

    from . import rollup
    from .models import DailyFigures, NpsMonthly, ResponseMinutes, ResponseMinutesMonthly

    if last < first:
        return 0
    params = rollup.day_range_params(first, last)
    columns = ", ".join((*rollup.KEY, *rollup.FIGURES))
    figures, minutes = DailyFigures._meta.db_table, ResponseMinutes._meta.db_table
    monthly = ResponseMinutesMonthly._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
        DailyFigures.objects.filter(day__range=(first, last)).delete()
        ResponseMinutes.objects.filter(day__range=(first, last)).delete()
        cursor.execute(
            f"INSERT INTO {figures} ({columns}) {rollup.figures_sql()}",
            params,
        )
        written = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {minutes} (day, location_id, consultant_id, source, minutes, leads) "
            f"{rollup.minutes_sql()}",
            params,
        )
        written += cursor.rowcount
        # The months these days belong to, summed again from their daily rows.
        months = (first.replace(day=1), last.replace(day=1))
        ResponseMinutesMonthly.objects.filter(month__range=months).delete()
        cursor.execute(
            f"INSERT INTO {monthly} (month, location_id, consultant_id, source, minutes, leads) "  # nosec B608
            "SELECT date_trunc('month', day)::date, location_id, consultant_id, source, "
            f"minutes, sum(leads) FROM {minutes} "
            "WHERE day >= %s AND day < (%s::date + interval '1 month') "
            "GROUP BY 1, 2, 3, 4, 5",
            list(months),
        )
        # And the survey invitations of those whole months, from the invitations.
        following = (months[1].replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        NpsMonthly.objects.filter(month__range=months).delete()
        cursor.execute(
            f"INSERT INTO {NpsMonthly._meta.db_table} "  # nosec B608
            "(month, location_id, touchpoint, nps_score, invitations) "
            f"{rollup.nps_months_sql()}",
            rollup.day_range_params(months[0], following - datetime.timedelta(days=1)),
        )
        return written  # (the daily rows: the monthly ones are derived, as the histogram's)


def _touched_days(since: datetime.datetime) -> set[datetime.date]:
    """Local days whose figures may have changed since `since`: of leads updated, bookings
    updated, orders whose status changed (their creation and delivery days), survey
    invitations answered (the day they went out: its month's NpsMonthly rows), and of the
    reminders a service appointment booked or changed (cancelled) since then may count for
    (those sent up to REMINDER_BOOKING_WINDOW before it was booked)."""
    from django.db import connection

    from . import rollup

    location = rollup._table("accounts.Location")
    sources = [
        (rollup._table("leads.Lead"), "created_at", "updated_at", ""),
        (rollup._table("testdrives.Booking"), "start_at", "updated_at", ""),
        (rollup._table("orders.Order"), "created_at", "status_changed_at", ""),
        (rollup._table("orders.Order"), "delivered_at", "status_changed_at", ""),
        # A score changes the NPS month the invitation went out in (NpsMonthly); the partial
        # index reports_invitation_answered finds the answers.
        (
            rollup._table("surveys.Invitation"),
            "created_at",
            "submitted_at",
            "AND t.nps_score IS NOT NULL",
        ),
        # (and a new one its month, should the job have missed the window's days)
        (rollup._table("surveys.Invitation"), "created_at", "created_at", ""),
    ]
    parts = [
        f"SELECT DISTINCT (t.{stamp} AT TIME ZONE loc.time_zone)::date FROM {table} t "  # nosec B608
        f"JOIN {location} loc ON loc.id = t.location_id "
        f"WHERE t.{changed} >= %s AND t.{stamp} IS NOT NULL {where}"
        for table, stamp, changed, where in sources
    ]
    params: list = [since] * len(parts)
    parts.append(
        "SELECT DISTINCT (r.queued_at AT TIME ZONE loc.time_zone)::date "  # nosec B608
        f"FROM {rollup._table('aftersales.ServiceAppointment')} a "
        f"JOIN {rollup._table('aftersales.ServiceReminder')} r "
        "ON r.owned_vehicle_id = a.owned_vehicle_id "
        "AND r.queued_at <= a.created_at AND r.queued_at > a.created_at - %s "
        f"JOIN {rollup._table('aftersales.OwnedVehicle')} v ON v.id = r.owned_vehicle_id "
        f"JOIN {location} loc ON loc.id = v.location_id "
        "WHERE a.updated_at >= %s"
    )
    params += [rollup.REMINDER_BOOKING_WINDOW, since]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), params)
        return {row[0] for row in cursor.fetchall()}


def _day_runs(days: set[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days as (first, last) ranges."""
    runs: list[list[datetime.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == datetime.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def rollup_refresh(*, now: datetime.datetime | None = None) -> int:
    """The periodic job ("reports-rollup", every ROLLUP_EVERY minutes): recompute the last
    REPORTS_ROLLUP_WINDOW_DAYS days (leads move through stages for weeks after they arrive)
    and every older day whose rows changed since the last successful run started (a service
    booking made or cancelled now changes the day of a reminder sent up to 60 days ago: found
    through the appointment's updated_at, not by a 60-day window recomputed every run). The state
    row moves only after the recompute committed: a crashed run is redone next time, and a
    run twice recomputes the same days to the same rows. Returns the rows written."""
    from .models import RollupState

    now = now or timezone.now()
    today = now.astimezone(datetime.UTC).date() + datetime.timedelta(days=1)
    first = today - datetime.timedelta(days=settings.REPORTS_ROLLUP_WINDOW_DAYS + 1)
    state = RollupState.objects.filter(pk=1).first()
    older = set()
    if state is not None:
        older = {d for d in _touched_days(state.started_at) if d < first}
    written = rollup_recompute(first=first, last=today)
    for a, b in _day_runs(older):
        written += rollup_recompute(first=a, last=b)
    RollupState.objects.update_or_create(
        pk=1, defaults={"started_at": now, "finished_at": timezone.now()}
    )
    return written


def rollup_backfill(*, first: datetime.date, last: datetime.date, chunk_days: int = 31) -> int:
    """Recompute first..last a month at a time (each chunk its own transaction)."""
    written, day = 0, first
    while day <= last:
        end = min(day + datetime.timedelta(days=chunk_days - 1), last)
        written += rollup_recompute(first=day, last=end)
        day = end + datetime.timedelta(days=1)
    return written
