"""Leads' reads. Every staff query takes the user and is limited to the locations they may see."""

import datetime
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import User
from dealership.accounts.roles import MANAGER_ROLES, Role
from dealership.accounts.selectors import location_list_for_user

from .models import (
    OPEN_STATUSES,
    PIPELINE,
    Activity,
    CadenceEvent,
    CadenceStep,
    Customer,
    CustomerMerge,
    Lead,
    LeadAssignment,
    LeadStatusChange,
    Task,
    TransferRequest,
)
from .phones import phone_to_e164

VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def _location_ids(user: User) -> QuerySet:
    return location_list_for_user(user=user).values("pk")


def user_sees_all_locations(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMINISTRATOR)


def customer_list_for_user(*, user: User) -> QuerySet[Customer]:
    """Live customers of the locations the user works at (all, for administrators)."""
    qs = Customer.objects.filter(merged_into__isnull=True)
    if not user_sees_all_locations(user):
        qs = qs.filter(location__in=_location_ids(user))
    return qs


def customer_ids_for_consultant(*, user: User) -> QuerySet:
    """The ids of a consultant's customers: those they own and those with a lead assigned to
    them, at the locations they work at. A subquery, for the outbox page's filter.

    The two ways in are a UNION of two index scans (customer.owner, lead.assigned_to), not
    an OR over customers LEFT JOIN leads: that joined every customer of the locations to
    their leads before filtering (a million-lead table: ~0.8 s per use)."""
    owned = customer_list_for_user(user=user).filter(owner=user).order_by().values("pk")
    leads = Lead.objects.filter(assigned_to=user, customer__merged_into__isnull=True)
    if not user_sees_all_locations(user):
        leads = leads.filter(customer__location__in=_location_ids(user))
    return owned.union(leads.order_by().values("customer_id"))


def lead_list_for_user(*, user: User) -> QuerySet[Lead]:
    qs = Lead.objects.all()
    if not user_sees_all_locations(user):
        qs = qs.filter(location__in=_location_ids(user))
    return qs


INBOX_SCOPES = ("mine", "location", "all")
INBOX_SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "due": ("response_due_at", "id"),
    # Hottest first (scores written by the scoring app; indexes lead_loc_score/open_score).
    "score": ("-score", "-created_at", "-id"),
}
AGE_DAYS = {"1d": 1, "7d": 7, "30d": 30, "90d": 90}


@dataclass(frozen=True)
class InboxFilters:
    scope: str = "mine"
    status: str = ""
    source: str = ""
    type: str = ""
    age: str = ""
    overdue: bool = False
    q: str = ""
    sort: str = "newest"
    location: int | None = None


def inbox_scopes_for(user: User) -> tuple[str, ...]:
    if user_sees_all_locations(user) or user.has_role(*MANAGER_ROLES):
        return INBOX_SCOPES
    return ("mine", "location")


def inbox_default_sort(user: User) -> str:
    """How the inbox is sorted before any choice: a manager's work first (unassigned, then
    first answers overdue), everyone else's newest first."""
    if user.has_role(*MANAGER_ROLES) and not user_sees_all_locations(user):
        return "attention"
    return "newest"


def _attention_order(now: datetime.datetime) -> tuple:
    unassigned = ExpressionWrapper(Q(assigned_to__isnull=True), output_field=BooleanField())
    overdue = ExpressionWrapper(
        Q(first_response_at__isnull=True, status=Lead.Status.NEW, response_due_at__lte=now),
        output_field=BooleanField(),
    )
    return (unassigned.desc(), overdue.desc(), "-created_at", "-id")


def inbox_default_scope(user: User) -> str:
    """What the inbox shows before any filter: administrators every lead, managers all of
    their locations, consultants their own location."""
    if user_sees_all_locations(user):
        return "all"
    return "location"


def customer_search_q(q: str, user: User, *, prefix: str = "") -> Q | None:
    """The condition for a search by name prefix, email, phone or VIN (each answered from an
    index), on customers (`prefix` "") or on rows pointing at one ("customer__"). None for an
    empty search; a condition matching nothing for a phone number that is no number."""
    q = q.strip()
    if not q:
        return None
    if "@" in q:
        return Q(**{f"{prefix}email": q.lower()})
    compact = re.sub(r"[\s-]", "", q).upper()
    if prefix and len(compact) == 17 and VIN_RE.match(compact):
        return Q(vin=compact)
    if re.fullmatch(r"[+\d\s()/.-]{6,}", q):
        # National numbers are read in the country of the user's (first) branch.
        region = user.locations.values_list("country", flat=True).first() or "DE"
        e164 = phone_to_e164(q, region=region)
        if e164:
            return Q(**{f"{prefix}mobile_phone": e164}) | Q(**{f"{prefix}other_phone": e164})
        return Q(pk__in=[])
    name = " ".join(q.lower().split())
    return Q(**{f"{prefix}search_name__startswith": name}) | Q(
        **{f"{prefix}search_name_reversed__startswith": name}
    )


