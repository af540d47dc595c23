"""The payment-provider interface (`PAYMENT_BACKEND`) and the two providers we ship.

A provider starts a payment (returns where to send the customer, or instructions), refunds
one, and signs the webhooks it sends (HMAC-SHA256 of the raw body with
PAYMENT_WEBHOOK_SECRET, hex, in the X-Showroom-Signature header). Webhooks are handled by
`orders.services.payment_webhook_handle`, idempotently on the provider's event id.
"""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

SIGNATURE_HEADER = "X-Showroom-Signature"


@dataclass(frozen=True)
class PaymentStart:
    reference: str  # the provider's id for the payment
    redirect_url: str = ""  # where the customer pays (card checkout)
    instructions: str = ""  # or what the customer does (bank transfer)


class PaymentBackend:
    name = ""
    # Offline providers have no webhook: staff confirm receipt on the desk.
    staff_confirms = False

    def start(self, *, payment, order) -> PaymentStart:
        raise NotImplementedError

    def refund(self, *, payment, amount, idempotency_key: str) -> str:
        """Refund (part of) a received payment; returns the provider's refund reference.
        Returns "" when the refund is made by hand (the refund stays pending)."""
        raise NotImplementedError


def sign(body: bytes) -> str:
    return hmac.new(settings.PAYMENT_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, given: str) -> bool:
    return bool(given) and hmac.compare_digest(sign(body), given)


class TestPaymentBackend(PaymentBackend):
    """Simulates a card provider: the customer lands on a checkout page in this app where
    they choose success, decline or a delayed confirmation; the outcome arrives as a signed
    webhook exactly like a real provider's (the delayed one later, or never)."""

    name = "test"

    def start(self, *, payment, order) -> PaymentStart:
        # The provider dedupes on our idempotency key: asking twice gives the same payment.
        reference = "test_" + uuid.uuid5(uuid.NAMESPACE_URL, payment.idempotency_key).hex[:20]
        return PaymentStart(
            reference=reference,
            redirect_url=reverse("orders:test-checkout", kwargs={"reference": reference}),
        )

    def refund(self, *, payment, amount, idempotency_key: str) -> str:
        return "test_refund_" + uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:16]

    @staticmethod
    def webhook(*, reference: str, outcome: str, amount, event_id: str = "") -> tuple[bytes, str]:
        """The signed body the simulated provider sends: (body, signature)."""
        body = json.dumps(
            {
                "id": event_id or "evt_" + uuid.uuid4().hex,
                "type": f"payment.{outcome}",
                "payment": reference,
                "amount": str(amount),
            }
        ).encode()
        return body, sign(body)


class OfflinePaymentBackend(PaymentBackend):
    """Bank transfer: the customer gets the account and a reference; staff confirm receipt."""

    name = "offline"
    staff_confirms = True

    def start(self, *, payment, order) -> PaymentStart:
        from django.utils.translation import gettext as _

        return PaymentStart(
            reference=order.reference,
            instructions=_(
                "Transfer %(amount)s %(currency)s to %(account)s with the reference "
                "%(reference)s. We confirm as soon as it arrives."
            )
            % {
                "amount": payment.amount,
                "currency": payment.currency,
                "account": settings.PAYMENT_BANK_ACCOUNT,
                "reference": order.reference,
            },
        )

    def refund(self, *, payment, amount, idempotency_key: str) -> str:
        return ""  # accounts transfer it back by hand


def get_payment_backend() -> PaymentBackend:
    return import_string(settings.PAYMENT_BACKEND)()


def backend_named(name: str) -> PaymentBackend | None:
    for path in (settings.PAYMENT_BACKEND, *KNOWN_BACKENDS):
        backend = import_string(path)()
        if backend.name == name:
            return backend
    return None


KNOWN_BACKENDS = ("orders.payments.TestPaymentBackend", "orders.payments.OfflinePaymentBackend")
