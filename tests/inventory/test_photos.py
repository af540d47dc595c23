import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inventory import photos
from inventory.models import VehiclePhoto
from inventory.photos import photo_add, photo_process

from .factories import VehicleFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 20.0, 0.0)}  # GPS IFD
    return exif.tobytes()


def _upload(data: bytes, name="car.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_upload_is_processed_into_sizes_without_exif(django_capture_on_commit_callbacks):
    vehicle = VehicleFactory()
    upload = _upload(jpeg_bytes(size=(2400, 1800), exif=_exif_with_gps()))

    with django_capture_on_commit_callbacks(execute=True):
        photo = photo_add(vehicle=vehicle, upload=upload, alt_text="Front view")

    photo.refresh_from_db()
    assert photo.status == VehiclePhoto.Status.READY
    assert photo.is_primary
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.original.name == ""
    with photo.gallery.open("rb") as handle:
        gallery = Image.open(io.BytesIO(handle.read()))
        assert gallery.format == "JPEG"
        assert gallery.size == (1600, 1200)
        assert dict(gallery.getexif()) == {}
    with photo.thumbnail.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (480, 360)


def test_second_photo_is_not_primary_and_comes_after(django_capture_on_commit_callbacks):
    vehicle = VehicleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = photo_add(vehicle=vehicle, upload=_upload(jpeg_bytes()))
        second = photo_add(vehicle=vehicle, upload=_upload(jpeg_bytes(fmt="PNG"), "b.png"))

    assert (first.is_primary, first.position) == (True, 0)
    assert (second.is_primary, second.position) == (False, 1)


def test_processing_twice_is_a_no_op(django_capture_on_commit_callbacks):
    vehicle = VehicleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        photo = photo_add(vehicle=vehicle, upload=_upload(jpeg_bytes()))
    photo.refresh_from_db()
    gallery = photo.gallery.name

    photo_process(photo_id=photo.pk)

    photo.refresh_from_db()
    assert photo.gallery.name == gallery
    assert VehiclePhoto.objects.count() == 1


def test_photo_waits_as_a_placeholder_until_processed(client):
    vehicle = VehicleFactory()
    # Not executing the on-commit callbacks: the task has not run yet.
    photo_add(vehicle=vehicle, upload=_upload(jpeg_bytes()))

    response = client.get(vehicle.get_absolute_url())

    assert VehiclePhoto.objects.get().status == VehiclePhoto.Status.PENDING
    assert "Photos coming soon" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"%PDF-1.4 not an image",
            "car.jpg",
            "The file is not a photo we can read; please upload a JPEG, PNG or WebP image.",
        ),
        (
            jpeg_bytes(fmt="GIF"),
            "car.gif",
            "This is a GIF image; please upload a JPEG, PNG or WebP photo.",
        ),
    ],
)
def test_hostile_uploads_are_refused_and_nothing_changes(data, name, message):
    vehicle = VehicleFactory()

    with pytest.raises(ValidationError) as error:
        photo_add(vehicle=vehicle, upload=_upload(data, name))

    assert error.value.messages == [message]
    assert VehiclePhoto.objects.count() == 0


def test_decompression_bomb_is_refused(monkeypatch):
    vehicle = VehicleFactory()
    # A 3000×3000 PNG compresses to a few kB; with the bomb limit lowered it is a bomb.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    bomb = jpeg_bytes(size=(3000, 3000), fmt="PNG", colour=(0, 0, 0))

    with pytest.raises(ValidationError) as error:
        photo_add(vehicle=vehicle, upload=_upload(bomb, "bomb.png"))

    assert error.value.messages == [
        "The image claims an enormous size (a decompression bomb); it was refused."
    ]
    assert VehiclePhoto.objects.count() == 0


def test_too_many_pixels_is_refused(monkeypatch):
    vehicle = VehicleFactory()
    monkeypatch.setattr(photos, "MAX_PIXELS", 1_000_000)

    with pytest.raises(ValidationError) as error:
        photo_add(vehicle=vehicle, upload=_upload(jpeg_bytes(size=(2000, 1000))))

    assert error.value.messages == [
        "The image is 2000 × 1000 pixels; photos may have at most 1 megapixels."
    ]
    assert VehiclePhoto.objects.count() == 0


def test_huge_file_is_refused_before_it_is_read(monkeypatch):
    vehicle = VehicleFactory()
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 1024 * 1024)
    upload = _upload(b"\xff\xd8" + b"0" * (2 * 1024 * 1024))

    with pytest.raises(ValidationError) as error:
        photo_add(vehicle=vehicle, upload=upload)

    assert error.value.messages == ["The file is 2 MB; photos may be at most 1 MB."]
    assert VehiclePhoto.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_primary_photo_per_vehicle_is_held_by_the_database():
    from django.db import IntegrityError

    vehicle = VehicleFactory()
    VehiclePhoto.objects.create(vehicle=vehicle, is_primary=True, status="ready")

    with pytest.raises(IntegrityError):
        VehiclePhoto.objects.create(vehicle=vehicle, is_primary=True, status="ready")

    assert VehiclePhoto.objects.filter(vehicle=vehicle).count() == 1
