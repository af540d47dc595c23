"""Hostile uploads on every upload field: the trade-in photos of the public enquiry form,
vehicle photos in the admin, the recall campaign's VIN file and the vehicle CSV import.
A decompression bomb, SVG with script, HTML named .jpg, a GIF/JS polyglot, a truncated JPEG,
a 50 MB file: a clean refusal with a clear message, no row, no file left in storage."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from dealership.accounts.roles import Role
from inventory.models import Vehicle, VehiclePhoto
from leads.models import Customer, Lead, TradeInPhoto
from tests.accounts.factories import UserFactory
from tests.inventory.factories import jpeg_bytes

pytestmark = pytest.mark.django_db

NOT_A_PHOTO = "The file is not a photo we can read; please upload a JPEG, PNG or WebP image."
BOMB = "The image claims an enormous size (a decompression bomb); it was refused."


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few hundred bytes whose header declares width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def gif_js_polyglot() -> bytes:
    """A real GIF that is also a script when served as one."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(buffer, format="GIF")
    return buffer.getvalue() + b"*/=1;alert(document.cookie);/*"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"

HOSTILE_PHOTOS = [
    ("bomb.png", png_bomb(), BOMB),
    ("car.svg", SVG, NOT_A_PHOTO),
    ("car.jpg", SVG, NOT_A_PHOTO),
    ("car.jpg", HTML, NOT_A_PHOTO),
    ("car.gif", gif_js_polyglot(), "This is a GIF image; please upload a JPEG, PNG or WebP photo."),
    ("car.jpg", jpeg_bytes(size=(640, 480))[:2_000], NOT_A_PHOTO),
]
HOSTILE_IDS = ["decompression-bomb", "svg", "svg-as-jpg", "html-as-jpg", "gif-js", "truncated"]


def _stored_files(media_root) -> list[Path]:
    root = Path(media_root)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _fifty_megabytes(tmp_path) -> Path:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as out:
        out.write(jpeg_bytes())
        out.truncate(50 * 1024 * 1024)
    return path


# --- Trade-in photos (public) -------------------------------------------------------------------


def _tradein(location, photos):
    return {
        "type": "trade_in",
        "location": location.pk,
        "first_name": "Lena",
        "last_name": "Hoffmann",
        "email": "lena.hoffmann@example.de",
        "tradein_year": "2016",
        "tradein_make": "Opel",
        "tradein_model": "Astra",
        "tradein_mileage_km": "120000",
        "photos": photos,
    }


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.LEADS_FORM_RATE_LIMIT = 10_000


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE_PHOTOS, ids=HOSTILE_IDS)
def test_hostile_trade_in_photo_is_refused_and_nothing_is_stored(
    client, location, consultant, media_root, name, data, message
):
    good = SimpleUploadedFile("side.jpg", jpeg_bytes(), "image/jpeg")
    bad = SimpleUploadedFile(name, data, "image/jpeg")

    response = client.post("/enquiries/new/", _tradein(location, [good, bad]))

    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == [message]
    assert message in response.content.decode()
    assert (Lead.objects.count(), Customer.objects.count(), TradeInPhoto.objects.count()) == (
        0,
        0,
        0,
    )
    assert _stored_files(media_root) == []


def test_a_trade_in_photo_over_5_mb_is_refused(client, location, consultant, media_root):
    big = SimpleUploadedFile("big.jpg", jpeg_bytes() + b"\x00" * (6 * 1024 * 1024), "image/jpeg")

    response = client.post("/enquiries/new/", _tradein(location, [big]))

    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == ["big.jpg is larger than 5 MB."]
    assert Lead.objects.count() == TradeInPhoto.objects.count() == 0
    assert _stored_files(media_root) == []


