"""The cache layer (dealership/core/caching.py): each write path moves exactly the versions it
should, on commit, and no others; every cache is in the registry and in docs/caching.md."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone

from dealership.accounts.models import TaxRateChange
from dealership.accounts.roles import Role
from dealership.accounts.services import tax_rates_apply
from dealership.core import caching
from inventory.models import Vehicle
from inventory.photos import photo_add, photo_process
from inventory.services import vehicle_set_status, vehicle_update
from inventory.transfers import (
    transfer_approve,
    transfer_arrive,
    transfer_dispatch,
    transfer_request,
)
from tests.accounts.factories import LocationFactory, UserFactory

from .factories import VehicleFactory, jpeg_bytes

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _moved(before: tuple[str, ...]) -> set[str]:
    """The versions whose token differs from ``before`` (read for caching.VERSIONS)."""
    after = caching.versions(*caching.VERSIONS)
    return {
        name for name, old, new in zip(caching.VERSIONS, before, after, strict=True) if old != new
    }


@pytest.fixture
def versions():
    cache.clear()
    return caching.versions(*caching.VERSIONS)


def test_a_price_change_moves_the_inventory_version_only_at_commit(
    versions, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(list_price=Decimal("20000"))
    before = caching.versions(*caching.VERSIONS)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert vehicle_update(vehicle=vehicle, list_price=Decimal("18990")) == ["list_price"]
    assert _moved(before) == set()  # nothing before the commit
    for callback in callbacks:
        callback()

    assert _moved(before) == {caching.INVENTORY}


def test_a_status_change_moves_the_inventory_version_only(
    versions, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    before = caching.versions(*caching.VERSIONS)

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_set_status(vehicle=vehicle, status=Vehicle.Status.RESERVED, reason="order")

    assert _moved(before) == {caching.INVENTORY}


def test_a_rolled_back_write_moves_nothing(versions, django_capture_on_commit_callbacks):
    vehicle = VehicleFactory()
    before = caching.versions(*caching.VERSIONS)

    def write_then_fail():
        with transaction.atomic():
            vehicle_update(vehicle=vehicle, mileage=12345)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        write_then_fail()

    assert _moved(before) == set()
    assert Vehicle.objects.get(pk=vehicle.pk).mileage != 12345


def test_a_direct_queryset_update_moves_no_version(versions):
    # Writes around the services are not announced (the keyed-by-row caches still follow them:
    # cards and fragments read the row's values; see test_cards / test_fragments).
    vehicle = VehicleFactory()
    before = caching.versions(*caching.VERSIONS)

    Vehicle.objects.filter(pk=vehicle.pk).update(mileage=1)

    assert _moved(before) == set()


def test_a_photo_made_ready_moves_the_page_version_only(
    versions, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    upload = SimpleUploadedFile("front.jpg", jpeg_bytes(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        photo = photo_add(vehicle=vehicle, upload=upload, alt_text="Front view")
    before = caching.versions(*caching.VERSIONS)

    with django_capture_on_commit_callbacks(execute=True):
        photo_process(photo_id=photo.pk)

    photo.refresh_from_db()
    assert photo.status == "ready"
    assert _moved(before) == {caching.PAGES}


def test_a_location_edited_in_the_admin_moves_the_locations_version_only(
    versions, django_capture_on_commit_callbacks
):
    location = LocationFactory(name="Showroom Leipzig")
    admin = UserFactory(locations=[location])
    admin.is_superuser = admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    Group.objects.get(name="Administrator").user_set.add(admin)
    staff = Client()
    staff.force_login(admin)
    fields = {
        name: getattr(location, name)
        for name in (
            "slug",
            "street",
            "postal_code",
            "city",
            "country",
            "phone",
            "email",
            "time_zone",
            "tax_regime",
            "sales_tax_rate",
            "documentation_fee",
        )
    }
    before = caching.versions(*caching.VERSIONS)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/accounts/location/{location.pk}/change/",
            {
                **fields,
                "name": "Autohaus Leipzig",
                "is_active": "on",
                "opening_hours-TOTAL_FORMS": "0",
                "opening_hours-INITIAL_FORMS": "0",
                "tax_rate_changes-TOTAL_FORMS": "0",
                "tax_rate_changes-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302
    assert _moved(before) == {caching.LOCATIONS}


def test_a_tax_rate_coming_into_force_moves_the_locations_version_only(
    versions, django_capture_on_commit_callbacks
):
    location = LocationFactory(time_zone="Europe/Berlin", sales_tax_rate=Decimal("19.000"))
    TaxRateChange.objects.create(
        location=location, rate=Decimal("16.000"), valid_from=datetime.date(2026, 1, 1)
    )
    now = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)
    before = caching.versions(*caching.VERSIONS)

    with django_capture_on_commit_callbacks(execute=True):
        assert tax_rates_apply(now=now) == 1

    assert _moved(before) == {caching.LOCATIONS}
    before = caching.versions(*caching.VERSIONS)
    with django_capture_on_commit_callbacks(execute=True):
        assert tax_rates_apply(now=now) == 0  # nothing left to apply: nothing moves
    assert _moved(before) == set()


def test_a_transfer_moves_the_inventory_version_when_the_car_leaves_and_arrives(
    versions, django_capture_on_commit_callbacks
):
    dresden = LocationFactory(slug="dresden", city="Dresden")
    leipzig = LocationFactory(slug="leipzig", city="Leipzig")
    car = VehicleFactory(location=dresden)
    dresden_manager = UserFactory(role=Role.SALES_MANAGER, locations=[dresden])
    leipzig_manager = UserFactory(role=Role.SALES_MANAGER, locations=[leipzig])
    before = caching.versions(*caching.VERSIONS)

    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_request(
            vehicle=car, to_location=leipzig, by=leipzig_manager, reason="Customer in Leipzig"
        )
        transfer_approve(transfer=transfer, by=dresden_manager)
    # Requested and approved: the showroom shows nothing new yet.
    assert _moved(before) == set()

    with django_capture_on_commit_callbacks(execute=True):
        transfer_dispatch(
            transfer=transfer, by=dresden_manager, eta=timezone.localdate() + datetime.timedelta(3)
        )
    assert _moved(before) == {caching.INVENTORY}

    before = caching.versions(*caching.VERSIONS)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_arrive(transfer=transfer, by=leipzig_manager)
    assert _moved(before) == {caching.INVENTORY}
    assert Vehicle.objects.get(pk=car.pk).location_id == leipzig.pk


def test_each_language_has_its_own_page_and_one_version_move_renews_them_all(
    versions, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    client = Client()
    url = vehicle.get_absolute_url()
    for language in ("en", "de", "fi"):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=language)["X-Page-Cache"] == "miss"
    for language in ("en", "de", "fi"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page["X-Page-Cache"] == "hit"
        assert page["Content-Language"] == language

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_update(vehicle=vehicle, list_price=Decimal("23990"))

    for language, price in (("en", "23,990"), ("de", "23.990"), ("fi", "23\xa0990")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page["X-Page-Cache"] == "miss"
        assert price in page.content.decode()


def test_bump_refuses_a_version_nobody_reads(versions):
    with pytest.raises(ValueError, match="unknown cache version"):
        caching.bump("inventory:nonsense:version")
    assert _moved(versions) == set()


def test_an_emptied_cache_starts_new_versions_that_every_reader_agrees_on(versions):
    cache.clear()

    first = caching.versions(*caching.VERSIONS)

    assert caching.versions(*caching.VERSIONS) == first
    assert caching.version(caching.INVENTORY) == first[0]
    assert set(first).isdisjoint(versions)


def test_the_benchmark_switch_turns_off_only_the_layers_named(monkeypatch):
    assert all(caching.enabled(name) for name in caching.CACHES)

    monkeypatch.setenv("SHOWROOM_CACHE_DISABLE", "cards, fragments")

    assert {name for name in caching.CACHES if not caching.enabled(name)} == {"cards", "fragments"}


def test_the_page_cache_is_off_with_its_layer_switched_off(client, monkeypatch):
    vehicle = VehicleFactory()
    client.get(vehicle.get_absolute_url())
    assert client.get(vehicle.get_absolute_url())["X-Page-Cache"] == "hit"

    monkeypatch.setenv("SHOWROOM_CACHE_DISABLE", "pages")

    page = client.get(vehicle.get_absolute_url())
    assert page.status_code == 200
    assert "X-Page-Cache" not in page


def test_every_cache_and_version_is_in_the_documentation():
    doc = (ROOT / "docs" / "caching.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \|", doc, flags=re.M)

    assert set(rows) == set(caching.CACHES)
    for name in caching.VERSIONS:
        assert f"`{name}`" in doc
    assert "docs/caching.md" in (ROOT / "README.md").read_text()
