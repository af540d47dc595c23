"""Media on S3 (MEDIA_STORAGE=s3): checked against moto's S3 server, run as a real process
(tests/ops/moto_expiring_s3.py: moto, refusing a presigned URL after its expiry as S3 does)."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dealership.privacy.services import customer_erase
from inventory.models import VehiclePhoto
from inventory.photos import photo_add
from tests.inventory.factories import VehicleFactory, jpeg_bytes
from tests.leads.factories import CustomerFactory, LeadFactory
from tests.privacy.factories import TradeInPhotoFactory

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

BUCKET = "showroom-media-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free loopback port, for this module only."""
    port = _free_port()
    server = Path(__file__).with_name("moto_expiring_s3.py")
    process = subprocess.Popen(
        [sys.executable, str(server), "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings):
    """An empty bucket, and every default-storage file going to it."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 3600,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_the_settings_select_s3_with_private_signed_urls(s3_endpoint, bucket):
    from storages.backends.s3 import S3Storage

    name = default_storage.save("probe.txt", SimpleUploadedFile("probe.txt", b"hello"))
    assert isinstance(default_storage._wrapped, S3Storage)
    assert _keys(bucket) == {name}
    acl = bucket.get_object_acl(Bucket=BUCKET, Key=name)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert "X-Amz-Signature=" in default_storage.url(name)


def test_a_photo_upload_and_its_sizes_land_in_the_bucket(
    bucket, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    upload = SimpleUploadedFile("car.jpg", jpeg_bytes(size=(2000, 1500)), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        photo = photo_add(vehicle=vehicle, upload=upload)
    # CELERY_TASK_ALWAYS_EAGER: the thumbnail task ran on commit and removed the original.
    photo.refresh_from_db()
    assert photo.status == VehiclePhoto.Status.READY
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.original.name == ""
    assert _keys(bucket) == {photo.gallery.name, photo.thumbnail.name}
    assert photo.thumbnail.name.startswith("vehicles/thumbs/")
    with photo.thumbnail.open("rb") as handle:
        assert handle.read(3) == b"\xff\xd8\xff"  # a JPEG


def test_objects_are_private_and_a_signed_url_carries_its_expiry(bucket):
    name = default_storage.save("vehicles/thumbs/x.jpg", SimpleUploadedFile("x.jpg", b"jpeg"))
    storage = default_storage._wrapped
    unsigned = storage.url(name).split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=5)  # noqa: S310
    assert refused.value.code == 403
    url = storage.url(name, expire=1)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["1"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
        assert response.status == 200
        assert response.read() == b"jpeg"


def test_erasure_deletes_the_customers_objects_and_nobody_elses(
    bucket, manager, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    other = TradeInPhotoFactory(lead=LeadFactory())
    mine = [TradeInPhotoFactory(lead=LeadFactory(customer=customer)) for _ in range(2)]
    assert _keys(bucket) == {other.image.name, *(p.image.name for p in mine)}
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=customer, by=manager, reason="Request")
    assert _keys(bucket) == {other.image.name}


def test_a_signed_urls_expiry_is_enforced(bucket):
    name = default_storage.save("vehicles/thumbs/e.jpg", SimpleUploadedFile("e.jpg", b"jpeg"))
    url = default_storage._wrapped.url(name, expire=2)
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
        assert response.read() == b"jpeg"

    time.sleep(3.5)  # past X-Amz-Date + 2 s (X-Amz-Date has whole seconds)

    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310
    assert expired.value.code == 403
    assert b"Request has expired" in expired.value.read()


# --- Signed contracts ------------------------------------------------------------------------


@pytest.fixture
def signed_order(settings, location, consultant):
    from tests.orders.factories import advance, make_order

    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    return advance(
        make_order(VehicleFactory(location=location)), "contract_signed", staff=consultant
    )


def test_a_signed_contract_is_uploaded_and_its_link_is_a_short_signed_url(
    bucket, signed_order, client, settings
):
    from orders.models import Signature
    from orders.tokens import order_token

    settings.CONTRACT_URL_EXPIRE_SECONDS = 2
    signature = Signature.objects.get(order=signed_order)
    assert _keys(bucket) == {signature.pdf.name}
    assert signature.pdf.name.startswith("contracts/")
    stored = bucket.get_object(Bucket=BUCKET, Key=signature.pdf.name)["Body"].read()
    assert stored.startswith(b"%PDF-")

    response = client.get(reverse("orders:contract-pdf", args=[order_token(signed_order)]))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["2"]
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == [
        f'inline; filename="contract-{signed_order.reference}.pdf"'
    ]
    with urllib.request.urlopen(url, timeout=5) as fetched:  # noqa: S310
        assert fetched.headers["Content-Type"] == "application/pdf"
        assert fetched.read() == stored
    # The bucket is private: the URL without its signature is refused.
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(url.split("?")[0], timeout=5)  # noqa: S310
    assert unsigned.value.code == 403

    time.sleep(3.5)

    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310
    assert expired.value.code == 403
    # A new click gives a new URL that works.
    again = client.get(reverse("orders:contract-pdf", args=[order_token(signed_order)]))
    with urllib.request.urlopen(again["Location"], timeout=5) as fetched:  # noqa: S310
        assert fetched.read() == stored


def test_erasure_removes_the_objects_of_deleted_rows_and_keeps_the_signed_contract(
    bucket, signed_order, manager, django_capture_on_commit_callbacks
):
    from orders.models import Signature

    customer = signed_order.customer
    photos = [TradeInPhotoFactory(lead=LeadFactory(customer=customer)) for _ in range(2)]
    other = TradeInPhotoFactory(lead=LeadFactory())
    contract = Signature.objects.get(order=signed_order).pdf.name
    assert _keys(bucket) == {contract, other.image.name, *(p.image.name for p in photos)}

    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=customer, by=manager, reason="Request")

    # Trade-in photos: the registry deletes the rows, and their objects go with them.
    # The contract: the registry keeps the signature (pseudonymised) as the law requires,
    # and so its PDF.
    assert _keys(bucket) == {contract, other.image.name}
    signature = Signature.objects.get(order=signed_order)
    assert signature.full_name == "[erased]"
    assert signature.pdf.name == contract
