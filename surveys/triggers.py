"""The trigger registry: for each touchpoint, "what is due and has no invitation yet".

A trigger is a pull: a set-based query over a lower app's records in a time window, minus
those that already have an invitation (any status, so a skipped one is not retried). Running
it twice finds nothing the second time, and the invitation's unique dedupe key settles a race.
Surveys sits above leads, test drives, orders and after-sales in the layers, so it may read
their models; they never import surveys.

A touchpoint is wired when its app exists: add a function and a TRIGGERS entry.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast

from leads.models import Lead

from .models import Invitation, Touchpoint


@dataclass(frozen=True)
class Due:
    source_id: str
    customer_id: int
    location_id: int
    consultant_id: int | None
    occurred_at: datetime.datetime


@dataclass(frozen=True)
class Trigger:
    touchpoint: str
    # The touchpoint is due this long after it happened ...
    delay: datetime.timedelta
    # ... and stays due for this long (a survey switched on today does not ask about last year).
    window: datetime.timedelta
    rows: Callable[[datetime.datetime, datetime.datetime], Iterable[Due]]

    def due(self, *, now: datetime.datetime, limit: int) -> list[Due]:
        until = now - self.delay
        return list(islice(self.rows(until - self.window, until), limit))


def without_invitation(qs: QuerySet, touchpoint: str, pk: str = "pk") -> QuerySet:
    """Rows of qs that no invitation for this touchpoint names as its source."""
    return qs.exclude(
        Exists(
            Invitation.objects.filter(
                touchpoint=touchpoint, source_id=Cast(OuterRef(pk), output_field=CharField())
            )
        )
    )


def leads_won(since: datetime.datetime, until: datetime.datetime) -> Iterable[Due]:
    qs = Lead.objects.filter(
        status=Lead.Status.WON,
        won_at__gt=since,
        won_at__lte=until,
        customer__merged_into__isnull=True,
    )
    rows = (
        without_invitation(qs, Touchpoint.PURCHASE)
        .order_by("won_at", "pk")
        .values_list("pk", "customer_id", "location_id", "assigned_to_id", "won_at")
    )
    for pk, customer_id, location_id, consultant_id, won_at in rows.iterator(chunk_size=500):
        yield Due(str(pk), customer_id, location_id, consultant_id, won_at)


TRIGGERS: dict[str, Trigger] = {
    Touchpoint.PURCHASE: Trigger(
        touchpoint=Touchpoint.PURCHASE,
        delay=datetime.timedelta(days=1),
        window=datetime.timedelta(days=14),
        rows=leads_won,
    ),
}
