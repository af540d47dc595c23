"""Conversations at 1,000,000 messages over 100,000 customers (CONV_BENCH_MESSAGES /
CONV_BENCH_CUSTOMERS): the lead page's thread fragment for a customer with a 500-message
thread, and the conversations list (mine; my location's; by channel), each against a
hand-written SQL floor that fetches the same rows the cheapest way. Prints p50/p95 and the
ratio to the floor, measured in the same run.

The data is generated with set-based SQL (generate_series), no ORM loops: three locations, ten
consultants each; every customer owned by a consultant of their location; ten messages per
customer alternating in (from the customer) and out (by the owner) over SMS, email and chat,
spread over a year, oldest first; one customer in 50 has an unread last message. One
customer gets 490 more (the 500-message thread), with a few outbox system messages.
"""

import os
import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from bench.common import insert_select as _insert_select
from bench.common import measure, report, staff_client
from conversations.models import Message
from dealership.accounts.models import User
from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from leads.models import Customer

MESSAGES = int(os.environ.get("CONV_BENCH_MESSAGES", "1000000"))
CUSTOMERS = int(os.environ.get("CONV_BENCH_CUSTOMERS", "100000"))
CONSULTANTS_PER_LOCATION = 10
THREAD = 500
REPEAT = 30


def _setup() -> dict:
    from tests.accounts.factories import LocationFactory, UserFactory

    locations = [LocationFactory(slug=f"conv-bench-{i}") for i in range(3)]
    consultants = [
        UserFactory(username=f"conv-bench-c{i}-{n}", role=Role.CONSULTANT, locations=[loc])
        for i, loc in enumerate(locations)
        for n in range(CONSULTANTS_PER_LOCATION)
    ]
    loc_ids = [loc.pk for loc in locations]
    consultant_ids = [c.pk for c in consultants]
    start = time.perf_counter()
    # Customer g: location 1 + g % 3, owner a consultant of that location.
    owner = f"(%s::bigint[])[1 + (g %% 3) * {CONSULTANTS_PER_LOCATION} + (g / 3) %% {CONSULTANTS_PER_LOCATION}]"
    _insert_select(
        Customer,
        CUSTOMERS,
        {
            "first_name": "'Kunde' || g",
            "last_name": "'Nachname' || g",
            "email": "'conv' || g || '@bench.example'",
            "mobile_phone": "'+49152' || lpad(g::text, 8, '0')",
            "country": "'DE'",
            "location": "(%s::bigint[])[1 + g %% 3]",
            "owner": owner,
            "source": "'website'",
            "search_name": "'kunde' || g || ' nachname' || g",
            "search_name_reversed": "'nachname' || g || ' kunde' || g",
            "created_at": "now() - interval '400 days'",
            "updated_at": "now()",
        },
        [loc_ids, consultant_ids],
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM leads_customer WHERE location_id = ANY(%s)", [loc_ids])
        first = cursor.fetchone()[0]
    # Message g: customer k = g % CUSTOMERS (customer number k + 1), its n-th message with
    # n = g / CUSTOMERS; even n from the customer, odd n the owner's reply. Later g, later time.
    k = f"(g %% {CUSTOMERS})"
    n = f"(g / {CUSTOMERS})"
    per_customer = max(MESSAGES // CUSTOMERS, 1)
    owner_of_k = (
        f"(%s::bigint[])[1 + (({k} + 1) %% 3) * {CONSULTANTS_PER_LOCATION} + "
        f"(({k} + 1) / 3) %% {CONSULTANTS_PER_LOCATION}]"
    )
    _insert_select(
        Message,
        MESSAGES,
        {
            "customer": f"{first} + {k}",
            "location": f"(%s::bigint[])[1 + ({k} + 1) %% 3]",
            "direction": f"CASE WHEN {n} %% 2 = 0 THEN 'in' ELSE 'out' END",
            "channel": "(ARRAY['sms','email','chat'])[1 + g %% 3]",
            "body": "'Nachricht ' || g || ': ist der Wagen noch da?'",
            "author": f"CASE WHEN {n} %% 2 = 0 THEN NULL ELSE {owner_of_k} END",
            "created_at": "now() - interval '365 days' + (g * interval '31 seconds')",
            # Read, except one customer in 50 whose last message is theirs and unread.
            "read_at": (
                f"CASE WHEN {n} %% 2 = 1 THEN NULL WHEN {k} %% 50 = 0 AND {n} >= "
                f"{per_customer - 2} THEN NULL ELSE now() END"
            ),
        },
        [loc_ids, consultant_ids],
    )
    customer = Customer.objects.filter(pk=first + 2).select_related("owner").get()
    consultant = customer.owner
    extra = THREAD - Message.objects.filter(customer=customer).count() - 10
    _insert_select(
        Message,
        extra,
        {
            "customer": str(customer.pk),
            "location": str(customer.location_id),
            "direction": "CASE WHEN g %% 2 = 0 THEN 'in' ELSE 'out' END",
            "channel": "(ARRAY['sms','email'])[1 + g %% 2]",
            "body": "'Thread ' || g",
            "author": f"CASE WHEN g %% 2 = 0 THEN NULL ELSE {consultant.pk} END",
            "created_at": "now() - interval '30 days' + (g * interval '1 hour')",
            "read_at": "now()",
        },
    )
    _insert_select(
        OutboxMessage,
        10,
        {
            "channel": "'email'",
            "purpose": "'transactional'",
            "status": "'sent'",
            "to": "'conv3@bench.example'",
            "template_key": "'testdrives.confirmation'",
            "subject": "'Ihre Probefahrt'",
            "body": "'Bestätigung ' || g",
            "customer_id": str(customer.pk),
            "location": str(customer.location_id),
            "dedupe_key": "'conv-bench-system-' || g",
            "language": "'de'",
            "context": "'{}'::jsonb",
            "attachments": "'[]'::jsonb",
            "created_at": "now() - (g * interval '1 day')",
            "updated_at": "now() - (g * interval '1 day')",
            "sent_at": "now() - (g * interval '1 day')",
            "send_after": "now() - (g * interval '1 day')",
            "attempts": "1",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_customer")
        cursor.execute(f"VACUUM ANALYZE {Message._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {OutboxMessage._meta.db_table}")
    print(
        f"generated {CUSTOMERS:,} customers and {Message.objects.count():,} messages in "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    return {"customer": customer, "consultant": consultant}


THREAD_SQL = f"""
SELECT 'message' AS kind, m.id, m.created_at, m.direction, m.channel, m.body,
       coalesce(o.subject, ''), coalesce(o.status, ''), coalesce(u.first_name, ''),
       coalesce(u.last_name, ''), m.read_at
FROM {Message._meta.db_table} m
LEFT JOIN {OutboxMessage._meta.db_table} o ON o.id = m.outbox_message_id
LEFT JOIN {User._meta.db_table} u ON u.id = m.author_id
WHERE m.customer_id = %(customer)s
UNION ALL
SELECT 'system', s.id, s.created_at, 'system', s.channel, s.body, s.subject, s.status, '', '',
       NULL
FROM {OutboxMessage._meta.db_table} s
WHERE s.customer_id = %(customer)s
  AND NOT EXISTS (SELECT 1 FROM {Message._meta.db_table} x WHERE x.outbox_message_id = s.id)
ORDER BY 3, 2
"""  # nosec B608

LIST_SQL = f"""
SELECT c.id, c.first_name, c.last_name, c.email, c.mobile_phone, t.last_at, t.unread
FROM (
    SELECT m.customer_id, max(m.created_at) AS last_at,
           count(*) FILTER (WHERE m.direction = 'in' AND m.read_at IS NULL) AS unread
    FROM {Message._meta.db_table} m
    WHERE m.customer_id IN (SELECT id FROM leads_customer WHERE {{customers}})
    {{channel}}
    GROUP BY m.customer_id
) t
JOIN leads_customer c ON c.id = t.customer_id
ORDER BY t.unread > 0 DESC, t.last_at DESC, c.id DESC
LIMIT 50
"""  # nosec B608


def _sql_floor(sql: str, params):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def main() -> None:
    settings.DEBUG = False
    from django.template import engines

    engines["django"].engine.debug = False
    Group.objects.get_or_create(name=Role.CONSULTANT.value)
    data = _setup()
    customer, consultant = data["customer"], data["consultant"]
    client = staff_client(consultant)
    location = customer.location_id
    fragment = reverse("conversations:thread-fragment", kwargs={"customer_pk": customer.pk})
    listing = reverse("conversations:list")

    def page(url: str):
        def run():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return run

    mine = f"owner_id = {consultant.pk} AND location_id = {location}"
    cases = [
        (
            f"thread fragment ({THREAD} messages)",
            page(fragment),
            _sql_floor(THREAD_SQL, {"customer": customer.pk}),
        ),
        (
            "conversations list: mine",
            page(listing + "?scope=mine"),
            _sql_floor(LIST_SQL.format(customers=mine, channel=""), []),
        ),
        (
            "conversations list: my location",
            page(listing + "?scope=location"),
            _sql_floor(LIST_SQL.format(customers=f"location_id = {location}", channel=""), []),
        ),
        (
            "conversations list: mine, email",
            page(listing + "?scope=mine&channel=email"),
            _sql_floor(LIST_SQL.format(customers=mine, channel="AND m.channel = 'email'"), []),
        ),
    ]
    for name, run, floor in cases:
        floor_timing = measure(f"{name} (SQL floor)", floor, repeat=REPEAT)
        report(measure(name, run, repeat=REPEAT), floor_timing)
