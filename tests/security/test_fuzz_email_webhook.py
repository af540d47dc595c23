"""The inbound-email webhook under hostile input: mangled MIME, hostile headers and ids, bad
signatures. Never a 5xx; a refused call stores nothing; every accepted email is then
processed without an error into exactly "attached" or "refused"."""

import hashlib
import hmac
from pathlib import Path

import pytest
from hypothesis import strategies as st

from conversations.email_inbound import inbound_email_process
from conversations.models import InboundEmail, Message
from dealership.messaging.tokens import reply_token
from tests.leads.factories import CustomerFactory
from tests.security.fuzz import NASTY, fuzz_body, hostile_text

pytestmark = pytest.mark.django_db

EXAMPLES = 120
SECRET = "email-webhook-secret"
FIXTURES = Path(__file__).parent.parent / "conversations" / "fixtures"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.INBOUND_EMAIL_WEBHOOK_SECRET = SECRET
    settings.REPLY_EMAIL_DOMAIN = "reply.showroom.example"


def _sign(provider_id: str, recipient: str, body: bytes) -> str:
    signed = f"{provider_id}\n{recipient}\n".encode() + body
    return "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()


@st.composite
def emails(draw, token: str):
    samples = [
        (FIXTURES / name).read_bytes().replace(b"REPLYTOKEN", token.encode())
        for name in ("gmail_reply.eml", "outlook_reply.eml", "reply_with_attachments.eml")
    ]
    sample = draw(st.sampled_from(samples))
    kind = draw(st.sampled_from(["as is", "cut", "spliced", "binary", "headers"]))
    if kind == "cut":
        body = sample[: draw(st.integers(0, len(sample)))]
    elif kind == "spliced":
        at = draw(st.integers(0, len(sample)))
        body = sample[:at] + draw(st.binary(max_size=80)) + sample[at:]
    elif kind == "binary":
        body = draw(st.binary(max_size=300))
    elif kind == "headers":
        body = (
            f"From: {draw(hostile_text(80))}\r\nTo: {draw(hostile_text(80))}\r\n"
            f"Subject: {draw(hostile_text(80))}\r\nContent-Type: {draw(hostile_text(40))}\r\n\r\n"
            f"{draw(hostile_text())}"
        ).encode("utf-8", errors="surrogatepass")
    else:
        body = sample
    provider_id = draw(st.one_of(st.sampled_from(["m1", "m2", "x" * 300, ""]), hostile_text(20)))
    provider_id = "".join(ch for ch in provider_id if ch.isprintable() and ord(ch) < 256)
    recipient = draw(st.sampled_from(["", f"reply+{token}@reply.showroom.example", "a@b"]))
    signature = draw(st.sampled_from(["right"] * 7 + ["wrong", "missing", "nasty"]))
    headers = {"X-Showroom-Message-Id": provider_id, "X-Showroom-Recipient": recipient}
    if signature == "right":
        headers["X-Showroom-Signature"] = _sign(provider_id, recipient, body)
    elif signature == "wrong":
        headers["X-Showroom-Signature"] = _sign(provider_id, recipient, body + b" ")
    elif signature == "nasty":
        headers["X-Showroom-Signature"] = draw(st.sampled_from(NASTY[1:4]))
    return body, headers


def test_inbound_email_webhook_survives_hostile_input(client, location):
    customer = CustomerFactory(location=location)

    def one_email(response, added):
        assert added[InboundEmail] in (0, 1)  # 0: a redelivery of the same provider id
        inbound = InboundEmail.objects.get(pk=response.json()["id"])
        inbound_email_process(inbound_id=inbound.pk)
        inbound.refresh_from_db()
        assert inbound.status in ("attached", "refused")
        if inbound.status == "attached":
            assert inbound.message.customer == customer

    result = fuzz_body(
        client,
        "/messages/email/inbound/",
        emails(reply_token(customer_id=customer.pk)),
        models=[InboundEmail],
        accepted=lambda response: response.status_code in (200, 202),
        added=one_email,
        max_examples=EXAMPLES,
        content_type="message/rfc822",
    )

    assert result.examples == EXAMPLES
    assert set(result.statuses) <= {200, 202, 400, 403}
    assert result.accepted >= 1
    assert 403 in result.statuses
    assert Message.objects.exclude(customer=customer).count() == 0
