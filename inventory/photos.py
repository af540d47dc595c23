"""Vehicle photos: checking uploads by their content and producing the sizes we serve.

Uploads are trusted for nothing: the bytes must decode as JPEG, PNG or WebP, the file and
the pixel count are limited (Pillow's decompression-bomb check is an error here, not a
warning), and what we serve is re-encoded from the pixels, so EXIF and GPS never leave.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_UPLOAD_BYTES = getattr(settings, "VEHICLE_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
MAX_PIXELS = getattr(settings, "VEHICLE_PHOTO_MAX_PIXELS", 40_000_000)
SIZES = {"gallery": (1600, 1200), "thumbnail": (480, 360)}


@dataclass(frozen=True)
class CheckedImage:
    format: str
    width: int
    height: int


def photo_check_upload(upload) -> CheckedImage:
    """Raise ValidationError with a clear message unless ``upload`` is an acceptable photo."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)d MB; photos may be at most %(max)d MB.")
            % {"size": size // (1024 * 1024), "max": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="photo_too_large",
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                fmt = image.format
                width, height = image.size
                if fmt not in ALLOWED_FORMATS:
                    raise ValidationError(
                        _("This is a %(format)s image; please upload a JPEG, PNG or WebP photo.")
                        % {"format": fmt},
                        code="photo_format",
                    )
                if width * height > MAX_PIXELS:
                    raise ValidationError(
                        _(
                            "The image is %(width)d × %(height)d pixels; photos may have at "
                            "most %(max)d megapixels."
                        )
                        % {"width": width, "height": height, "max": MAX_PIXELS // 1_000_000},
                        code="photo_too_many_pixels",
                    )
                image.verify()
            # verify() checks the structure, not the pixel data: decode it all once so a
            # truncated or corrupt file is refused here, not by the worker that resizes it.
            upload.seek(position)
            with Image.open(upload) as image:
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The image claims an enormous size (a decompression bomb); it was refused."),
            code="photo_bomb",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("The file is not a photo we can read; please upload a JPEG, PNG or WebP image."),
            code="photo_not_image",
        ) from exc
    finally:
        if hasattr(upload, "seek"):
            upload.seek(position)
    return CheckedImage(format=fmt, width=width, height=height)


def render_sizes(data: bytes) -> dict[str, tuple[bytes, int, int]]:
    """Re-encode the photo at each served size as JPEG without metadata."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            image = ImageOps.exif_transpose(source).convert("RGB")
    out = {}
    for name, box in SIZES.items():
        copy = image.copy()
        copy.thumbnail(box, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        # A fresh RGB image has no info dict: no EXIF, no GPS, no ICC leaks out.
        copy.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
        out[name] = (buffer.getvalue(), copy.width, copy.height)
    return out


def photo_add(*, vehicle, upload, alt_text: str = "", is_primary: bool | None = None):
    """Check and store an upload as a pending photo; the sizes are made in a Celery task.

    Raises ValidationError (nothing stored, the vehicle unchanged) for a hostile upload.
    """
    from .models import VehiclePhoto
    from .tasks import process_vehicle_photo

    photo_check_upload(upload)
    with transaction.atomic():
        photos = VehiclePhoto.objects.select_for_update().filter(vehicle=vehicle)
        existing = list(photos.order_by("position"))
        primary = is_primary if is_primary is not None else not any(p.is_primary for p in existing)
        if primary:
            photos.filter(is_primary=True).update(is_primary=False)
        photo = VehiclePhoto(
            vehicle=vehicle,
            position=(existing[-1].position + 1) if existing else 0,
            is_primary=primary,
            alt_text=alt_text or f"{vehicle.title}",
        )
        upload.seek(0)
        photo.original.save("upload.bin", ContentFile(upload.read()), save=False)
        photo.full_clean()
        photo.save()
        process_vehicle_photo.delay_on_commit(photo.pk)
    return photo


def photo_process(*, photo_id: int) -> None:
    """Make the gallery and thumbnail sizes once. Safe to run twice: a ready photo is skipped,
    and the row lock makes a concurrent second run wait and then skip."""
    from .models import VehiclePhoto
    from .page_cache import page_cache_invalidate

    with transaction.atomic():
        photo = VehiclePhoto.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None or photo.status != VehiclePhoto.Status.PENDING or not photo.original:
            return
        try:
            with photo.original.open("rb") as handle:
                sizes = render_sizes(handle.read())
        except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            photo.status = VehiclePhoto.Status.FAILED
            photo.error = _("The image could not be processed.")
            photo.save(update_fields=["status", "error"])
            return
        for name, (data, width, height) in sizes.items():
            getattr(photo, name).save(
                f"{photo.vehicle_id}-{photo.pk}.jpg", ContentFile(data), save=False
            )
            if name == "gallery":
                photo.width, photo.height = width, height
        original = photo.original.name
        photo.original = ""
        photo.status = VehiclePhoto.Status.READY
        photo.error = ""
        photo.save(
            update_fields=["gallery", "thumbnail", "width", "height", "original", "status", "error"]
        )
        storage = VehiclePhoto._meta.get_field("original").storage
        transaction.on_commit(lambda: storage.delete(original))
        # The vehicle page shows the new photo at once (cards refresh on their own: see cards.py).
        transaction.on_commit(page_cache_invalidate)
