import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from dealership.accounts.selectors import location_list_for_user

from .addresses import address_hash, normalise_address
from .models import Channel, Consent, OutboxMessage, QuietHours, Suppression


@dataclass(frozen=True)
class ConsentState:
    """What may be sent to one address. `granted` is marketing consent; `suppressed` stops all."""

    channel: str
    address: str
    granted: bool
    suppressed: bool
    since: datetime.datetime | None  # the latest consent decision; None if never asked
    source: str = ""
    wording: str = ""
    suppressed_since: datetime.datetime | None = None

    @property
    def may_send_marketing(self) -> bool:
        return self.granted and not self.suppressed

    @property
    def may_send_transactional(self) -> bool:
        return not self.suppressed


def messages_for_customer(*, customer_id: int) -> QuerySet[OutboxMessage]:
    """Every message about one customer, newest first (the customer timeline)."""
    return OutboxMessage.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")


def consent_state(*, channel: Channel, address: str) -> ConsentState:
    try:
        address = normalise_address(channel, address)
    except Exception:
        address = (address or "").strip().lower()
    latest = Consent.objects.filter(channel=channel, address=address).first()
    suppression = Suppression.objects.filter(
        Q(address__iexact=address) | Q(address=address_hash(channel, address)), channel=channel
    ).first()
    return ConsentState(
        channel=channel,
        address=address,
        granted=bool(latest and latest.granted),
        suppressed=suppression is not None,
        since=latest.recorded_at if latest else None,
        source=latest.source if latest else "",
        wording=latest.wording if latest else "",
        suppressed_since=suppression.created_at if suppression else None,
    )


def suppressed_addresses(*, channel: str, addresses: set[str]) -> set[str]:
    """The addresses suppressed on the channel, by their own row or (erased people) by hash."""
    hashes = {address_hash(channel, address): address for address in addresses}
    found = Suppression.objects.filter(
        channel=channel, address__in=set(addresses) | hashes.keys()
    ).values_list("address", flat=True)
    return {hashes.get(address, address) for address in found}


def marketing_consented_addresses(*, channel: str, addresses: set[str]) -> set[str]:
    """The addresses whose latest consent decision is a grant (one query)."""
    consents = Consent.objects.filter(channel=channel, address__in=addresses)
    if connection.features.can_distinct_on_fields:
        latest = consents.order_by("address", "-recorded_at", "-id").distinct("address")
        return {c.address for c in latest if c.granted}
    decided: dict[str, bool] = {}
    for consent in consents.order_by("-recorded_at", "-id"):
        decided.setdefault(consent.address, consent.granted)
    return {address for address, granted in decided.items() if granted}


def quiet_hours_for(location: Location | None) -> tuple:
    """(tz, start, end) for a location, or the defaults from settings for none."""
    start, end = (datetime.time.fromisoformat(v) for v in settings.MESSAGING_QUIET_HOURS)
    if location is None:
        return zoneinfo.ZoneInfo(settings.MESSAGING_DEFAULT_TIME_ZONE), start, end
    try:
        hours = location.quiet_hours
    except QuietHours.DoesNotExist:
        hours = None
    if hours is not None:
        start, end = hours.start, hours.end
    return location.tzinfo, start, end


def quiet_hours_by_location(locations: list[Location | None]) -> dict[int | None, tuple]:
    """`quiet_hours_for` of each location (key: its id, None for no location), one query."""
    found: dict[int | None, tuple] = {}
    wanted = {location.pk: location for location in locations if location is not None}
    rows = (
        {
            hours.location_id: hours
            for hours in QuietHours.objects.filter(location_id__in=wanted.keys())
        }
        if wanted
        else {}
    )
    default = quiet_hours_for(None)
    if any(location is None for location in locations):
        found[None] = default
    for pk, location in wanted.items():
        hours = rows.get(pk)
        start, end = (hours.start, hours.end) if hours is not None else default[1:]
        found[pk] = (location.tzinfo, start, end)
    return found


def outbox_sees_only_own_customers(user: User) -> bool:
    """Consultants see the messages to their own customers only; managers, service advisors
    and administrators see their locations' (administrators: all)."""
    return user.has_role(Role.CONSULTANT) and not user.has_role(
        Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.ADMINISTRATOR
    )


def _own_customer_ids(user: User) -> QuerySet:
    # Who a consultant's customers are is the leads app's knowledge, above this one: the
    # setting names the function (leads.selectors.customer_ids_for_consultant), so the
    # import arrows still point down.
    return import_string(settings.MESSAGING_OWN_CUSTOMERS)(user=user)


def outbox_list_for_user(*, user: User, filters: dict | None = None) -> QuerySet[OutboxMessage]:
    """Messages of the locations this staff member may see (administrators: all), and for a
    consultant only those to their own customers."""
    filters = filters or {}
    qs = OutboxMessage.objects.select_related("location").order_by("-created_at", "-id")
    if not (user.is_superuser or user.has_role(Role.ADMINISTRATOR)):
        qs = qs.filter(location__in=location_list_for_user(user=user))
    if outbox_sees_only_own_customers(user):
        qs = qs.filter(customer_id__in=_own_customer_ids(user))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("template"):
        qs = qs.filter(template_key=filters["template"])
    if filters.get("q"):
        term = filters["q"].strip()
        qs = qs.filter(Q(to__icontains=term) | Q(dedupe_key__startswith=term))
    return qs


def outbox_template_keys() -> list[str]:
    return list(
        OutboxMessage.objects.order_by("template_key")
        .values_list("template_key", flat=True)
        .distinct()
    )
