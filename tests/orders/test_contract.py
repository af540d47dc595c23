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
