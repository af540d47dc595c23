"""Email replies join the thread their reply address names: the webhook keeps the raw MIME once
per provider id, the task strips the quoted history, checks the attachments by their content,
and refuses (logs, never attaches) a forged, unknown or expired reply address."""

import datetime
import hashlib
import hmac
import logging
from pathlib import Path

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from conversations.email_inbound import (
    customer_for_reply,
    html_to_text,
    inbound_email_process,
    inbound_email_receive,
    inbound_emails_process_pending,
    parse_email,
    strip_quoted,
)
from conversations.models import InboundEmail, Message, MessageAttachment
from dealership.messaging.models import Channel, Purpose
from dealership.messaging.services import message_enqueue, messages_flush
from dealership.messaging.tokens import (
    reply_address,
    reply_token,
    reply_token_customer_id,
)
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = "reply.showroom.example"
SECRET = "inbound-email-test-secret"
URL = "/messages/email/inbound/"

GMAIL_BODY = (
    "Hello Mr Weber,\n\n"
    "Saturday at 10 works for me. Can my husband come along? He will be driving it most of "
    "the time.\n\n"
    "Best regards\n"
    "Anna"
)
OUTLOOK_BODY = (
    "Guten Tag Frau Becker,\n\n"
    "vielen Dank für das Angebot. Können Sie mir die Finanzierung über 48 Monate mit "
    "5.000 € Anzahlung rechnen?\n\n"
    "Mit freundlichen Grüßen\n"
    "Jürgen Müller"
)
ATTACHMENT_BODY = (
    "Here is a photo of the scratch on the rear bumper.\nThe service book is attached as well."
)


@pytest.fixture(autouse=True)
def reply_settings(settings):
    settings.REPLY_EMAIL_DOMAIN = DOMAIN
    settings.REPLY_EMAIL_MAX_AGE_DAYS = 365
    settings.INBOUND_EMAIL_WEBHOOK_SECRET = SECRET
    return settings


def fixture(name: str, customer=None) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    if customer is not None:
        raw = raw.replace(b"REPLYTOKEN", reply_token(customer_id=customer.pk).encode())
    return raw


def receive(raw: bytes, provider_id: str = "mail-1") -> InboundEmail:
    inbound, _created = inbound_email_receive(provider_id=provider_id, raw=raw)
    return inbound_email_process(inbound_id=inbound.pk)


def post(client, raw: bytes, *, provider_id="mail-1", recipient="", secret=SECRET):
    signed = f"{provider_id}\n{recipient}\n".encode() + raw
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return client.post(
        URL,
        data=raw,
        content_type="message/rfc822",
        headers={
            "X-Showroom-Message-Id": provider_id,
            "X-Showroom-Recipient": recipient,
            "X-Showroom-Signature": f"sha256={signature}",
        },
    )


# --- The reply address on every email to a customer ------------------------------------------


def test_every_email_to_a_customer_carries_their_reply_address(location):
    customer = CustomerFactory(location=location, email="anna.schmidt@example.de")
    message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=customer.email,
        template_key="conversations.reply",
        context={"body": "The Golf is ready.", "subject": "Your Golf"},
        dedupe_key="conv:test-1",
        location=location,
        customer_id=customer.pk,
    )

    messages_flush()

    (sent,) = mail.outbox
    local, domain = sent.extra_headers["Reply-To"].split("@")
    assert domain == DOMAIN
    assert local.startswith("reply+")
    assert len(local) <= 64  # RFC 5321's limit of a local part
    assert local == local.lower()  # survives a relay that folds the case
    assert reply_token_customer_id(local.removeprefix("reply+"), max_age_days=1) == customer.pk


def test_an_email_to_no_customer_has_no_reply_address(location):
    message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to="someone@example.de",
        template_key="conversations.reply",
        context={"body": "Hello", "subject": "Hello"},
        dedupe_key="conv:test-2",
        location=location,
    )

    messages_flush()

    assert "Reply-To" not in mail.outbox[0].extra_headers


def test_the_token_is_refused_when_forged_for_another_customer_or_expired():
    token = reply_token(customer_id=42)
    _customer, day, signature = token.split(".")

    assert reply_token_customer_id(token, max_age_days=1) == 42
    assert reply_token_customer_id(token.upper(), max_age_days=1) == 42
    with pytest.raises(signing.BadSignature):
        reply_token_customer_id(f"{43:x}.{day}.{signature}", max_age_days=1)
    with pytest.raises(signing.SignatureExpired):
        reply_token_customer_id(
            token, max_age_days=30, now=timezone.now() + datetime.timedelta(days=31)
        )


