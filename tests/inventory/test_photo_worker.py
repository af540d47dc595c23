import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from dealership.celery import app as celery_app
from inventory.models import VehiclePhoto
from inventory.photos import photo_add

from .factories import VehicleFactory, jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]


def _database_url_for_worker() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_uploaded_photo_is_processed_by_a_real_worker_through_redis(monkeypatch, media_root):
    """The upload commits a pending photo; a separate worker process makes the sizes."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(media_root),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dealership",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", os.environ["REDIS_URL"])
    vehicle = VehicleFactory()
    try:
        with transaction.atomic():
            photo = photo_add(
                vehicle=vehicle,
                upload=SimpleUploadedFile("car.jpg", jpeg_bytes(size=(2000, 1500)), "image/jpeg"),
                alt_text="Front",
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            photo.refresh_from_db()
            if photo.status != VehiclePhoto.Status.PENDING:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()

    assert photo.status == VehiclePhoto.Status.READY, f"the worker did not process it:\n{output}"
    assert (photo.width, photo.height) == (1600, 1200)
    assert (media_root / photo.thumbnail.name).is_file()
    assert photo.original.name == ""
    # The upload as received (EXIF, GPS) is gone once the served sizes exist.
    assert list((media_root / "vehicles" / "originals").iterdir()) == []