def _search(qs: QuerySet[Lead], q: str, user: User) -> QuerySet[Lead]:
    condition = customer_search_q(q, user, prefix="customer__")
    return qs if condition is None else qs.filter(condition)


CUSTOMER_SEARCH_LIMIT = 20


def customer_search_for_user(*, user: User, q: str) -> list[Customer]:
    """Live customers the user may see matching a name prefix, an email or a phone number
    (the same matching as the lead inbox), at most CUSTOMER_SEARCH_LIMIT, by name."""
    condition = customer_search_q(q, user)
    if condition is None:
        return []
    qs = customer_list_for_user(user=user).filter(condition)
    return list(qs.order_by("last_name", "first_name", "pk")[:CUSTOMER_SEARCH_LIMIT])


def lead_inbox(
    *, user: User, filters: InboxFilters, now: datetime.datetime | None = None
) -> QuerySet[Lead]:
    """The inbox rows for a user and filters, newest first by default. Consultants see their
    own or their location's leads; managers also every lead of their locations."""
    now = now or timezone.now()
    qs = lead_list_for_user(user=user)
    scope = filters.scope if filters.scope in inbox_scopes_for(user) else inbox_default_scope(user)
    if scope == "mine":
        qs = qs.filter(assigned_to=user)
    elif scope == "location":
        qs = qs.filter(location__in=user.locations.values("pk"))
    if filters.location:
        qs = qs.filter(location=filters.location)
    if filters.status in Lead.Status:
        qs = qs.filter(status=filters.status)
    elif filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.source in Lead.Source:
        qs = qs.filter(source=filters.source)
    if filters.type in Lead.Type:
        qs = qs.filter(type=filters.type)
    if filters.age in AGE_DAYS:
        qs = qs.filter(created_at__gte=now - datetime.timedelta(days=AGE_DAYS[filters.age]))
    if filters.overdue:
        qs = qs.filter(
            first_response_at__isnull=True, status=Lead.Status.NEW, response_due_at__lte=now
        )
    qs = _search(qs, filters.q, user)
    if filters.sort == "attention":
        order = _attention_order(now)
    else:
        order = INBOX_SORTS.get(filters.sort, INBOX_SORTS["newest"])
    return qs.select_related("customer", "location", "assigned_to").order_by(*order)


# Only what an inbox row shows: no model instances (four per row, with every column of the
# lead and the customer parsed), as plain values from one join.
INBOX_ROW_FIELDS = (
    "pk",
    "status",
    "type",
    "source",
    "year",
    "make",
    "model",
    "trim",
    "stock_number",
    "needs_review",
    "created_at",
    "response_due_at",
    "first_response_at",
    "score",
    "customer_id",
    "customer__first_name",
    "customer__last_name",
    "customer__email",
    "customer__mobile_phone",
    "location__time_zone",
    "assigned_to_id",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__username",
)


def lead_inbox_page(qs: QuerySet[Lead], *, offset: int, limit: int) -> list[dict]:
    """One page of the inbox in two narrow steps: the ids (filtered and sorted on the lead
    table's indexes, no wide rows carried through the sort), then those rows' displayed
    columns (INBOX_ROW_FIELDS) with their customer, location and assignee joined, as dicts."""
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    by_id = {row["pk"]: row for row in Lead.objects.filter(pk__in=ids).values(*INBOX_ROW_FIELDS)}
    return [by_id[pk] for pk in ids]


def lead_clocks_for_user(*, user: User, ids: list[int]) -> list[dict]:
    """The response-clock columns of the given leads the user may see (the inbox's clock
    refresh): one narrow query."""
    return list(
        lead_list_for_user(user=user)
        .filter(pk__in=ids)
        .order_by("pk")
        .values("pk", "status", "response_due_at", "first_response_at")
    )


