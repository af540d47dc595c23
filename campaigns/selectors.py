"""Reads: segments a manager may see, a segment's customers, counts and previews."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dealership.accounts.models import User
from dealership.accounts.roles import Role
from dealership.accounts.selectors import location_list_for_user
from leads.models import Customer

from .conditions import compile_tree
from .models import Campaign, Recipient, Segment

PREVIEW_SIZE = 50


def _sees_all(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMINISTRATOR)


def _location_filter(user: User | None, field: str) -> Q:
    if user is None or _sees_all(user):
        return Q()
    return Q(**{f"{field}__in": location_list_for_user(user=user).values("pk")})


def segment_list_for_user(*, user: User) -> QuerySet[Segment]:
    """Segments of the user's locations, and those for every location."""
    if _sees_all(user):
        return Segment.objects.select_related("location")
    return Segment.objects.select_related("location").filter(
        Q(location__isnull=True) | _location_filter(user, "location")
    )


def segment_for_user(*, user: User, pk: int) -> Segment:
    return get_object_or_404(segment_list_for_user(user=user), pk=pk)


def customers_base() -> QuerySet[Customer]:
    """Customers a segment can hold: live (not merged away), not erased, not 'no contact'."""
    return Customer.objects.filter(merged_into__isnull=True, do_not_contact=False)


def segment_customers(
    *,
    conditions: dict,
    location_id: int | None = None,
    user: User | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Customer]:
    """The customers matching a validated condition tree, in the segment's location (if any)
    and among the locations `user` works at (if given)."""
    qs = customers_base().filter(_location_filter(user, "location"))
    if location_id:
        qs = qs.filter(location_id=location_id)
    return qs.filter(compile_tree(conditions, now or timezone.now()))


def segment_count(**kwargs) -> int:
    return segment_customers(**kwargs).count()


def segment_preview(**kwargs) -> list[Customer]:
    return list(
        segment_customers(**kwargs)
        .select_related("location", "owner")
        .order_by("last_name", "first_name", "pk")[:PREVIEW_SIZE]
    )


def campaign_list_for_user(*, user: User) -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("segment", "location", "created_by")
    if _sees_all(user):
        return qs
    return qs.filter(Q(location__isnull=True) | _location_filter(user, "location"))


def campaign_for_user(*, user: User, pk: int) -> Campaign:
    return get_object_or_404(campaign_list_for_user(user=user), pk=pk)


def campaign_progress(*, campaign: Campaign) -> dict:
    counts = dict.fromkeys(Recipient.Status.values, 0)
    for row in campaign.recipients.values("status").order_by().annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts
