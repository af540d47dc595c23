"""Scoring's writes: recompute leads' scores from the active rules and store the changed ones.

Every entry point is idempotent (the same facts give the same score; only rows whose score or
reasons differ are written) and safe to crash (each batch commits on its own; the nightly
pass keeps its place in ScoringRun and resumes after the last batch it wrote)."""

import datetime
import json
import logging
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from conversations.models import Message
from inventory.models import VehicleDailyViews
from leads.models import OPEN_STATUSES, Activity, Lead
from orders.models import FinanceApplication
from testdrives.models import Booking

from . import rules as R
from .models import ScoreRule, ScoringRun

logger = logging.getLogger(__name__)
K = ScoreRule.Kind

BATCH_SIZE = 1000
# A nightly pass that has not finished within this long is taken as crashed: the next run
# resumes where it stopped (after_id) rather than starting over.
RESUME_WITHIN = datetime.timedelta(hours=20)
LEAD_FIELDS = (
    "pk",
    "status",
    "source",
    "type",
    "created_at",
    "customer_id",
    "vehicle_id",
    "price",
    "first_response_at",
    "vehicle__sale_price",
    "vehicle__list_price",
    "score",
    "score_reasons",
)


def active_rules() -> list[R.Rule]:
    return [R.Rule.from_model(rule) for rule in ScoreRule.objects.filter(is_active=True)]


def _needs_score() -> Q:
    """Leads whose stored score may be wrong: every open lead, and closed ones still holding
    points from when they were open (closing sets them to 0)."""
    return Q(status__in=OPEN_STATUSES) | Q(score__gt=0)


def lead_facts(rows: list[dict], kinds: set[str], now: datetime.datetime) -> list[R.LeadFacts]:
    """The facts of the given lead rows (LEAD_FIELDS values), with one query per source of
    facts the rules need (none for a rule set of sources and types only)."""
    facts = []
    for row in rows:
        vehicle_price = row["vehicle__sale_price"] or row["vehicle__list_price"]
        facts.append(
            R.LeadFacts(
                id=row["pk"],
                status=row["status"],
                source=row["source"],
                type=row["type"],
                created_at=row["created_at"],
                customer_id=row["customer_id"],
                vehicle_id=row["vehicle_id"],
                price=row["price"],
                vehicle_price=vehicle_price,
                last_contact_at=row["first_response_at"],
            )
        )
    open_facts = [f for f in facts if f.status in OPEN_STATUSES]
    if not open_facts or not kinds:
        return facts
    lead_ids = [f.id for f in open_facts]
    customer_ids = sorted({f.customer_id for f in open_facts})

    def later(a, b):
        return b if a is None or (b is not None and b > a) else a

    if kinds & {K.REPLIED, K.NO_CONTACT}:
        by_lead = {
            row["lead_id"]: row
            for row in Activity.objects.filter(lead_id__in=lead_ids)
            .values("lead_id")
            .annotate(
                last=Max("occurred_at", filter=~Q(kind=Activity.Kind.NOTE)),
                last_in=Max("occurred_at", filter=Q(direction=Activity.Direction.INBOUND)),
            )
            .order_by()
        }
        by_customer = {
            row["customer_id"]: row
            for row in Message.objects.filter(customer_id__in=customer_ids)
            .values("customer_id")
            .annotate(
                last=Max("created_at"),
                last_in=Max("created_at", filter=Q(direction=Message.Direction.IN)),
            )
            .order_by()
        }
        for f in open_facts:
            activity = by_lead.get(f.id, {})
            message = by_customer.get(f.customer_id, {})
            last_in = later(activity.get("last_in"), message.get("last_in"))
            f.replied = last_in is not None and last_in >= f.created_at
            f.last_contact_at = later(
                f.last_contact_at, later(activity.get("last"), message.get("last"))
            )
    if K.TESTDRIVE_BOOKED in kinds:
        booked = set(
            Booking.objects.filter(lead_id__in=lead_ids, kind=Booking.Kind.DRIVE)
            .exclude(status=Booking.Status.CANCELLED)
            .values_list("lead_id", flat=True)
            .distinct()
        )
        for f in open_facts:
            f.testdrive_booked = f.id in booked
    if K.FINANCE_STARTED in kinds:
        latest = dict(
            FinanceApplication.objects.filter(order__customer_id__in=customer_ids)
            .values("order__customer_id")
            .annotate(last=Max("submitted_at"))
            .values_list("order__customer_id", "last")
            .order_by()
        )
        for f in open_facts:
            submitted = latest.get(f.customer_id)
            f.finance_started = submitted is not None and submitted >= f.created_at
    if K.REPEAT_ENQUIRY in kinds:
        enquiries = defaultdict(list)
        for customer_id, pk, created_at in Lead.objects.filter(
            customer_id__in=customer_ids
        ).values_list("customer_id", "pk", "created_at"):
            enquiries[customer_id].append((pk, created_at))
        for f in open_facts:
            f.other_enquiries = [at for pk, at in enquiries[f.customer_id] if pk != f.id]
    if K.VEHICLE_VIEWS in kinds:
        vehicle_ids = sorted({f.vehicle_id for f in open_facts if f.vehicle_id})
        if vehicle_ids:
            since = (now.astimezone(datetime.UTC) - datetime.timedelta(days=90)).date()
            views = defaultdict(dict)
            for vehicle_id, day, count in VehicleDailyViews.objects.filter(
                vehicle_id__in=vehicle_ids, day__gte=since
            ).values_list("vehicle_id", "day", "views"):
                views[vehicle_id][day] = count
            for f in open_facts:
                f.vehicle_views = views.get(f.vehicle_id, {})
    return facts