# --- Stripping the quoted history -----------------------------------------------------------


def test_gmail_reply_keeps_only_what_the_customer_wrote(location):
    customer = CustomerFactory(location=location, email="anna.schmidt@example.de")

    inbound = receive(fixture("gmail_reply.eml", customer))

    assert (inbound.status, inbound.reason, inbound.customer) == ("attached", "", customer)
    assert (inbound.sender, inbound.subject) == (
        "anna.schmidt@example.de",
        "Re: Your test drive of the Golf",
    )
    message = Message.objects.get()
    assert (message.customer, message.direction, message.channel) == (customer, "in", "email")
    assert message.body == GMAIL_BODY
    assert message.read_at is None  # unread for the consultant
    assert message.created_at == inbound.received_at
    assert inbound.message == message


def test_outlook_reply_cuts_at_the_from_sent_header_block(location):
    customer = CustomerFactory(location=location, email="juergen.mueller@example.de")

    inbound = receive(fixture("outlook_reply.eml", customer))

    assert inbound.status == "attached"
    assert inbound.subject == "AW: Ihr Angebot für den Tiguan"
    assert Message.objects.get().body == OUTLOOK_BODY


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Yes, please.\n\n-----Original Message-----\nFrom: Showroom\nOld text", "Yes, please."),
        (
            "Ja, gern.\n\nAm 07.12.2026 um 09:12 schrieb Showroom <s@example.com>:\n> alt",
            "Ja, gern.",
        ),
        ("Sounds good\n> quoted line\nThanks", "Sounds good\nThanks"),
        ("See you then.\n-- \nAnna Schmidt\n+49 151 2345678", "See you then."),
        ("Von: Showroom\nGesendet: Montag\nBetreff: Angebot", ""),
        (
            "From the first day I liked the car.\nIt was great.",
            "From the first day I liked the car.\nIt was great.",
        ),
    ],
)
def test_strip_quoted(text, kept):
    assert strip_quoted(text) == kept


def test_an_html_only_reply_is_read_as_text_without_the_quote():
    html = (
        "<html><head><style>p{margin:0}</style></head><body><p>Thank you,&nbsp;Anna!</p>"
        "<p>I&#39;ll come at <b>10</b>.</p><script>alert(1)</script>"
        "<blockquote>the old mail</blockquote><div class='gmail_quote'>On … wrote:</div>"
        "</body></html>"
    )

    assert html_to_text(html) == "Thank you, Anna!\n\nI'll come at 10."


# --- Attachments ----------------------------------------------------------------------------


def test_a_real_png_is_stored_and_a_disguised_exe_refused_and_the_message_still_attached(
    location,
):
    customer = CustomerFactory(location=location, email="anna.schmidt@example.de")

    inbound = receive(fixture("reply_with_attachments.eml", customer))

    assert inbound.status == "attached"
    message = Message.objects.get()
    assert message.body == ATTACHMENT_BODY
    photo, disguised = MessageAttachment.objects.filter(message=message).order_by("pk")
    assert (photo.filename, photo.content_type, photo.size, photo.refused_reason) == (
        "bumper.png",
        "image/png",
        77,
        "",
    )
    assert photo.file.name.startswith("conversations/attachments/")
    assert photo.file.name.endswith(".png")
    with photo.file.open("rb") as stored:
        assert stored.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert disguised.filename == "service-book.png"
    assert disguised.refused_reason == (
        "Only photos (JPEG, PNG or WebP) and PDF documents are accepted."
    )
    assert not disguised.file  # nothing of it stored


def test_an_attachment_over_the_size_limit_is_refused(location, settings):
    settings.INBOUND_EMAIL_ATTACHMENT_MAX_BYTES = 50
    customer = CustomerFactory(location=location)

    receive(fixture("reply_with_attachments.eml", customer))

    reasons = list(
        MessageAttachment.objects.order_by("pk").values_list("refused_reason", flat=True)
    )
    assert reasons == [
        "The file is 77\xa0bytes; attachments may be at most 50\xa0bytes.",
        "The file is 171\xa0bytes; attachments may be at most 50\xa0bytes.",
    ]
    assert not any(MessageAttachment.objects.values_list("file", flat=True))


