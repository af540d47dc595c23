"""Shared set-up of the live-chat tests."""

from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory

ALWAYS_OPEN = dict.fromkeys(range(7), ("00:00", "23:59"))


def open_location(**kwargs):
    """A location open all day every day (the clock never lands outside its hours)."""
    return LocationFactory(weekday_hours=ALWAYS_OPEN, **kwargs)


def consultant_at(location, **kwargs):
    return UserFactory(role=Role.CONSULTANT, locations=[location], **kwargs)