def _write_scores(changed: list[tuple[int, int, list]], now: datetime.datetime) -> None:
    """One UPDATE … FROM unnest(ids, scores, reasons) for the batch: only the score columns
    (a concurrent edit of the lead's other fields is not lost, and updated_at stays: a score
    is not an edit of the lead). Django's bulk_update (a CASE of one WHEN per row per column)
    was most of the nightly pass's time in bench/bench_scoring.py."""
    ids = [pk for pk, _value, _reasons in changed]
    scores = [value for _pk, value, _reasons in changed]
    reasons = [json.dumps(entries, ensure_ascii=False) for _pk, _value, entries in changed]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead AS l SET score = v.score, "
            "score_reasons = v.reasons::jsonb, score_changed_at = %s "
            "FROM unnest(%s::bigint[], %s::integer[], %s::text[]) AS v(id, score, reasons) "
            "WHERE l.id = v.id",
            [now, ids, scores, reasons],
        )


def _rescore_rows(rows: list[dict], rule_set: list[R.Rule], now: datetime.datetime) -> int:
    """Compute and store the rows' scores; returns how many changed."""
    stored = {row["pk"]: (row["score"], row["score_reasons"]) for row in rows}
    changed = []
    for f in lead_facts(rows, R.kinds_needed(rule_set), now):
        value, reasons = R.score(f, rule_set, now)
        if stored[f.id] != (value, reasons):
            changed.append((f.id, value, reasons))
    if changed:
        _write_scores(changed, now)
    return len(changed)


def leads_rescore(
    *,
    lead_ids=(),
    customer_ids=(),
    now: datetime.datetime | None = None,
    rule_set: list[R.Rule] | None = None,
) -> int:
    """Recompute the given leads and every lead of the given customers (an event on the
    customer, a reply or a finance application, counts for each of their enquiries). Returns
    how many scores changed."""
    now = now or timezone.now()
    rule_set = active_rules() if rule_set is None else rule_set
    condition = Q(pk__in=list(lead_ids)) | Q(customer_id__in=list(customer_ids))
    qs = Lead.objects.filter(condition).filter(_needs_score()).order_by("pk")
    changed = 0
    ids = list(qs.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        with transaction.atomic():
            rows = list(Lead.objects.filter(pk__in=chunk).order_by("pk").values(*LEAD_FIELDS))
            changed += _rescore_rows(rows, rule_set, now)
    return changed


def leads_rescore_all(
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime.datetime | None = None,
    max_batches: int | None = None,
) -> dict[str, int]:
    """The nightly pass over every lead that needs a score, in primary-key batches, each in
    its own transaction together with the run's position (ScoringRun "nightly"): a crash
    loses at most the batch in progress and the next run resumes after the last one written.
    `max_batches` stops early (tests simulate a crash with it). Returns counts."""
    now = now or timezone.now()
    rule_set = active_rules()
    with transaction.atomic():
        run, _created = ScoringRun.objects.select_for_update().get_or_create(name="nightly")
        resuming = (
            run.finished_at is None
            and run.started_at is not None
            and now - run.started_at < RESUME_WITHIN
        )
        if not resuming:
            run.started_at, run.finished_at, run.after_id, run.leads_scored = now, None, 0, 0
            run.save()
    counts = {"leads": 0, "changed": 0, "batches": 0}
    after = run.after_id
    while max_batches is None or counts["batches"] < max_batches:
        with transaction.atomic():
            rows = list(
                Lead.objects.filter(_needs_score(), pk__gt=after)
                .order_by("pk")
                .values(*LEAD_FIELDS)[:batch_size]
            )
            if not rows:
                ScoringRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
                break
            counts["changed"] += _rescore_rows(rows, rule_set, now)
            after = rows[-1]["pk"]
            counts["leads"] += len(rows)
            counts["batches"] += 1
            ScoringRun.objects.filter(pk=run.pk).update(
                after_id=after, leads_scored=run.leads_scored + counts["leads"]
            )
    return counts
