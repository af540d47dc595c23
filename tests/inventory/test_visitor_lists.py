import pytest

from inventory.models import Vehicle

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db


def _toggle(client, url, vehicle, **extra):
    return client.post(url, {"vehicle": vehicle.pk, "next": "/vehicles/"}, **extra)


def test_compare_holds_up_to_four_cars_side_by_side(client):
    cars = VehicleFactory.create_batch(5)
    for car in cars[:4]:
        assert _toggle(client, "/vehicles/compare/", car).status_code == 302

    fifth = _toggle(client, "/vehicles/compare/", cars[4], follow=True)
    page = client.get("/vehicles/compare/")

    assert "You can compare up to 4 vehicles. Remove one to add another." in (
        fifth.content.decode()
    )
    assert [v.pk for v in page.context["vehicles"]] == [c.pk for c in cars[:4]]


def test_compare_toggle_with_htmx_returns_the_button(client):
    car = VehicleFactory()

    response = _toggle(client, "/vehicles/compare/", car, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-pressed="true"' in html
    assert "Remove from compare" in html
    assert "View comparison (1)" in html


def test_toggling_twice_removes_the_car(client):
    car = VehicleFactory()
    _toggle(client, "/vehicles/compare/", car)
    _toggle(client, "/vehicles/compare/", car)

    assert client.get("/vehicles/compare/").context["vehicles"] == []


def test_favourites_survive_without_an_account_and_hide_sold_cars(client):
    kept, sold = VehicleFactory(), VehicleFactory()
    _toggle(client, "/vehicles/favourites/", kept)
    _toggle(client, "/vehicles/favourites/", sold)
    Vehicle.objects.filter(pk=sold.pk).update(status=Vehicle.Status.SOLD)

    page = client.get("/vehicles/favourites/")

    assert [v.pk for v in page.context["vehicles"]] == [kept.pk]


def test_tampered_cookie_is_ignored(client):
    car = VehicleFactory()
    client.cookies["compare"] = f"{car.pk}:forged"

    assert client.get("/vehicles/compare/").context["vehicles"] == []


def test_unknown_vehicle_is_refused_and_the_list_unchanged(client):
    response = client.post("/vehicles/compare/", {"vehicle": "999999"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert "That vehicle is no longer available." in response.content.decode()
    assert "compare" not in response.cookies


def test_next_must_stay_on_this_site(client):
    car = VehicleFactory()

    response = client.post(
        "/vehicles/favourites/", {"vehicle": car.pk, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/vehicles/favourites/"


def test_toggles_need_csrf(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    car = VehicleFactory()

    assert strict.post("/vehicles/compare/", {"vehicle": car.pk}).status_code == 403