def test_staff_download_an_attachment_of_their_customer(consultant_client, location):
    customer = CustomerFactory(location=location)
    receive(fixture("reply_with_attachments.eml", customer))
    photo = MessageAttachment.objects.get(refused_reason="")
    refused = MessageAttachment.objects.exclude(refused_reason="").get()

    response = consultant_client.get(reverse("conversations:attachment", args=[photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="bumper.png"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:4] == b"\x89PNG"
    assert (
        consultant_client.get(reverse("conversations:attachment", args=[refused.pk])).status_code
        == 404
    )


# --- Refusals: never attached to anyone -----------------------------------------------------


def test_a_forged_token_is_refused_logged_and_attached_to_nobody(location, caplog):
    CustomerFactory(location=location)  # customer #1 may well exist: still not theirs

    with caplog.at_level(logging.WARNING, logger="conversations.email_inbound"):
        inbound = receive(fixture("forged_token.eml"))

    assert (inbound.status, inbound.reason) == (
        "refused",
        "The reply address is forged or damaged.",
    )
    assert (inbound.customer, inbound.message) == (None, None)
    assert inbound.sender == "mallory@example.net"
    assert Message.objects.count() == 0
    assert "refused: The reply address is forged or damaged." in caplog.text


def test_another_customers_token_pasted_in_the_address_attaches_to_that_customer_only(location):
    # The token is the thread: a reply reaches the customer it was made for, never the sender's
    # namesake or the latest customer with that email address.
    anna = CustomerFactory(location=location, email="anna.schmidt@example.de")
    other = CustomerFactory(location=location, email="other@example.de")
    raw = fixture("gmail_reply.eml").replace(
        b"REPLYTOKEN", reply_token(customer_id=other.pk).encode()
    )

    inbound = receive(raw)

    assert Message.objects.get().customer == other
    assert not Message.objects.filter(customer=anna).exists()
    assert inbound.reason == "Sent from an address other than the customer's."


def test_an_expired_token_is_refused(location):
    customer = CustomerFactory(location=location)
    old = timezone.now() - datetime.timedelta(days=400)
    raw = fixture("gmail_reply.eml").replace(
        b"REPLYTOKEN", reply_token(customer_id=customer.pk, now=old).encode()
    )

    inbound = receive(raw)

    assert (inbound.status, inbound.reason) == ("refused", "The reply address has expired.")
    assert Message.objects.count() == 0


def test_a_token_of_a_customer_who_no_longer_exists_is_refused(location):
    raw = fixture("gmail_reply.eml").replace(
        b"REPLYTOKEN", reply_token(customer_id=987654).encode()
    )

    inbound = receive(raw)

    assert (inbound.status, inbound.reason) == (
        "refused",
        "The reply address names no customer we know.",
    )
    assert Message.objects.count() == 0


def test_a_mail_to_another_address_is_refused(location):
    raw = fixture("gmail_reply.eml").replace(
        b"reply+REPLYTOKEN@reply.showroom.example", b"info@showroom.example"
    )

    inbound = receive(raw)

    assert (inbound.status, inbound.reason) == (
        "refused",
        "No reply address of ours among the recipients.",
    )


def test_a_reply_to_a_merged_customer_joins_the_surviving_record(location):
    survivor = CustomerFactory(location=location)
    merged = CustomerFactory(location=location, merged_into=survivor)

    assert customer_for_reply([reply_address(customer_id=merged.pk, domain=DOMAIN)]) == survivor


# --- The webhook ----------------------------------------------------------------------------


def test_webhook_stores_the_raw_email_and_attaches_it(client, location):
    customer = CustomerFactory(location=location, email="anna.schmidt@example.de")
    raw = fixture("gmail_reply.eml", customer)

    response = post(client, raw)

    assert response.status_code == 202
    inbound = InboundEmail.objects.get()
    assert (inbound.provider_id, bytes(inbound.raw), inbound.status) == ("mail-1", raw, "received")
    assert inbound_emails_process_pending() == 1
    assert Message.objects.get().body == GMAIL_BODY


def test_webhook_runs_the_task_on_commit(client, location, django_capture_on_commit_callbacks):
    customer = CustomerFactory(location=location)

    with django_capture_on_commit_callbacks(execute=True):
        post(client, fixture("gmail_reply.eml", customer))

    assert InboundEmail.objects.get().status == "attached"
    assert Message.objects.get().customer == customer


def test_a_redelivered_email_is_stored_and_attached_once(client, location):
    customer = CustomerFactory(location=location)
    raw = fixture("gmail_reply.eml", customer)
    post(client, raw)
    inbound_emails_process_pending()

    again = post(client, raw)

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert InboundEmail.objects.count() == 1
    assert inbound_emails_process_pending() == 0
    assert inbound_email_process(inbound_id=InboundEmail.objects.get().pk) is None
    assert Message.objects.count() == 1


def test_the_envelope_recipient_counts_when_the_headers_do_not_name_us(client, location):
    customer = CustomerFactory(location=location)
    raw = fixture("gmail_reply.eml").replace(
        b"reply+REPLYTOKEN@reply.showroom.example", b"info@showroom.example"
    )

    post(client, raw, recipient=reply_address(customer_id=customer.pk, domain=DOMAIN))
    inbound_emails_process_pending()

    assert Message.objects.get().customer == customer


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_bad_signature_is_403_and_stores_nothing(client, location, secret):
    customer = CustomerFactory(location=location)

    response = post(client, fixture("gmail_reply.eml", customer), secret=secret or "x")
    unsigned = client.post(URL, data=b"x", content_type="message/rfc822")

    assert (response.status_code, unsigned.status_code) == (403, 403)
    assert InboundEmail.objects.count() == 0


def test_the_recipient_header_is_signed_too(client, location):
    customer = CustomerFactory(location=location)
    raw = fixture("forged_token.eml")
    signed = b"mail-1\n\n" + raw
    signature = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()

    response = client.post(
        URL,
        data=raw,
        content_type="message/rfc822",
        headers={
            "X-Showroom-Message-Id": "mail-1",
            "X-Showroom-Recipient": reply_address(customer_id=customer.pk, domain=DOMAIN),
            "X-Showroom-Signature": f"sha256={signature}",
        },
    )

    assert response.status_code == 403
    assert InboundEmail.objects.count() == 0


def test_a_missing_provider_id_is_400(client):
    response = post(client, b"Subject: x\r\n\r\nHello", provider_id="")

    assert response.status_code == 400
    assert response.json() == {"error": "A valid X-Showroom-Message-Id is required."}


def test_a_too_large_email_is_413(client, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100

    response = post(client, b"Subject: x\r\n\r\n" + b"a" * 200)

    assert response.status_code == 413
    assert InboundEmail.objects.count() == 0


def test_a_refused_email_is_answered_2xx_so_the_provider_does_not_retry(client, location):
    response = post(client, fixture("forged_token.eml"))
    inbound_emails_process_pending()

    assert response.status_code == 202
    assert InboundEmail.objects.get().status == "refused"
    assert Message.objects.count() == 0


def test_garbage_is_refused_not_an_error(location):
    inbound = receive(b"\x00\xff not an email at all \r\n\r\n\x80")

    assert inbound.status == "refused"
    assert Message.objects.count() == 0


def test_parse_gives_sender_recipients_and_subject():
    parsed = parse_email(fixture("outlook_reply.eml"))

    assert parsed.sender == "juergen.mueller@example.de"
    assert parsed.recipients == ("reply+REPLYTOKEN@reply.showroom.example",)
    assert parsed.attachments == ()


def test_the_thread_shows_the_reply_with_its_attachments(consultant_client, location):
    customer = CustomerFactory(location=location)
    receive(fixture("reply_with_attachments.eml", customer))
    photo = MessageAttachment.objects.get(refused_reason="")

    response = consultant_client.get(reverse("conversations:thread", args=[customer.pk]))

    page = response.content.decode()
    assert "Here is a photo of the scratch on the rear bumper." in page
    assert f'href="{reverse("conversations:attachment", args=[photo.pk])}">bumper.png</a>' in page
    assert (
        "service-book.png was refused: Only photos (JPEG, PNG or WebP) and PDF documents are "
        "accepted." in page
    )
    assert "Jonas Weber" not in page  # the quoted history is gone


def test_a_mail_the_parser_chokes_on_is_refused_once_not_retried(location, monkeypatch):
    def explode(raw):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("conversations.email_inbound.parse_email", explode)

    inbound = receive(b"Subject: x\r\n\r\nHello")

    assert (inbound.status, inbound.reason) == ("refused", "The email could not be read.")
    assert inbound_emails_process_pending() == 0