def test_a_50_mb_upload_gets_413_before_it_is_read(
    client, location, consultant, media_root, tmp_path
):
    with _fifty_megabytes(tmp_path).open("rb") as huge:
        response = client.post("/enquiries/new/", _tradein(location, [huge]))

    assert response.status_code == 413
    assert "What you sent is too large" in response.content.decode()
    assert "Files and forms together may be at most 30 MB." in response.content.decode()
    assert Lead.objects.count() == TradeInPhoto.objects.count() == 0
    assert _stored_files(media_root) == []


def test_a_good_trade_in_photo_is_still_accepted(client, location, consultant, media_root):
    good = SimpleUploadedFile("side.jpg", jpeg_bytes(), "image/jpeg")

    response = client.post("/enquiries/new/", _tradein(location, [good]))

    assert response.status_code == 302
    assert TradeInPhoto.objects.count() == 1
    assert len(_stored_files(media_root)) == 1


# --- Vehicle photos (admin) ---------------------------------------------------------------------


def _vehicle_form(location, photo) -> dict:
    from tests.inventory.test_admin import _form

    data = _form(
        location,
        **{"photos-TOTAL_FORMS": "1", "photos-0-alt_text": "Side", "photos-0-position": "0"},
    )
    data["photos-0-original"] = photo
    return data


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE_PHOTOS, ids=HOSTILE_IDS)
def test_hostile_vehicle_photo_in_the_admin_is_refused_and_nothing_is_stored(
    admin_client, location, media_root, name, data, message
):
    response = admin_client.post(
        "/admin/inventory/vehicle/add/",
        _vehicle_form(location, SimpleUploadedFile(name, data, "image/jpeg")),
    )

    assert response.status_code == 400
    inline = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert inline.errors["original"] == [message]
    assert Vehicle.objects.count() == VehiclePhoto.objects.count() == 0
    assert _stored_files(media_root) == []


def test_a_50_mb_vehicle_photo_gets_413(admin_client, location, media_root, tmp_path):
    with _fifty_megabytes(tmp_path).open("rb") as huge:
        response = admin_client.post("/admin/inventory/vehicle/add/", _vehicle_form(location, huge))

    assert response.status_code == 413
    assert Vehicle.objects.count() == VehiclePhoto.objects.count() == 0
    assert _stored_files(media_root) == []


# --- Documents: the recall VIN list and the vehicle CSV import --------------------------------


@pytest.fixture
def manager_client(location):
    client = Client()
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))
    return client


def _recall(upload) -> dict:
    return {
        "code": "24V-123",
        "title": "Brake hose",
        "description": "The brake hose may chafe.",
        "remedy": "Replace the hose.",
        "vin_file": upload,
    }


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vins.csv", png_bomb(), "The file is not UTF-8 text."),
        ("vins.csv", b"\xff\xfe\x00\x00garbage", "The file is not UTF-8 text."),
        ("vins.csv", b"", "Upload a CSV file or paste the VINs."),
    ],
    ids=["binary", "utf-32-garbage", "empty"],
)
def test_a_hostile_recall_vin_file_is_refused(manager_client, media_root, name, data, message):
    from aftersales.models import RecallCampaign

    response = manager_client.post(
        "/staff/service/recalls/import/", _recall(SimpleUploadedFile(name, data, "text/csv"))
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert RecallCampaign.objects.count() == 0
    assert _stored_files(media_root) == []


def test_a_50_mb_recall_vin_file_gets_413(manager_client, media_root, tmp_path):
    from aftersales.models import RecallCampaign

    with _fifty_megabytes(tmp_path).open("rb") as huge:
        response = manager_client.post("/staff/service/recalls/import/", _recall(huge))

    assert response.status_code == 413
    assert RecallCampaign.objects.count() == 0


def test_a_50_mb_vehicle_csv_import_gets_413(admin_client, media_root, tmp_path):
    with _fifty_megabytes(tmp_path).open("rb") as huge:
        response = admin_client.post("/admin/inventory/vehicle/import/", {"file": huge})

    assert response.status_code == 413
    assert Vehicle.objects.count() == 0
