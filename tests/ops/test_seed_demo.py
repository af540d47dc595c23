import pytest
from django.apps import apps
from django.core.management import call_command

from dealership.accounts.models import User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label not in ("sessions", "admin", "contenttypes")
    }


def test_seed_demo_twice_leaves_the_same_counts(capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    second = _counts()

    assert first == second
    assert first["accounts.Location"] == 3
    assert first["accounts.User"] == 8


def test_seed_demo_prints_working_logins(capsys, client):
    call_command("seed_demo")
    output = capsys.readouterr().out

    assert "manager          showroom-demo   Sales manager" in output
    assert client.login(username="anna", password="showroom-demo")
    assert set(User.objects.get(username="anna").locations.values_list("slug", flat=True)) == {
        "leipzig"
    }


def test_seed_demo_locations_are_in_three_time_zones():
    call_command("seed_demo")

    from dealership.accounts.models import Location

    assert set(Location.objects.values_list("time_zone", flat=True)) == {
        "Europe/Berlin",
        "Europe/Lisbon",
        "Europe/Helsinki",
    }
