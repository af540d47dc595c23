import datetime

import pytest
import time_machine
from django.core.cache import cache

from tests.inventory.factories import VehicleFactory

# Monday 2 March 2026, 08:00 in Berlin (07:00 UTC): the week before is irrelevant, the
# next DST change in Europe is on Sunday 29 March.
MONDAY_8_BERLIN = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY_8_BERLIN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def vehicle(location):
    return VehicleFactory(location=location, make="Volkswagen", model="Golf", stock_number="G2207")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()
