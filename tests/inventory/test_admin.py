import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Vehicle, VehicleDailyViews, VehiclePhoto
from tests.accounts.factories import LocationFactory

from .factories import VehicleFactory, jpeg_bytes, make_vin

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/inventory/vehicle/add/"


def _form(location, **overrides):
    data = {
        "vin": "1HGCM82633A004352",
        "stock_number": "H100",
        "location": location.pk,
        "status": "available",
        "condition": "used",
        "make": "",
        "model": "",
        "trim": "",
        "model_year": "",
        "body_type": "",
        "fuel": "",
        "transmission": "",
        "drivetrain": "fwd",
        "engine": "",
        "mileage": "150000",
        "exterior_colour": "silver",
        "exterior_colour_name": "",
        "interior_colour": "",
        "seats": "5",
        "doors": "",
        "list_price": "4990",
        "sale_price": "",
        "description": "",
        "in_stock_since": "2026-11-01",
        "photos-TOTAL_FORMS": "0",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_typing_a_vin_prefills_the_empty_fields(admin_client):
    location = LocationFactory()

    response = admin_client.post(ADD_URL, _form(location))

    assert response.status_code == 302
    vehicle = Vehicle.objects.get()
    assert (
        vehicle.make,
        vehicle.model,
        vehicle.model_year,
        vehicle.trim,
        vehicle.body_type,
        vehicle.fuel,
        vehicle.transmission,
        vehicle.doors,
    ) == ("Honda", "Accord", 2003, "EX-V6", "coupe", "petrol", "automatic", 2)
    assert vehicle.vin_data["Plant Country"] == "UNITED STATES (USA)"
    assert vehicle.slug == "2003-honda-accord-h100"


def test_staff_corrections_win_over_the_decoded_values(admin_client):
    location = LocationFactory()

    admin_client.post(ADD_URL, _form(location, model="Accord Coupé", trim="EX"))

    vehicle = Vehicle.objects.get()
    assert (vehicle.model, vehicle.trim, vehicle.make) == ("Accord Coupé", "EX", "Honda")


def test_invalid_vin_in_admin_says_which_check_digit_fails(admin_client):
    location = LocationFactory()

    response = admin_client.post(ADD_URL, _form(location, vin="1HGCM82634A004352"))

    assert response.status_code == 400
    assert response.context["adminform"].form.errors["vin"] == [
        "The check digit (character 9) of the VIN is “3” but should be “1”: "
        "a character is probably mistyped."
    ]
    assert Vehicle.objects.count() == 0


def test_european_vin_without_model_asks_staff_to_fill_it_in(admin_client):
    location = LocationFactory()

    response = admin_client.post(ADD_URL, _form(location, vin="WVWZZZCDZNW123456"))

    errors = response.context["adminform"].form.errors
    assert errors["model"] == ["The VIN does not say; please fill this in."]
    assert Vehicle.objects.count() == 0


def test_inline_photo_upload_is_checked_and_queued(
    admin_client, django_capture_on_commit_callbacks
):
    location = LocationFactory()
    data = _form(
        location,
        **{"photos-TOTAL_FORMS": "1", "photos-0-alt_text": "Side", "photos-0-position": "0"},
    )
    data["photos-0-original"] = SimpleUploadedFile("side.jpg", jpeg_bytes(), "image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(ADD_URL, data)

    assert response.status_code == 302
    photo = VehiclePhoto.objects.get()
    assert (photo.alt_text, photo.is_primary, photo.status) == ("Side", True, "ready")


def test_hostile_inline_upload_leaves_the_vehicle_as_it_was(admin_client):
    vehicle = VehicleFactory(vin=make_vin(7), list_price=Decimal("20000"))
    url = f"/admin/inventory/vehicle/{vehicle.pk}/change/"
    data = _form(
        vehicle.location,
        vin=vehicle.vin,
        stock_number=vehicle.stock_number,
        make="Volkswagen",
        model="Golf",
        model_year="2022",
        body_type="hatchback",
        fuel="petrol",
        transmission="manual",
        doors="5",
        list_price="15000",
        **{"photos-TOTAL_FORMS": "1", "photos-0-alt_text": "x", "photos-0-position": "0"},
    )
    data["photos-0-original"] = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", "image/jpeg")

    response = admin_client.post(url, data)

    assert response.status_code == 400
    assert "The file is not a photo we can read; please upload a JPEG, PNG or WebP image." in (
        response.content.decode()
    )
    vehicle.refresh_from_db()
    assert vehicle.list_price == Decimal("20000.00")
    assert VehiclePhoto.objects.count() == 0


def test_bulk_status_action(admin_client):
    vehicles = VehicleFactory.create_batch(3, status="draft", published_at=None)

    response = admin_client.post(
        "/admin/inventory/vehicle/",
        {"action": "mark_available", "_selected_action": [v.pk for v in vehicles[:2]]},
        follow=True,
    )

    assert "2 vehicles marked available." in response.content.decode()
    assert sorted(Vehicle.objects.values_list("status", flat=True)) == [
        "available",
        "available",
        "draft",
    ]
    assert Vehicle.objects.filter(status="available", published_at__isnull=False).count() == 2


def test_admin_search_by_vin_and_stock(admin_client):
    wanted = VehicleFactory(stock_number="FIND1")
    VehicleFactory()

    by_stock = admin_client.get("/admin/inventory/vehicle/", {"q": "FIND1"})
    by_vin = admin_client.get("/admin/inventory/vehicle/", {"q": wanted.vin})

    assert [v.pk for v in by_stock.context["cl"].result_list] == [wanted.pk]
    assert [v.pk for v in by_vin.context["cl"].result_list] == [wanted.pk]


def test_import_view_dry_run_then_real_run(admin_client):
    LocationFactory(slug="leipzig")
    csv = (
        "vin,stock_number,year,make,model,body_type,fuel,transmission,drivetrain,"
        "exterior_colour,condition,list_price,location\n"
        f"{make_vin(5)},C5,2021,Kia,EV6,suv,electric,automatic,awd,white,used,38990,leipzig\n"
    ).encode()

    dry = admin_client.post(
        "/admin/inventory/vehicle/import/",
        {"file": SimpleUploadedFile("feed.csv", csv, "text/csv"), "dry_run": "on"},
    )
    assert "Dry run: 1 rows are valid — 1 would be created" in dry.content.decode()
    assert Vehicle.objects.count() == 0

    real = admin_client.post(
        "/admin/inventory/vehicle/import/",
        {"file": SimpleUploadedFile("feed.csv", csv, "text/csv")},
        follow=True,
    )
    assert "Import done: 1 created, 0 updated, 0 unchanged." in real.content.decode()
    assert Vehicle.objects.get().stock_number == "C5"


def test_export_view_downloads_csv(admin_client):
    VehicleFactory(stock_number="E1")

    response = admin_client.get("/admin/inventory/vehicle/export/")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert len(lines) == 2
    assert lines[1].split(",")[1] == "E1"


def test_decode_vin_endpoint_returns_the_prefill(admin_client):
    response = admin_client.get(
        "/admin/inventory/vehicle/decode-vin/", {"vin": "5yj3e1ea8jf000000"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "vin": "5YJ3E1EA8JF000000",
        "fields": {
            "make": "Tesla",
            "model": "Model 3",
            "model_year": 2018,
            "body_type": "sedan",
            "fuel": "electric",
            "transmission": "automatic",
            "doors": 4,
            "seats": 5,
        },
    }


def test_decode_vin_endpoint_names_the_failing_character(admin_client):
    response = admin_client.get(
        "/admin/inventory/vehicle/decode-vin/", {"vin": "WVWZZZCDZNWI23456"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "Character 12 of the VIN is “I”: I, O and Q are never used."
    }


def test_decode_vin_endpoint_is_for_staff_only(client):
    response = client.get("/admin/inventory/vehicle/decode-vin/", {"vin": "5YJ3E1EA8JF000000"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_manager_sees_and_files_vehicles_only_at_their_locations(client, manager):
    from dealership.accounts.services import roles_sync

    roles_sync()
    mine = VehicleFactory(location=manager.locations.get())
    other_location = LocationFactory()
    VehicleFactory(location=other_location)
    client.force_login(manager)

    listing = client.get("/admin/inventory/vehicle/")
    add = client.get(ADD_URL)

    assert [v.pk for v in listing.context["cl"].result_list] == [mine.pk]
    locations = add.context["adminform"].form.fields["location"].queryset
    assert list(locations) == [manager.locations.get()]


def test_vehicle_change_list_shows_views_of_the_last_30_days_in_one_query(
    admin_client, django_assert_num_queries
):
    # Given (today 16 March, UTC) a car viewed 4 times today, 3 times on 15 February (the
    # 30th day back) and 9 times on 14 February (too old), and a car never viewed
    viewed = VehicleFactory(stock_number="VW1", list_price=Decimal("30000"))
    VehicleFactory(stock_number="VW2", list_price=Decimal("20000"))
    for day, views in (((2026, 3, 16), 4), ((2026, 2, 15), 3), ((2026, 2, 14), 9)):
        VehicleDailyViews.objects.create(vehicle=viewed, day=datetime.date(*day), views=views)
    url = "/admin/inventory/vehicle/"

    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        # When a manager sorts the change list by views (its 9th column), most first
        with CaptureQueriesContext(connection) as first:
            response = admin_client.get(url, {"o": "-9"})
        # and again with ten more viewed cars
        for n in range(10):
            car = VehicleFactory(stock_number=f"MORE{n}")
            VehicleDailyViews.objects.create(vehicle=car, day=datetime.date(2026, 3, 10), views=n)
        with django_assert_num_queries(len(first)):
            again = admin_client.get(url, {"o": "-9"})

    # Then the column shows each car's 30-day sum, the views read in the list's own query
    assert response.status_code == 200
    assert "Views (30 days)" in response.content.decode()
    rows = response.context["cl"].result_list
    assert [(v.stock_number, v.views_recent) for v in rows] == [("VW1", 7), ("VW2", 0)]
    rows = again.context["cl"].result_list
    # (ties broken by the newest car first)
    assert [(v.stock_number, v.views_recent) for v in rows][:4] == [
        ("MORE9", 9),
        ("MORE8", 8),
        ("MORE7", 7),
        ("VW1", 7),
    ]
