"""Conversation response times for the lead-response dashboard: how long customers wait for a
consultant's answer in their thread (SMS, email, chat), median and 90th percentile, per
consultant and overall. One query.

A wait starts with a customer's message that follows a message of ours (or opens the thread):
a second or third message before anyone answered belongs to the same wait, so a customer who
writes three times is not counted three times. It ends with the first message a consultant
wrote (an outgoing message with an author), who is the consultant it is counted for. The
period selects the waits by when they started, at the locations the manager may see. The time
is wall-clock minutes (the customer waits at night too), unlike the leads' business minutes.
Waits without an answer yet are left out.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections

from conversations.models import Message
from dealership.accounts.models import User
from dealership.routers import read_alias


@dataclass(frozen=True)
class ResponseTimes:
    consultant_id: int | None  # None: everyone together
    name: str
    replies: int
    median_minutes: Decimal | None
    p90_minutes: Decimal | None


def _minutes(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _sql() -> str:
    messages, users = Message._meta.db_table, User._meta.db_table
    return f"""
        WITH waits AS (
            SELECT r.author_id,
                   extract(epoch FROM r.created_at - i.created_at) / 60.0 AS minutes
            FROM {messages} i
            CROSS JOIN LATERAL (
                SELECT o.author_id, o.created_at FROM {messages} o
                WHERE o.customer_id = i.customer_id AND o.direction = 'out'
                  AND o.author_id IS NOT NULL AND (o.created_at, o.id) > (i.created_at, i.id)
                ORDER BY o.created_at, o.id LIMIT 1
            ) r
            WHERE i.direction = 'in' AND i.location_id = ANY(%(locations)s)
              AND i.created_at >= %(start)s AND i.created_at < %(end)s
              AND coalesce((
                  SELECT p.direction FROM {messages} p
                  WHERE p.customer_id = i.customer_id AND (p.created_at, p.id) < (i.created_at, i.id)
                  ORDER BY p.created_at DESC, p.id DESC LIMIT 1
              ), 'out') <> 'in'
              AND (%(consultant)s::bigint IS NULL OR r.author_id = %(consultant)s::bigint)
        )
        SELECT w.author_id, u.first_name, u.last_name, u.username, count(*)::int AS replies,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY w.minutes) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY w.minutes) AS p90,
               grouping(w.author_id) AS everyone
        FROM waits w LEFT JOIN {users} u ON u.id = w.author_id
        GROUP BY GROUPING SETS ((w.author_id, u.first_name, u.last_name, u.username), ())
    """  # nosec B608 - table names from the models, values bound as parameters


def conversation_response_times(
    *,
    location_ids: list[int],
    start: datetime.datetime,
    end: datetime.datetime,
    consultant_id: int | None = None,
) -> tuple[ResponseTimes, list[ResponseTimes]]:
    """(everyone, per consultant sorted by name) for the waits that started in [start, end)."""
    params = {
        "locations": location_ids,
        "start": start,
        "end": end,
        "consultant": consultant_id,
    }
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(_sql(), params)
        rows = cursor.fetchall()
    everyone = ResponseTimes(None, "", 0, None, None)
    consultants = []
    for author_id, first, last, username, replies, median, p90, total in rows:
        times = ResponseTimes(
            consultant_id=None if total else author_id,
            name="" if total else (f"{first or ''} {last or ''}".strip() or username or ""),
            replies=replies,
            median_minutes=_minutes(median),
            p90_minutes=_minutes(p90),
        )
        if total:
            everyone = times
        else:
            consultants.append(times)
    consultants.sort(key=lambda t: (t.name.lower(), t.consultant_id))
    return everyone, consultants