def lead_detail_for_user(*, user: User, pk: int) -> Lead:
    return (
        lead_list_for_user(user=user)
        .select_related("customer", "location", "assigned_to", "vehicle")
        .get(pk=pk)
    )


def lead_history(*, lead: Lead) -> dict:
    return {
        "status_changes": list(
            LeadStatusChange.objects.filter(lead=lead).select_related("changed_by")[:50]
        ),
        "assignments": list(
            LeadAssignment.objects.filter(lead=lead).select_related("from_user", "to_user")[:50]
        ),
        "activities": list(Activity.objects.filter(lead=lead).select_related("user")[:50]),
        "tasks": list(Task.objects.filter(lead=lead).select_related("owner")[:50]),
        "photos": list(lead.tradein_photos.all()),
    }


# Why a cadence ended (Lead.cadence_stopped_reason; the system's CadenceEvent reasons).
CADENCE_STOP_REASONS = {
    "finished": _("all steps done"),
    "won": _("the lead was won"),
    "lost": _("the lead was lost"),
    "progressed": _("the lead moved past the follow-up stages"),
    "opted_out": _("the customer opted out"),
    "replied": _("the customer replied"),
    "stopped_by_staff": _("stopped by staff"),
}


def lead_cadence(*, lead: Lead) -> dict:
    """The lead's follow-up cadence for its page: the sequence's name, state, next step and
    when it is due, and the pause/resume/stop history. Two queries at most, whatever the
    history's length."""
    if lead.cadence_paused_at is not None:
        state = "paused"
    elif lead.cadence_next_at is not None:
        state = "running"
    elif lead.cadence_stopped_reason == "finished":
        state = "finished"
    elif lead.cadence_stopped_reason:
        state = "stopped"
    else:
        state = "none"
    step = None
    if lead.cadence_next_at is not None:
        step = CadenceStep.objects.filter(
            lead_type=lead.type, position=lead.cadence_position, is_active=True
        ).first()
    events = list(CadenceEvent.objects.filter(lead=lead).select_related("by")[:50])
    for event in events:
        # The system stops with a code ("won"); staff give their own words.
        if event.by is None:
            event.by_name = ""
            event.reason_text = CADENCE_STOP_REASONS.get(event.reason, event.reason)
        else:
            event.by_name = event.by.get_full_name() or event.by.username
            event.reason_text = event.reason
    return {
        "name": _("%(type)s follow-up") % {"type": lead.get_type_display()},
        "state": state,
        "stopped_reason": CADENCE_STOP_REASONS.get(
            lead.cadence_stopped_reason, lead.cadence_stopped_reason
        ),
        "step": step,
        "due_at": lead.cadence_next_at,
        "paused_at": lead.cadence_paused_at,
        "events": events,
        "active": state in ("running", "paused"),
    }


def consultants_for_locations(*, user: User) -> QuerySet[User]:
    """Staff a user may hand leads to: active staff of the user's locations."""
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name=Role.CONSULTANT.value,
            locations__in=_location_ids(user),
        )
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def transfer_colleagues(*, lead: Lead, user: User) -> QuerySet[User]:
    """Who a consultant may ask to hand their lead to: the other active consultants of the
    lead's location."""
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name=Role.CONSULTANT.value,
            locations=lead.location_id,
        )
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def lead_transfer_pending(*, lead: Lead) -> TransferRequest | None:
    """The lead's pending transfer request (there is at most one), with who asked and for whom."""
    return (
        TransferRequest.objects.filter(lead=lead, state=TransferRequest.State.PENDING)
        .select_related("requested_by", "to_user")
        .first()
    )


def transfer_requests_pending(*, user: User) -> QuerySet[TransferRequest]:
    """The pending transfer requests a manager decides: leads of their locations (every
    location, for administrators), oldest first."""
    return (
        TransferRequest.objects.filter(
            state=TransferRequest.State.PENDING, lead__in=lead_list_for_user(user=user)
        )
        .select_related("lead__customer", "lead__location", "requested_by", "to_user")
        .order_by("requested_at", "pk")
    )


def transfer_request_for_user(*, user: User, pk: int) -> TransferRequest:
    """One transfer request of a lead the user may see (DoesNotExist otherwise)."""
    return TransferRequest.objects.select_related("lead__location", "to_user").get(
        pk=pk, lead__in=lead_list_for_user(user=user)
    )


PIPELINE_CLOSED_DAYS = 30


