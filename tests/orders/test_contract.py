"""The contract and its electronic signature."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import Order, Signature
from orders.services import contract_document, contract_sign, order_adjust
from orders.services.contracts import document_sha256
from orders.tokens import order_token
from tests.orders.factories import advance, make_order, sign
from tests.orders.test_figures import _pdf_text as contract_pdf_text

pytestmark = pytest.mark.django_db
S = Order.Status


def test_signing_stores_name_consent_time_ip_and_the_documents_hash(client, vehicle, consultant):
    order = advance(make_order(vehicle), "contract_sent", staff=consultant)
    url = reverse("orders:contract", args=[order_token(order)])
    digest = document_sha256(contract_document(order=order, version=order.versions.get()))
    name = f"{order.customer.first_name} {order.customer.last_name}"

    response = client.post(
        url,
        {"full_name": name.upper(), "consent": "on", "document_hash": digest},
        REMOTE_ADDR="198.51.100.23",
    )

    assert response.status_code == 302
    signature = Signature.objects.get(order=order)
    assert (signature.full_name, signature.ip_address, signature.document_sha256) == (
        name.upper(),
        "198.51.100.23",
        digest,
    )
    assert signature.consent_wording.startswith("I have read the contract above")
    order.refresh_from_db()
    assert order.status == S.CONTRACT_SIGNED


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"full_name": "Someone Else", "consent": "on"},
            "Type your full name exactly as on the contract.",
        ),
        ({"full_name": "x"}, "Tick the box to agree to sign electronically."),
    ],
)
def test_a_wrong_name_or_missing_consent_signs_nothing(client, vehicle, consultant, data, error):
    order = advance(make_order(vehicle), "contract_sent", staff=consultant)
    digest = document_sha256(contract_document(order=order, version=order.versions.get()))

    response = client.post(
        reverse("orders:contract", args=[order_token(order)]), {**data, "document_hash": digest}
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Signature.objects.exists()


def test_a_stale_document_is_not_signed(vehicle, consultant):
    order = advance(make_order(vehicle), "contract_sent", staff=consultant)

    with pytest.raises(ValidationError) as refused:
        contract_sign(
            order=order, full_name="x", consent=True, ip_address=None, document_hash="0" * 64
        )

    assert refused.value.messages == [
        "The contract changed while you were reading it; review it again."
    ]


def test_a_changed_deal_invalidates_the_signature(vehicle, consultant):
    order = advance(make_order(vehicle), "ready_for_delivery", staff=consultant)

    order_adjust(
        order=order,
        by=consultant,
        reason="Winter tyres included",
        changes={"discount": Decimal("300.00")},
    )

    order.refresh_from_db()
    signature = Signature.objects.get(order=order)
    assert order.status == S.CONTRACT_SENT
    assert signature.invalidated_reason == "The deal changed: Winter tyres included"
    latest = order.versions.order_by("-number").first()
    assert (latest.number, latest.deal.discount, latest.accepted_at) == (2, Decimal("300.00"), None)
    # The customer accepts, then signs the new version.
    from orders.services import order_accept_version

    order_accept_version(order=order, number=2)
    new = sign(order)
    assert new.version == latest
    assert Signature.objects.filter(invalidated_at__isnull=True).get() == new


def test_an_adjustment_needs_a_reason(vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)

    with pytest.raises(ValidationError) as refused:
        order_adjust(order=order, by=consultant, reason=" ", changes={"discount": Decimal(1)})

    assert refused.value.message_dict == {"reason": ["Say why the deal changes."]}
    assert order.versions.count() == 1


def test_the_contract_is_not_shown_before_it_is_sent(client, vehicle, consultant):
    order = advance(make_order(vehicle), "deposit_paid", staff=consultant)

    assert client.get(reverse("orders:contract", args=[order_token(order)])).status_code == 404
    assert client.get(reverse("orders:contract-pdf", args=[order_token(order)])).status_code == 404


def test_the_pdf_carries_the_signature(client, vehicle, consultant):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)

    response = client.get(reverse("orders:contract-pdf", args=[order_token(order)]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == f'inline; filename="contract-{order.reference}.pdf"'


# --- The stored contract (media storage) ----------------------------------------------------


def _pdf_files(media_root) -> list:
    return sorted(p for p in media_root.rglob("*.pdf")) if media_root.exists() else []


def test_signing_stores_the_signed_pdf_in_the_media_storage(vehicle, consultant, media_root):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    signature = Signature.objects.get(order=order)

    assert signature.pdf.name.startswith(f"contracts/{signature.signed_at:%Y/%m}/")
    assert signature.pdf.name.endswith(".pdf")
    assert f"{order.reference}-v1-" in signature.pdf.name
    assert _pdf_files(media_root) == [media_root / signature.pdf.name]
    with signature.pdf.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-")
    # the stored file is the contract as signed: the signature line is in it
    assert contract_pdf_text(content).count("Signed electronically by") == 1


def test_the_pdf_link_serves_the_stored_file_even_after_the_customer_changed(
    client, vehicle, consultant
):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    signature = Signature.objects.get(order=order)
    with signature.pdf.open("rb") as handle:
        stored = handle.read()
    order.customer.last_name = "Renamed"
    order.customer.save(update_fields=["last_name"])

    response = client.get(reverse("orders:contract-pdf", args=[order_token(order)]))

    assert response.status_code == 200
    assert response.content == stored
    assert response["Cache-Control"] == "private, no-store"
    assert Signature.objects.get(pk=signature.pk).pdf.name == signature.pdf.name


def test_an_unsigned_contract_is_drawn_in_memory_and_stored_nowhere(
    client, vehicle, consultant, media_root
):
    order = advance(make_order(vehicle), "contract_sent", staff=consultant)

    response = client.get(reverse("orders:contract-pdf", args=[order_token(order)]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert "Signed electronically" not in contract_pdf_text(response.content)
    assert _pdf_files(media_root) == []


def test_a_signature_from_before_stored_contracts_is_stored_on_first_download(
    client, vehicle, consultant, media_root
):
    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    signature = Signature.objects.get(order=order)
    signature.pdf.delete(save=False)
    Signature.objects.filter(pk=signature.pk).update(pdf="")

    first = client.get(reverse("orders:contract-pdf", args=[order_token(order)]))
    second = client.get(reverse("orders:contract-pdf", args=[order_token(order)]))

    signature.refresh_from_db()
    assert signature.pdf.name.startswith("contracts/")
    assert _pdf_files(media_root) == [media_root / signature.pdf.name]
    assert first.content == second.content
    assert "Signed electronically by" in contract_pdf_text(first.content)


def test_erasure_keeps_the_signed_contract_file_with_its_row(vehicle, consultant, manager):
    from dealership.privacy.services import customer_erase

    order = advance(make_order(vehicle), "contract_signed", staff=consultant)
    signature = Signature.objects.get(order=order)

    customer_erase(customer=order.customer, by=manager, reason="Request")

    signature.refresh_from_db()
    assert signature.full_name == "[erased]"
    assert signature.pdf.storage.exists(signature.pdf.name)
