"""The nightly lead-score recompute (scoring.services.leads_rescore_all) over 100,000 open leads
(SCORING_BENCH_LEADS), in leads per second, against an SQL floor measured in the same run: one
set-based UPDATE computing the same rules' total in SQL (no reasons, no batches, no resume).

Data (generate_series, as bench_leads): 50,000 customers at three locations; leads over a
year, all open; an inbound reply logged on one lead in five, a conversation message from one
customer in four, a test drive on one lead in ten, a second enquiry for one customer in
three. The rules are the seeded defaults without "page views" and "budget fit" (the floor has
no equivalent of them; they add one query per batch each).

Reported: a first pass (every score changes and is written), a second pass (nothing changed:
read and compare only, idempotent), and the floor.
"""

import datetime
import os
import time

from django.db import connection
from django.utils import timezone

from bench.common import insert_select as _insert_select
from conversations.models import Message
from dealership.accounts.roles import Role
from leads.models import Activity, Customer, Lead
from scoring.models import ScoreRule, ScoringRun
from scoring.services import leads_rescore_all
from testdrives.models import Booking

LEADS = int(os.environ.get("SCORING_BENCH_LEADS", "100000"))
CUSTOMERS = max(1, LEADS // 2)
REPEAT = 2

FLOOR_SQL = """
WITH open_leads AS (
  SELECT l.id, l.customer_id, l.source, l.type, l.status, l.created_at, l.first_response_at
  FROM leads_lead l
  WHERE l.status IN ('new', 'contacted', 'qualified', 'appointment', 'negotiation')
    AND l.location_id = ANY(%(locations)s)
), facts AS (
  SELECT o.*,
    EXISTS (SELECT 1 FROM testdrives_booking b WHERE b.lead_id = o.id AND b.kind = 'drive'
            AND b.status <> 'cancelled') AS booked,
    EXISTS (SELECT 1 FROM orders_financeapplication f JOIN orders_order r ON r.id = f.order_id
            WHERE r.customer_id = o.customer_id AND f.submitted_at >= o.created_at) AS finance,
    EXISTS (SELECT 1 FROM leads_activity a WHERE a.lead_id = o.id AND a.direction = 'inbound')
    OR EXISTS (SELECT 1 FROM conversations_message m WHERE m.customer_id = o.customer_id
               AND m.direction = 'in' AND m.created_at >= o.created_at) AS replied,
    EXISTS (SELECT 1 FROM leads_lead x WHERE x.customer_id = o.customer_id AND x.id <> o.id
            AND x.created_at >= %(now)s - interval '30 days') AS repeat,
    GREATEST(o.created_at, o.first_response_at,
      (SELECT max(a.occurred_at) FROM leads_activity a WHERE a.lead_id = o.id
       AND a.kind <> 'note'),
      (SELECT max(m.created_at) FROM conversations_message m
       WHERE m.customer_id = o.customer_id)) AS last_contact
  FROM open_leads o
)
UPDATE leads_lead l SET score = s.score, score_changed_at = %(now)s
FROM (
  SELECT id, LEAST(100, GREATEST(0,
      CASE source WHEN 'walk_in' THEN 15 WHEN 'referral' THEN 15 WHEN 'phone' THEN 10
                  WHEN 'website' THEN 5 ELSE 0 END
    + CASE type WHEN 'test_drive' THEN 10 WHEN 'finance' THEN 5 WHEN 'e_price' THEN 5
                ELSE 0 END
    + CASE status WHEN 'appointment' THEN 10 WHEN 'negotiation' THEN 15 ELSE 0 END
    + CASE WHEN booked THEN 20 ELSE 0 END
    + CASE WHEN finance THEN 20 ELSE 0 END
    + CASE WHEN replied THEN 10 ELSE 0 END
    + CASE WHEN repeat THEN 10 ELSE 0 END
    + CASE WHEN created_at >= %(now)s - interval '3 days' THEN 10 ELSE 0 END
    + CASE WHEN last_contact <= %(now)s - interval '14 days' THEN -15 ELSE 0 END
    + CASE WHEN last_contact <= %(now)s - interval '30 days' THEN -15 ELSE 0 END)) AS score
  FROM facts
) s
WHERE l.id = s.id
"""


def _setup() -> list[int]:
    from tests.accounts.factories import LocationFactory, UserFactory
    from tests.inventory.factories import VehicleFactory

    locations = [LocationFactory(slug=f"scoring-{i}") for i in range(3)]
    consultants = [
        UserFactory(username=f"scoring-c{i}", role=Role.CONSULTANT, locations=[loc])
        for i, loc in enumerate(locations)
    ]
    loc_ids = [loc.pk for loc in locations]
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM leads_customer")
        before = cursor.fetchone()[0]
    _insert_select(
        Customer,
        CUSTOMERS,
        {
            "first_name": "'Kunde' || g",
            "last_name": "'Punkte' || g",
            "email": "'s' || g || '@scoring.example'",
            "country": "'DE'",
            "location": "(%s::bigint[])[1 + g %% 3]",
            "source": "'website'",
            "created_at": "now() - (g || ' minutes')::interval",
            "updated_at": "now()",
        },
        [loc_ids],
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM leads_customer WHERE id > %s", [before])
        first_customer = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM leads_lead")
        leads_before = cursor.fetchone()[0]
    # Lead g: customer g % CUSTOMERS (so a third of the customers have two leads when
    # LEADS = 2 × CUSTOMERS … every customer has two; the second one 3 days to a year later).
    _insert_select(
        Lead,
        LEADS,
        {
            "customer": f"{first_customer} + (g %% {CUSTOMERS})",
            "location": f"(%s::bigint[])[1 + (g %% {CUSTOMERS}) %% 3]",
            "source": "(ARRAY['website','adf','phone','marketplace','walk_in','referral'])"
            "[1 + g %% 6]",
            "type": "(ARRAY['vehicle_enquiry','e_price','trade_in','finance','test_drive'])"
            "[1 + (g / 6) %% 5]",
            "status": "(ARRAY['new','contacted','qualified','appointment','negotiation'])"
            "[1 + g %% 5]",
            "make": "'Volkswagen'",
            "model": "'Golf'",
            "created_at": f"now() - (g * interval '{max(1, 31_536_000 // LEADS)} seconds')",
            "updated_at": "now()",
            "first_response_at": f"now() - (g * interval '{max(1, 31_536_000 // LEADS)} "
            "seconds') + interval '20 minutes'",
            "cadence_position": "0",
            "cadence_shift": "interval '0'",
            "score": "0",
            "score_reasons": "'[]'::jsonb",
        },
        [loc_ids],
    )
    lead_ids = list(
        Lead.objects.filter(pk__gt=leads_before).order_by("pk").values_list("pk", "customer_id")
    )
    now = timezone.now()
    Activity.objects.bulk_create(
        (
            Activity(
                customer_id=customer_id,
                lead_id=pk,
                kind=Activity.Kind.EMAIL,
                direction=Activity.Direction.INBOUND,
                occurred_at=now - datetime.timedelta(days=n % 40),
            )
            for n, (pk, customer_id) in enumerate(lead_ids)
            if n % 5 == 0
        ),
        batch_size=5000,
    )
    Message.objects.bulk_create(
        (
            Message(
                customer_id=first_customer + c,
                location_id=loc_ids[c % 3],
                direction=Message.Direction.IN if c % 2 else Message.Direction.OUT,
                channel=Message.Channel.SMS,
                body="Passt Samstag?",
                created_at=now - datetime.timedelta(days=c % 50),
            )
            for c in range(0, CUSTOMERS, 4)
        ),
        batch_size=5000,
    )
    vehicles = [
        VehicleFactory(location=loc, stock_number=f"SC{i}-{n:03d}", vin=f"WVWZZZ1KZS{i}{n:06d}")
        for i, loc in enumerate(locations)
        for n in range(20)
    ]
    drives = []
    base = now - datetime.timedelta(days=365)
    for n, (pk, customer_id) in enumerate(lead_ids[::10]):
        start_at = base + datetime.timedelta(hours=n)  # one an hour: no vehicle overlaps
        drives.append(
            Booking(
                kind=Booking.Kind.DRIVE,
                location_id=loc_ids[0],
                vehicle=vehicles[n % len(vehicles)],
                consultant=None,
                customer_id=customer_id,
                lead_id=pk,
                start_at=start_at,
                end_at=start_at + datetime.timedelta(minutes=45),
                busy_until=start_at + datetime.timedelta(minutes=55),
                status=Booking.Status.CANCELLED if n % 7 == 0 else Booking.Status.COMPLETED,
                channel=Booking.Channel.WEBSITE,
            )
        )
    Booking.objects.bulk_create(drives, batch_size=2000)
    with connection.cursor() as cursor:
        for table in (
            "leads_customer",
            "leads_lead",
            "leads_activity",
            "conversations_message",
            "testdrives_booking",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"generated {CUSTOMERS:,} customers, {LEADS:,} open leads, "
        f"{len(lead_ids[::5]):,} replies, {len(range(0, CUSTOMERS, 4)):,} messages, "
        f"{len(drives):,} test drives in {time.perf_counter() - start:.1f} s "
        f"({len(consultants)} consultants)",
        flush=True,
    )
    return loc_ids


def _reset(loc_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead SET score = 0, score_reasons = '[]'::jsonb "
            "WHERE location_id = ANY(%s)",
            [loc_ids],
        )
        cursor.execute("VACUUM ANALYZE leads_lead")
    ScoringRun.objects.filter(name="nightly").update(started_at=None, finished_at=None)


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    from django.conf import settings

    settings.DEBUG = False
    ScoreRule.objects.filter(
        kind__in=[ScoreRule.Kind.VEHICLE_VIEWS, ScoreRule.Kind.BUDGET_FIT]
    ).update(is_active=False)
    loc_ids = _setup()
    open_total = Lead.objects.filter(location_id__in=loc_ids).count()
    others = Lead.objects.exclude(location_id__in=loc_ids).count()
    print(f"leads of the bench: {open_total:,} (other leads in the table: {others:,})", flush=True)

    fresh = []
    for _ in range(REPEAT):
        _reset(loc_ids)
        seconds, counts = _timed(leads_rescore_all)
        fresh.append(seconds)
        print(f"  first pass: {counts} in {seconds:.2f} s", flush=True)
    seconds_same, counts_same = _timed(leads_rescore_all)
    print(f"  second pass (nothing changed): {counts_same} in {seconds_same:.2f} s", flush=True)
    scored = counts["leads"]
    scores = dict(Lead.objects.filter(location_id__in=loc_ids).values_list("pk", "score"))

    floors = []
    now = timezone.now()
    for _ in range(REPEAT):
        _reset(loc_ids)
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(FLOOR_SQL, {"locations": loc_ids, "now": now})
            floors.append(time.perf_counter() - start)
            updated = cursor.rowcount
        print(f"  floor: one UPDATE of {updated:,} leads in {floors[-1]:.2f} s", flush=True)
    floor_scores = dict(Lead.objects.filter(location_id__in=loc_ids).values_list("pk", "score"))
    same = sum(1 for pk, value in scores.items() if floor_scores.get(pk) == value)
    print(f"  the floor agrees on {same:,} of {len(scores):,} scores", flush=True)

    first, floor = min(fresh), min(floors)
    print(
        f"nightly recompute, first pass: {scored / first:,.0f} leads/s ({first:.2f} s); "
        f"second pass: {scored / seconds_same:,.0f} leads/s ({seconds_same:.2f} s); "
        f"SQL floor: {updated / floor:,.0f} leads/s ({floor:.2f} s); "
        f"ratio to floor {first / floor:.2f}x (second pass {seconds_same / floor:.2f}x)",
        flush=True,
    )
    _reset(loc_ids)
