"""Saved searches: a visitor keeps a search with an email; the nightly job mails what is new.

The job is idempotent: each saved search is claimed with a row lock (skip_locked), mailed at
most once per day (``last_alert_on`` and the outbox dedupe key per search per day), and its
``last_checked_at`` moves forward in the same transaction, so a crash halfway repeats nothing
that was already sent and loses nothing that was not.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
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
    returns the existing row (False). Matches from now on count as new.

    The saved search is itself the consent record for its purpose, "alerts for this search"
    (with the wording the visitor ticked, and `cancelled_at` when they end it). It records no
    general marketing consent: asking for one search's alerts is not agreeing to offers.
    """
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
            description=(description or saved_search_describe(query))[:300],
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
    # The price before the first change since then: a drop is a net drop over the period.
    previous = (
        PriceChange.objects.filter(vehicle=OuterRef("pk"), changed_at__gt=since)
        .order_by("changed_at", "id")
        .values("old_price")[:1]
    )
    dropped = list(
        with_card_data(
            matching.filter(published_at__lte=since)
            .annotate(previous_price=Subquery(previous))
            .filter(previous_price__gt=F("price"))
        ).order_by("price", "id")[:MAX_VEHICLES_PER_ALERT]
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


def saved_search_describe(query: str) -> str:
    """A short human summary of a search for the email subject: "BMW X3, Diesel, ≤ 45000"."""
    filters = VehicleSearchForm(QueryDict(query)).filters()
    parts = [" ".join(p for p in (filters.make, filters.model) if p)]
    labels = {
        "body_type": dict(Vehicle.BodyType.choices),
        "fuel": dict(Vehicle.Fuel.choices),
        "condition": dict(Vehicle.Condition.choices),
    }
    for name, choices in labels.items():
        parts += [str(choices[value]) for value in getattr(filters, name) if value in choices]
    if filters.q:
        parts.append(f"“{filters.q}”")
    if filters.price_max is not None:
        parts.append(_("up to %(amount)s") % {"amount": f"{filters.price_max:,.0f}"})
    if filters.year_min is not None:
        parts.append(_("from %(year)d") % {"year": filters.year_min})
    return ", ".join(p for p in parts if p) or _("all cars")


def _vehicle_line(vehicle: Vehicle) -> dict:
    from .templatetags.inventory import km, money

    return {
        "title": vehicle.title,
        "trim": vehicle.trim,
        "price": money(vehicle.price),
        "list_price": money(getattr(vehicle, "previous_price", None) or vehicle.list_price),
        "mileage": km(vehicle.mileage),
        "city": vehicle.location.city,
        "url": settings.SITE_URL.rstrip("/") + vehicle.get_absolute_url(),
    }


def _send(*, saved_search: SavedSearch, content: AlertContent, day: datetime.date) -> None:
    """Queue the alert in the outbox: a requested alert (the saved search is its consent;
    suppression respected), one per saved search per day by its dedupe key."""
    from dealership.messaging.models import Channel, Purpose
    from dealership.messaging.services import message_enqueue

    site = settings.SITE_URL.rstrip("/")
    with translation.override(saved_search.language or settings.LANGUAGE_CODE):
        context = {
            "search": saved_search.description or saved_search_describe(saved_search.query),
            "showroom": settings.SHOWROOM_NAME,
            "new_count": len(content.new_vehicles),
            "drop_count": len(content.price_drops),
            "new_vehicles": [_vehicle_line(v) for v in content.new_vehicles],
            "price_drops": [_vehicle_line(v) for v in content.price_drops],
            "search_url": f"{site}{reverse('inventory:search')}?{saved_search.query}",
            "cancel_url": site
            + reverse("inventory:saved-search-unsubscribe", kwargs={"token": saved_search.token}),
        }
    message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.ALERT,
        to=saved_search.email,
        template_key="inventory.saved_search_alert",
        context=context,
        dedupe_key=f"inventory:saved-search:{saved_search.pk}:{day.isoformat()}",
        language=saved_search.language,
    )