def pipeline_board(*, user: User, location_id: int, now: datetime.datetime | None = None) -> dict:
    """Columns by status for one location: open leads, and won/lost in the last 30 days."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=PIPELINE_CLOSED_DAYS)
    qs = lead_list_for_user(user=user).filter(location=location_id)
    if not user.has_role(*MANAGER_ROLES):
        qs = qs.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    qs = qs.filter(Q(status__in=OPEN_STATUSES) | Q(updated_at__gte=since))
    counts = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    columns = {status: [] for status in PIPELINE}
    per_column = 50
    open_tasks = Task.objects.filter(lead=OuterRef("pk"), completed_at__isnull=True).order_by(
        "due_at", "id"
    )
    cards = (
        qs.select_related("customer", "assigned_to", "vehicle")
        .annotate(
            next_task_due=Subquery(open_tasks.values("due_at")[:1]),
            next_task_title=Subquery(open_tasks.values("title")[:1]),
        )
        .order_by("-created_at")[:500]
    )
    for lead in cards:
        # The card's value: the stock car's price, or the price the enquiry named.
        lead.value = lead.vehicle.price if lead.vehicle_id else lead.price
        lead.age_days = (now - lead.created_at).days
        if len(columns[lead.status]) < per_column:
            columns[lead.status].append(lead)
    return {
        "columns": [
            {
                "status": status,
                "label": Lead.Status(status).label,
                "count": counts.get(status, 0),
                "leads": columns[status],
            }
            for status in PIPELINE
        ]
    }


TIMELINE_LIMIT = 50


def customer_360(*, user: User, pk: int) -> dict:
    """Everything about one customer for the 360 page, in a fixed number of queries."""
    visible = Customer.objects.all()
    if not user_sees_all_locations(user):
        visible = visible.filter(location__in=_location_ids(user))
    customer = visible.select_related("location", "owner").get(pk=pk)
    if customer.merged_into_id:
        return {"merged_into": customer.merged_into_id}
    leads = list(
        Lead.objects.filter(customer=customer)
        .select_related("location", "assigned_to")
        .order_by("-created_at")[:TIMELINE_LIMIT]
    )
    activities = list(
        Activity.objects.filter(customer=customer)
        .select_related("user", "lead")
        .order_by("-occurred_at", "-id")[:TIMELINE_LIMIT]
    )
    tasks = list(
        Task.objects.filter(customer=customer, completed_at__isnull=True)
        .select_related("owner")
        .order_by("due_at")[:TIMELINE_LIMIT]
    )
    merges = list(CustomerMerge.objects.filter(kept=customer)[:TIMELINE_LIMIT])
    from .outbox import customer_messages
    from .timeline import customer_actions, timeline_entries

    messages = customer_messages(customer_id=customer.pk, limit=TIMELINE_LIMIT)
    timeline = [
        *({"at": lead.created_at, "kind": "lead", "item": lead} for lead in leads),
        *({"at": a.occurred_at, "kind": "activity", "item": a} for a in activities),
        *({"at": m.merged_at, "kind": "merge", "item": m} for m in merges),
        *({"at": m["at"], "kind": "message", "item": m} for m in messages),
        *timeline_entries(customer=customer, limit=TIMELINE_LIMIT),
    ]
    timeline.sort(key=lambda entry: entry["at"], reverse=True)
    from .outbox import customer_consent

    return {
        "customer": customer,
        "leads": leads,
        "tasks": tasks,
        "timeline": timeline[:TIMELINE_LIMIT],
        "consent": customer_consent(customer=customer),
        "actions": customer_actions(customer=customer),
    }


DUPLICATES_PAGE_SIZE = 25

# Live customers of the visible locations, one row per normalised contact key (email
# lower-cased; phones are stored in E.164). Emails hold "@" and phones start with "+", so the
# keys share one space. PostgreSQL will not merge the three key orders itself (it sorts the
# whole union), so each source is read as a window of at most DUPLICATES_WINDOW rows in key
# order from `after` (an index range scan on the partial indexes in Customer.Meta.indexes).
# Only keys below the lowest last key of a full window are complete in all three sources:
# the page groups those, and the next page starts at that bound. A page therefore reads at
# most 3 × DUPLICATES_WINDOW index entries however many customers there are.
DUPLICATES_WINDOW = 4000

_DUPLICATE_KEYS_SQL = """
WITH e AS (
    SELECT lower(email) AS key, id FROM leads_customer
    WHERE email <> '' AND merged_into_id IS NULL AND lower(email) >= %s{locations}
    ORDER BY lower(email) LIMIT %s
), m AS (
    SELECT mobile_phone AS key, id FROM leads_customer
    WHERE mobile_phone <> '' AND merged_into_id IS NULL AND mobile_phone >= %s{locations}
    ORDER BY mobile_phone LIMIT %s
), o AS (
    SELECT other_phone AS key, id FROM leads_customer
    WHERE other_phone <> '' AND merged_into_id IS NULL AND other_phone >= %s{locations}
    ORDER BY other_phone LIMIT %s
), bound AS (
    SELECT least(
        (SELECT max(key) FROM e HAVING count(*) = %s),
        (SELECT max(key) FROM m HAVING count(*) = %s),
        (SELECT max(key) FROM o HAVING count(*) = %s)
    ) AS key
)
SELECT bound.key, page.key, page.ids
FROM bound LEFT JOIN LATERAL (
    SELECT k.key, array_agg(DISTINCT k.id ORDER BY k.id) AS ids
    FROM (SELECT * FROM e UNION ALL SELECT * FROM m UNION ALL SELECT * FROM o) AS k
    WHERE bound.key IS NULL OR k.key < bound.key
    GROUP BY k.key
    HAVING count(DISTINCT k.id) > 1
    ORDER BY k.key
    LIMIT %s
) AS page ON true
"""


def duplicate_keys_params(*, after: str, location_params: list, window: int, limit: int) -> list:
    """The parameters of _DUPLICATE_KEYS_SQL, in order (the benchmark's floor uses it too)."""
    params: list = []
    for _source in range(3):
        params += [after, *location_params, window]
    return [*params, window, window, window, limit]


@dataclass
class DuplicateGroup:
    keys: list[str]  # the shared email addresses / phone numbers
    customers: list[Customer]


def customer_duplicates(
    *, user: User, after: str = "", limit: int = DUPLICATES_PAGE_SIZE
) -> tuple[list[DuplicateGroup], str | None]:
    """One page of suspected duplicates among the live customers the user may see: groups
    of customers sharing a normalised email or phone, in key order from `after` (inclusive;
    keyset pagination). Returns the groups and the `after` of the next page (None on the
    last). A page may hold fewer than `limit` groups (even none) when the key range it read
    had fewer: the next page goes on from there. Two queries whatever the data: the keys
    and their customers. A group found by both its email and its phone is shown once, with
    both keys (when both keys fall on the same page)."""
    location_sql, location_params = "", []
    if not user_sees_all_locations(user):
        sql, params = _location_ids(user).query.sql_with_params()
        location_sql, location_params = f" AND location_id IN ({sql})", list(params)
    with connection.cursor() as cursor:
        cursor.execute(
            _DUPLICATE_KEYS_SQL.format(locations=location_sql),
            duplicate_keys_params(
                after=after,
                location_params=location_params,
                window=DUPLICATES_WINDOW,
                limit=limit + 1,
            ),
        )
        rows = cursor.fetchall()
    bound = rows[0][0] if rows else None
    rows = [(key, ids) for _bound, key, ids in rows if key is not None]
    next_after = rows[limit][0] if len(rows) > limit else bound
    rows = rows[:limit]
    wanted = {pk for _key, ids in rows for pk in ids}
    customers = (
        {
            c.pk: c
            for c in Customer.objects.filter(pk__in=wanted).select_related("location").order_by()
        }
        if wanted
        else {}
    )
    groups: dict[tuple[int, ...], DuplicateGroup] = {}
    for key, ids in rows:
        members = tuple(pk for pk in ids if pk in customers)
        if len(members) < 2:
            continue  # merged in between the two queries
        if members in groups:
            groups[members].keys.append(key)
        else:
            groups[members] = DuplicateGroup([key], [customers[pk] for pk in members])
    return list(groups.values()), next_after


def task_list_for_owner(*, user: User) -> QuerySet[Task]:
    """The user's open tasks, overdue first (earliest due first)."""
    return (
        Task.objects.filter(owner=user, completed_at__isnull=True)
        .select_related("customer__location", "lead")
        .order_by("due_at", "id")
    )


def user_is_available(*, user: User) -> bool:
    from .models import ConsultantAvailability

    row = ConsultantAvailability.objects.filter(user=user).values_list("is_available", flat=True)
    return next(iter(row), True)
