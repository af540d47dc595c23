"""The public locations cached per location version, and memoised per process."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from dealership.accounts.location_cache import (
    LOCATIONS_MEMO_SECONDS,
    location_list_public_cached,
    locations_invalidate,
)
from dealership.accounts.models import Location

from .factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_a_process_reads_the_cached_list_once_per_version(django_assert_num_queries):
    # Given two public locations, read once (the locations and their opening hours)
    LocationFactory(name="Showroom Dresden")
    LocationFactory(name="Showroom Leipzig")
    with django_assert_num_queries(2):
        first = location_list_public_cached()

    # When they are asked for again
    with django_assert_num_queries(0):
        again = location_list_public_cached()

    # Then the same objects come back, in a list of the caller's own
    assert [location.name for location in again] == ["Showroom Dresden", "Showroom Leipzig"]
    assert again == first
    assert again is not first
    assert all(a is b for a, b in zip(again, first, strict=True))


def test_a_new_version_reads_the_change():
    # Given the list read once
    location = LocationFactory(name="Showroom Dresden")
    location_list_public_cached()

    # When the location is renamed and the version moves (as the admin does on commit)
    Location.objects.filter(pk=location.pk).update(name="Autohaus Dresden")
    locations_invalidate()

    # Then the next read shows the new name
    assert [loc.name for loc in location_list_public_cached()] == ["Autohaus Dresden"]


def test_the_memo_expires_for_changes_written_without_a_new_version():
    # Given the list read once
    location = LocationFactory(name="Showroom Dresden")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        location_list_public_cached()

    # When the name changes in the database and the cache loses the entry, but not the version
    Location.objects.filter(pk=location.pk).update(name="Autohaus Dresden")
    from django.core.cache import cache

    from dealership.accounts.location_cache import locations_version
    from dealership.release import cache_key

    cache.delete(cache_key(f"accounts:public-locations:{locations_version()}"))
    with time_machine.travel(start + datetime.timedelta(seconds=LOCATIONS_MEMO_SECONDS - 1)):
        before = [loc.name for loc in location_list_public_cached()]
    with time_machine.travel(start + datetime.timedelta(seconds=LOCATIONS_MEMO_SECONDS + 1)):
        after = [loc.name for loc in location_list_public_cached()]

    # Then the process shows the old name until its memo expires, then the new one
    assert before == ["Showroom Dresden"]
    assert after == ["Autohaus Dresden"]
