"""Surveys' reads: the invitation behind a link, and the results staff may see.

Results are aggregates over the invitation table (score and lowest CSI are copied there on
submission), so each table on the results page is one GROUP BY query whatever the volume.
"""

import dataclasses
import datetime
import itertools
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dealership.accounts.models import Location, User
from dealership.accounts.roles import MANAGER_ROLES, Role
from dealership.accounts.selectors import location_list_for_user

from . import scoring
from .models import Answer, Invitation, Question, Survey, Touchpoint

# Staff pulse answers are shown only where at least this many people responded.
ANONYMITY_MIN_RESPONSES = 5


def follow_up_owner(*, location_id: int) -> User | None:
    """Who follows up a detractor: the location's sales manager (first by id), else an
    administrator of the location, else nobody (the task waits unassigned)."""
    staff = User.objects.filter(is_active=True, is_staff=True, locations=location_id)
    return (
        staff.filter(groups__name=Role.SALES_MANAGER.value).order_by("pk").first()
        or staff.filter(groups__name=Role.ADMINISTRATOR.value).order_by("pk").first()
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link's token opens (first or reminder token), with its questions and
    saved answers; None for an unknown token. Three queries."""
    from .services import token_hash

    if not token or len(token) > 64:
        return None
    hashed = token_hash(token)
    return (
        Invitation.objects.filter(Q(token_hash=hashed) | Q(reminder_token_hash=hashed))
        .select_related("survey", "location")
        .prefetch_related(
            Prefetch("survey__questions", queryset=Question.objects.order_by("position", "id")),
            "answers",
        )
        .first()
    )


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilters:
    location: int | None = None
    touchpoint: str = ""
    consultant: int | None = None
    months: int = 12


def _nps_aggregates() -> dict:
    return {
        "invited": Count("pk", filter=Q(status__in=("sent", "completed"))),
        "promoters": Count("pk", filter=Q(nps_score__gte=scoring.PROMOTER_MIN)),
        "passives": Count(
            "pk", filter=Q(nps_score__gt=scoring.DETRACTOR_MAX, nps_score__lt=scoring.PROMOTER_MIN)
        ),
        "detractors": Count("pk", filter=Q(nps_score__lte=scoring.DETRACTOR_MAX)),
        "follow_ups": Count("follow_up_task"),
        "closed": Count("follow_up_task", filter=Q(follow_up_task__completed_at__isnull=False)),
    }


@dataclass(frozen=True)
class ResultRow:
    label: str
    summary: scoring.NpsSummary
    follow_ups: int = 0
    closed: int = 0
    key: object = None
    # Trend rows: the change in NPS from the month before (None without data on either side).
    change: object = None

    @property
    def closed_loop_rate(self):
        return scoring.percentage(self.closed, self.follow_ups)


def _row(label, values: dict, key=None) -> ResultRow:
    return ResultRow(
        label=label,
        key=key,
        summary=scoring.NpsSummary(
            promoters=values["promoters"],
            passives=values["passives"],
            detractors=values["detractors"],
            invited=values["invited"],
        ),
        follow_ups=values["follow_ups"],
        closed=values["closed"],
    )


def results_user_may_see_all(user: User) -> bool:
    return user.is_superuser or user.has_role(*MANAGER_ROLES)


def _location_invitation_list(user: User) -> QuerySet[Invitation]:
    """Every customer survey invitation of the user's locations (all for administrators)."""
    qs = Invitation.objects.exclude(touchpoint=Touchpoint.STAFF_PULSE)
    if not (user.is_superuser or user.has_role(Role.ADMINISTRATOR)):
        qs = qs.filter(location__in=location_list_for_user(user=user).values("pk"))
    return qs


def invitation_list_for_user(*, user: User) -> QuerySet[Invitation]:
    """Customer survey invitations the user may see: managers their locations' (all for
    administrators), consultants only their own customers'."""
    qs = _location_invitation_list(user)
    if not results_user_may_see_all(user):
        qs = qs.filter(consultant=user)
    return qs


def _time_zone(filters: ResultFilters, locations: list[Location]) -> zoneinfo.ZoneInfo:
    for location in locations:
        if location.pk == filters.location:
            return location.tzinfo
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _month_start(now: datetime.datetime, months: int, tz) -> datetime.datetime:
    local = timezone.localtime(now, tz)
    year, month = local.year, local.month - (months - 1)
    while month <= 0:
        month += 12
        year -= 1
    return datetime.datetime(year, month, 1, tzinfo=tz)


@dataclass
class Results:
    total: ResultRow
    trend: list[ResultRow]
    by_location: list[ResultRow]
    by_consultant: list[ResultRow]
    by_touchpoint: list[ResultRow]
    top_reasons: list[tuple[str, int]]
    open_follow_ups: list[Invitation]
    since: datetime.datetime
    locations: list[Location] = field(default_factory=list)


def survey_results(
    *, user: User, filters: ResultFilters, now: datetime.datetime | None = None
) -> Results:
    """NPS, response and closed-loop rates overall, by month (trend, in the chosen location's
    time zone), location, consultant and touchpoint; top reasons in detractor comments; open
    follow-ups. A fixed number of queries."""
    now = now or timezone.now()
    locations = list(location_list_for_user(user=user).order_by("name"))
    tz = _time_zone(filters, locations)
    since = _month_start(now, max(1, min(filters.months, 36)), tz)
    # A consultant sees their own customers' answers, and by location the whole team's
    # aggregate to compare with (never a colleague's own figures).
    team = _location_invitation_list(user).filter(created_at__gte=since, created_at__lte=now)
    if filters.location:
        team = team.filter(location_id=filters.location)
    if filters.touchpoint:
        team = team.filter(touchpoint=filters.touchpoint)
    if filters.consultant:
        team = team.filter(consultant_id=filters.consultant)
    qs = team if results_user_may_see_all(user) else team.filter(consultant=user)
    aggregates = _nps_aggregates()

    total = _row("", qs.aggregate(**aggregates))
    trend = [
        _row(f"{v['month']:%Y-%m}", v, key=v["month"])
        for v in qs.annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(**aggregates)
        .order_by("month")
    ]
    trend = [
        dataclasses.replace(row, change=row.summary.score - previous.summary.score)
        if index and row.summary.has_data and previous.summary.has_data
        else row
        for index, (previous, row) in enumerate(zip([None, *trend], trend, strict=False))
    ]
    location_names = {loc.pk: loc.name for loc in locations}
    by_location = [
        _row(location_names.get(v["location_id"], str(v["location_id"])), v, v["location_id"])
        for v in team.values("location_id").annotate(**aggregates).order_by("location_id")
    ]
    by_consultant = [
        _row(
            " ".join(p for p in (v["consultant__first_name"], v["consultant__last_name"]) if p)
            or v["consultant__username"]
            or "—",
            v,
            v["consultant_id"],
        )
        for v in qs.values(
            "consultant_id",
            "consultant__first_name",
            "consultant__last_name",
            "consultant__username",
        )
        .annotate(**aggregates)
        .order_by("consultant__last_name", "consultant_id")
    ]
    by_touchpoint = [
        _row(Touchpoint(v["touchpoint"]).label, v, v["touchpoint"])
        for v in qs.values("touchpoint").annotate(**aggregates).order_by("touchpoint")
    ]
    comments = Answer.objects.filter(
        invitation__in=qs.filter(nps_score__lte=scoring.DETRACTOR_MAX).values("pk"),
        question__kind__in=(Question.Kind.WHY, Question.Kind.TEXT),
    ).exclude(text="")
    texts = list(comments.order_by("-answered_at").values_list("text", flat=True)[:2000])
    open_follow_ups = list(
        qs.filter(follow_up_task__isnull=False, follow_up_task__completed_at__isnull=True)
        .select_related("customer", "follow_up_task", "follow_up_task__owner", "location")
        .order_by("submitted_at")[:50]
    )
    return Results(
        total=total,
        trend=trend,
        by_location=by_location,
        by_consultant=by_consultant,
        by_touchpoint=by_touchpoint,
        top_reasons=top_reasons(texts),
        open_follow_ups=open_follow_ups,
        since=since,
        locations=locations,
    )


# Words that say nothing about the reason, in the languages the dealership works in.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "don't",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "just",
        "me",
        "more",
        "my",
        "no",
        "not",
        "of",
        "on",
        "one",
        "only",
        "or",
        "our",
        "out",
        "over",
        "really",
        "so",
        "some",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "too",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "very",
        "much",
        "even",
        "still",
        "yet",
        "went",
        "came",
        "car",
        "cars",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "einen",
        "es",
        "ich",
        "wir",
        "sie",
        "mit",
        "auf",
        "für",
        "von",
        "zu",
        "im",
        "den",
        "dem",
        "des",
        "war",
        "sehr",
        "auch",
        "noch",
        "aber",
        "nur",
        "wie",
        "so",
        "hat",
        "haben",
        "bei",
        "nach",
        "mir",
        "mich",
    ]
)
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def top_reasons(texts: list[str], *, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent words and two-word phrases in comments (each counted once per
    comment), stop words left out. A phrase is preferred to its words when it is as frequent."""
    words: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    for text in texts:
        tokens = [t.lower() for t in WORD_RE.findall(text)]
        meaningful = [t for t in tokens if t not in STOPWORDS and len(t) > 2]
        words.update(set(meaningful))
        pairs = {
            f"{a} {b}"
            for a, b in itertools.pairwise(tokens)
            if a not in STOPWORDS and b not in STOPWORDS and len(a) > 2 and len(b) > 2
        }
        phrases.update(pairs)
    ranked = {p: n for p, n in phrases.items() if n >= 2}
    for word, n in words.items():
        # A word a listed phrase already explains (as often) adds nothing.
        if not any(n == pn and word in p.split() for p, pn in ranked.items()):
            ranked[word] = n
    ordered = sorted(ranked.items(), key=lambda item: (-item[1], -len(item[0].split()), item[0]))
    return ordered[:limit]


# --- Staff pulse ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PulseResult:
    survey: Survey
    period: str
    summary: scoring.NpsSummary
    anonymous_enough: bool
    comments: list[str]


def pulse_results(*, user: User, limit_periods: int = 6) -> list[PulseResult]:
    """eNPS by pulse survey and period, for managers. Scores and comments are shown only
    where at least ANONYMITY_MIN_RESPONSES people responded; answers never name anyone."""
    if not results_user_may_see_all(user):
        return []
    qs = Invitation.objects.filter(touchpoint=Touchpoint.STAFF_PULSE)
    if not (user.is_superuser or user.has_role(Role.ADMINISTRATOR)):
        qs = qs.filter(location__in=location_list_for_user(user=user).values("pk"))
    rows = list(
        qs.values("survey_id", "source_id")
        .annotate(**_nps_aggregates())
        .order_by("-source_id", "survey_id")[: limit_periods * 4]
    )
    surveys = Survey.objects.in_bulk({r["survey_id"] for r in rows})
    enough = {
        (r["survey_id"], r["source_id"])
        for r in rows
        if r["promoters"] + r["passives"] + r["detractors"] >= ANONYMITY_MIN_RESPONSES
    }
    comments: dict[tuple[int, str], list[str]] = {}
    if enough:
        answers = (
            Answer.objects.filter(
                invitation__in=qs.values("pk"),
                invitation__source_id__in={period for _s, period in enough},
                question__kind__in=(Question.Kind.WHY, Question.Kind.TEXT),
            )
            .exclude(text="")
            .order_by("?")  # no order that could hint at who wrote what
            .values_list("invitation__survey_id", "invitation__source_id", "text")
        )
        for survey_id, period, text in answers:
            if (survey_id, period) in enough:
                comments.setdefault((survey_id, period), []).append(text)
    results = []
    for r in rows:
        key = (r["survey_id"], r["source_id"])
        summary = scoring.NpsSummary(
            promoters=r["promoters"],
            passives=r["passives"],
            detractors=r["detractors"],
            invited=r["invited"],
        )
        results.append(
            PulseResult(
                survey=surveys[r["survey_id"]],
                period=r["source_id"],
                summary=summary if key in enough else scoring.NpsSummary(invited=r["invited"]),
                anonymous_enough=key in enough,
                comments=sorted(comments.get(key, [])),
            )
        )
    return results


def results_csv_rows(*, user: User, filters: ResultFilters, now=None):
    """One row per answered customer invitation in the filter, for the CSV export."""
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    since = _month_start(now, max(1, min(filters.months, 36)), tz)
    qs = invitation_list_for_user(user=user).filter(
        created_at__gte=since, submitted_at__isnull=False
    )
    if filters.location:
        qs = qs.filter(location_id=filters.location)
    if filters.touchpoint:
        qs = qs.filter(touchpoint=filters.touchpoint)
    if filters.consultant:
        qs = qs.filter(consultant_id=filters.consultant)
    return (
        qs.select_related("location", "consultant", "customer", "follow_up_task")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("submitted_at", "pk")
    )
