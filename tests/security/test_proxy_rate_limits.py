"""Public forms count submissions per client, and behind a reverse proxy the client is the
address the proxy reports (TRUSTED_PROXY_COUNT), not the proxy itself: otherwise every
visitor would share one bucket and five enquiries would close the form for everyone."""

import pytest

from dealership.accounts.roles import Role
from leads.models import Lead
from testdrives.models import Booking
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.testdrives.factories import TestDriveSettingsFactory

pytestmark = pytest.mark.django_db

VISITOR, NEIGHBOUR = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def forms(settings):
    """The enquiry and test-drive forms of one car, each allowing two posts per client."""
    settings.LEADS_FORM_RATE_LIMIT = 2
    settings.TESTDRIVES_FORM_RATE_LIMIT = 2
    location = LocationFactory()
    TestDriveSettingsFactory(location=location)
    UserFactory(role=Role.CONSULTANT, locations=[location])
    vehicle = VehicleFactory(location=location)
    return [f"/enquiries/vehicle/{vehicle.pk}/", f"/test-drives/book/{vehicle.pk}/"]


def _post(client, url: str, forwarded_for: str) -> int:
    # An empty form: invalid (400) unless the limit answers first (429).
    return client.post(url, {}, HTTP_X_FORWARDED_FOR=forwarded_for).status_code


@pytest.mark.parametrize("form", [0, 1], ids=["enquiry", "test drive"])
def test_behind_one_proxy_each_client_has_its_own_limit(client, settings, forms, form):
    # Given one trusted proxy in front of the site
    settings.TRUSTED_PROXY_COUNT = 1
    url = forms[form]

    # When one visitor posts three times, a neighbour once, and the first visitor once more
    # with a made-up address in front of the one the proxy appended
    visitor = [_post(client, url, VISITOR) for _ in range(3)]
    neighbour = _post(client, url, NEIGHBOUR)
    forged = _post(client, url, f"192.0.2.1, {VISITOR}")

    # Then only the visitor is limited, and forging the header does not escape the limit
    assert visitor == [400, 400, 429]
    assert neighbour == 400
    assert forged == 429
    assert (Lead.objects.count(), Booking.objects.count()) == (0, 0)


@pytest.mark.parametrize("form", [0, 1], ids=["enquiry", "test drive"])
def test_without_a_trusted_proxy_the_header_is_ignored(client, settings, forms, form):
    # Given no trusted proxy (the default): X-Forwarded-For is whatever the client wrote
    settings.TRUSTED_PROXY_COUNT = 0
    url = forms[form]

    # When a client sends a different made-up address with every post
    statuses = [_post(client, url, f"198.51.100.{n}") for n in range(3)]

    # Then they all count for its real address
    assert statuses == [400, 400, 429]
    assert (Lead.objects.count(), Booking.objects.count()) == (0, 0)
