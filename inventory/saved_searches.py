"""Saved searches: a visitor keeps a search with an email; the nightly job mails what is new.

The job is idempotent: each saved search is claimed with a row lock (skip_locked), mailed at
most once per day (``last_alert_on`` and the outbox dedupe key per search per day), and its
``last_checked_at`` moves forward in the same transaction, so a crash halfway repeats nothing
that was already sent and loses nothing that was not.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from .forms import VehicleSearchForm
from .models import PriceChange, SavedSearch, Vehicle
from .selectors import _apply, vehicle_list_public, with_card_data

MAX_VEHICLES_PER_ALERT = 10
# Query-string keys that describe a page, not the search.
_PAGE_KEYS = ("after", "before", "sort")


def normalise_query(query: str) -> str:
    """The search part of a query string (no cursor, no sort), keys and values sorted, so
    the same search saved twice is the same row."""
    data = QueryDict(query.lstrip("?"))
    ordered = QueryDict(mutable=True)
    for key in sorted(data):
        values = sorted(value for value in data.getlist(key) if value.strip())
        if key not in _PAGE_KEYS and values:
            ordered.setlist(key, values)
    return ordered.urlencode()


def saved_search_filters(saved_search: SavedSearch):
    return VehicleSearchForm(QueryDict(saved_search.query)).filters()


def saved_search_create(
    *, email: str, query: str, description: str = "", language: str = "", consent_wording: str
) -> tuple[SavedSearch, bool]:
    """Save a search for an email address. Idempotent: the same search for the same address
    returns the existing row (False). Matches from now on count as new."""
    email = email.strip().lower()
    query = normalise_query(query)
    with transaction.atomic():
        existing = SavedSearch.objects.filter(
            email=email, query=query, cancelled_at__isnull=True
        ).first()
        if existing:
            return existing, False
        saved = SavedSearch(
            email=email,
            query=query,
            description=description[:300],
            language=language[:10],
            consent_wording=consent_wording,
            last_checked_at=timezone.now(),
        )
        saved.full_clean()
        saved.save()
    return saved, True


def saved_search_cancel(*, token: str) -> SavedSearch | None:
    """Unsubscribe: immediate, idempotent. Returns the search, or None for an unknown token."""
    with transaction.atomic():
        saved = SavedSearch.objects.select_for_update().filter(token=token).first()
        if saved and saved.cancelled_at is None:
            saved.cancelled_at = timezone.now()
            saved.save(update_fields=["cancelled_at"])
    return saved


@dataclass
class AlertContent:
    new_vehicles: list[Vehicle]
    price_drops: list[Vehicle]

    @property
    def is_empty(self) -> bool:
        return not self.new_vehicles and not self.price_drops


def saved_search_matches(*, saved_search: SavedSearch, since: datetime.datetime) -> AlertContent:
    """Available vehicles of the search published since ``since``, and those whose price
    dropped since then (each car once: a new car is not also a price drop)."""
    matching = _apply(vehicle_list_public(), saved_search_filters(saved_search))
    new = list(
        with_card_data(matching.filter(published_at__gt=since)).order_by("price", "id")[
            :MAX_VEHICLES_PER_ALERT
        ]
    )
    drops = PriceChange.objects.filter(
        vehicle=OuterRef("pk"), changed_at__gt=since, new_price__lt=F("old_price")
    )
    dropped = list(
        with_card_data(matching.filter(published_at__lte=since).filter(Exists(drops))).order_by(
            "price", "id"
        )[:MAX_VEHICLES_PER_ALERT]
    )
    return AlertContent(new_vehicles=new, price_drops=dropped)


def saved_search_alert(*, saved_search_id: int, now: datetime.datetime | None = None) -> bool:
    """Mail one saved search its news, at most once per (local) day. Returns True if mailed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        saved = (
            SavedSearch.objects.select_for_update(skip_locked=True)
            .filter(pk=saved_search_id, cancelled_at__isnull=True)
            .first()
        )
        if saved is None or saved.last_alert_on == today:
            return False
        content = saved_search_matches(saved_search=saved, since=saved.last_checked_at)
        saved.last_checked_at = now
        fields = ["last_checked_at"]
        if not content.is_empty:
            _send(saved_search=saved, content=content, day=today)
            saved.last_alert_on = today
            fields.append("last_alert_on")
        saved.save(update_fields=fields)
    return not content.is_empty


def saved_searches_alert_all(*, now: datetime.datetime | None = None) -> int:
    """The nightly job: every active saved search not yet mailed today. Safe to run twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = list(
        SavedSearch.objects.filter(cancelled_at__isnull=True)
        .exclude(last_alert_on=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(saved_search_alert(saved_search_id=pk, now=now) for pk in ids)


def alert_subject(content: AlertContent) -> str:
    return _("%(new)d new cars and %(drops)d price drops for your saved search") % {
        "new": len(content.new_vehicles),
        "drops": len(content.price_drops),
    }


def _send(*, saved_search: SavedSearch, content: AlertContent, day: datetime.date) -> None:
    """Hand the alert to the outbox (wired when the outbox lands on main)."""
    raise NotImplementedError("saved-search alert email needs the outbox")
