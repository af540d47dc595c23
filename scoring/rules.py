"""The score of one lead from its facts and the active rules: a pure function, no queries.

Every rule that applies adds its points and one reason; the total is clamped to 0–100. A
reason is stored as an English msgid with its arguments (and, for a count of days, the
plural msgid and the count), so the lead page shows it in the reader's language:
{"points": 20, "reason": "booked a test drive"}. Argument strings that are choice labels
(a source, a type, a status) are stored as their English label and translated when shown.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_noop, ngettext_lazy

from leads.models import OPEN_STATUSES, Lead

from .models import ScoreRule

K = ScoreRule.Kind
MIN_SCORE, MAX_SCORE = 0, 100


@dataclass(frozen=True)
class Rule:
    """A ScoreRule as the pure code needs it (and as tests build it without a database)."""

    kind: str
    points: int
    parameters: dict = field(default_factory=dict)
    label: str = ""
    pk: int | None = None

    @classmethod
    def from_model(cls, rule: ScoreRule) -> "Rule":
        return cls(
            kind=rule.kind,
            points=rule.points,
            parameters=dict(rule.parameters or {}),
            label=rule.label,
            pk=rule.pk,
        )


@dataclass
class LeadFacts:
    """What the rules look at for one lead, gathered in bulk by services.lead_facts."""

    id: int
    status: str
    source: str
    type: str
    created_at: datetime.datetime
    customer_id: int | None = None
    vehicle_id: int | None = None
    price: Decimal | None = None  # what the customer asked about (their budget)
    vehicle_price: Decimal | None = None  # the car's asking price now
    replied: bool = False
    last_contact_at: datetime.datetime | None = None
    testdrive_booked: bool = False
    finance_started: bool = False
    vehicle_views: dict = field(default_factory=dict)  # {date: views} of the car
    other_enquiries: list = field(default_factory=list)  # created_at of the customer's others


# The wording of each kind (English msgids, translated when shown).
DAYS_REASONS = {
    K.REPEAT_ENQUIRY: (
        "made another enquiry within %(days)s day",
        "made another enquiry within %(days)s days",
    ),
    K.RECENT: (
        "enquired within the last %(days)s day",
        "enquired within the last %(days)s days",
    ),
    K.NO_CONTACT: (
        "no contact for %(days)s day",
        "no contact for %(days)s days",
    ),
    K.VEHICLE_VIEWS: (
        "popular car: %(views)s page views in the last %(days)s day",
        "popular car: %(views)s page views in the last %(days)s days",
    ),
}
# The same pairs for makemessages, which reads plural msgids from ngettext calls only;
# the lead page shows them with ngettext(reason, plural, n).
_PLURAL_MSGIDS = (
    ngettext_lazy(
        "made another enquiry within %(days)s day",
        "made another enquiry within %(days)s days",
    ),
    ngettext_lazy(
        "enquired within the last %(days)s day",
        "enquired within the last %(days)s days",
    ),
    ngettext_lazy(
        "no contact for %(days)s day",
        "no contact for %(days)s days",
    ),
    ngettext_lazy(
        "popular car: %(views)s page views in the last %(days)s day",
        "popular car: %(views)s page views in the last %(days)s days",
    ),
)
REASONS = {
    K.SOURCE: gettext_noop("lead source: %(source)s"),
    K.LEAD_TYPE: gettext_noop("enquiry type: %(type)s"),
    K.STATUS: gettext_noop("status: %(status)s"),
    K.REPLIED: gettext_noop("replied to a message"),
    K.TESTDRIVE_BOOKED: gettext_noop("booked a test drive"),
    K.FINANCE_STARTED: gettext_noop("started a finance application"),
    K.BUDGET_FIT: gettext_noop("the car's price fits their budget"),
}
DEFAULT_DAYS = {K.REPEAT_ENQUIRY: 30, K.RECENT: 3, K.NO_CONTACT: 14, K.VEHICLE_VIEWS: 7}


def _int(value, default: int, *, low: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, number)


def _english(label) -> str:
    with translation.override("en"):
        return str(label)


def _choice(choices, value: str) -> str:
    return _english(choices(value).label) if value in choices.values else value


def _applies(rule: Rule, facts: LeadFacts, now: datetime.datetime) -> dict | None:
    """The reason entry (without points) when the rule applies to the lead, else None."""
    p = rule.parameters
    kind = rule.kind
    if kind == K.SOURCE:
        if facts.source == p.get("source"):
            return {"reason": REASONS[kind], "args": {"source": _choice(Lead.Source, facts.source)}}
        return None
    if kind == K.LEAD_TYPE:
        if facts.type == p.get("type"):
            return {"reason": REASONS[kind], "args": {"type": _choice(Lead.Type, facts.type)}}
        return None
    if kind == K.STATUS:
        if facts.status == p.get("status"):
            return {"reason": REASONS[kind], "args": {"status": _choice(Lead.Status, facts.status)}}
        return None
    if kind in (K.REPLIED, K.TESTDRIVE_BOOKED, K.FINANCE_STARTED):
        attribute = {
            K.REPLIED: "replied",
            K.TESTDRIVE_BOOKED: "testdrive_booked",
            K.FINANCE_STARTED: "finance_started",
        }[kind]
        return {"reason": REASONS[kind]} if getattr(facts, attribute) else None
    if kind == K.BUDGET_FIT:
        if facts.price is None or facts.vehicle_price is None or facts.price <= 0:
            return None
        tolerance = Decimal(_int(p.get("tolerance_percent"), 10))
        if facts.vehicle_price <= facts.price * (1 + tolerance / 100):
            return {"reason": REASONS[kind]}
        return None
    if kind in DAYS_REASONS:
        days = _int(p.get("days"), DEFAULT_DAYS[kind], low=1)
        singular, plural = DAYS_REASONS[kind]
        entry = {"reason": singular, "plural": plural, "n": days, "args": {"days": days}}
        since = now - datetime.timedelta(days=days)
        if kind == K.RECENT:
            return entry if facts.created_at >= since else None
        if kind == K.NO_CONTACT:
            last = max(d for d in (facts.created_at, facts.last_contact_at) if d is not None)
            return entry if last <= since else None
        if kind == K.REPEAT_ENQUIRY:
            return entry if any(at >= since for at in facts.other_enquiries) else None
        # Page views are counted per UTC day (inventory.page_views): the last `days` days,
        # today included.
        first_day = (now.astimezone(datetime.UTC) - datetime.timedelta(days=days - 1)).date()
        views = sum(n for day, n in facts.vehicle_views.items() if day >= first_day)
        if views >= _int(p.get("min_views"), 50, low=1):
            entry["args"]["views"] = views
            return entry
        return None
    return None  # a kind this code does not know (added later): ignored, not an error


def score(facts: LeadFacts, rules: list[Rule], now: datetime.datetime) -> tuple[int, list[dict]]:
    """(score 0–100, reasons) for one lead. A closed lead (won, lost) scores 0, no reasons."""
    if facts.status not in OPEN_STATUSES:
        return 0, []
    reasons = []
    total = 0
    for rule in rules:
        if rule.points == 0:
            continue
        entry = _applies(rule, facts, now)
        if entry is None:
            continue
        if rule.label:
            entry = {"reason": rule.label}
        total += rule.points
        reasons.append({"points": rule.points, **entry})
    # Biggest effect first, so the page reads "why" at a glance; stable for equal points.
    reasons.sort(key=lambda r: -abs(r["points"]))
    return max(MIN_SCORE, min(MAX_SCORE, total)), reasons


def kinds_needed(rules: list[Rule]) -> set[str]:
    return {rule.kind for rule in rules if rule.points}
