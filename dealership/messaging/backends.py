"""SMS backends (pluggable, settings.MESSAGING_SMS_BACKEND) and the errors every backend raises.

Delivery is at-least-once: a flush may send a message and then die before its transaction
commits the "sent" mark, so the next flush sends it again. What turns that into exactly-once
for the customer is the idempotency key (the message's dedupe key) passed with every send:
a provider that honours it (HTTP gateways with an Idempotency-Key header, the file backend
below) accepts the repeat without delivering twice and answers with the same message id.
"""

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


class SendError(Exception):
    """A provider refused or failed a send."""


class TransientSendError(SendError):
    """Worth retrying later (timeouts, 5xx, rate limits)."""


class PermanentSendError(SendError):
    """Retrying cannot help (invalid number, rejected content)."""


class SmsBackend:
    """Send one SMS; return the provider's message id. Raise a SendError subclass on failure."""

    def __init__(self, **options):
        self.options = options

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development: print the SMS."""

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        stream = self.options.get("stream") or sys.stdout
        stream.write(f"SMS to {to} [{idempotency_key}]\n{body}\n{'-' * 40}\n")
        stream.flush()
        return f"console:{idempotency_key}"


class FileSmsBackend(SmsBackend):
    """One JSON file per idempotency key in MESSAGING_SMS_FILE_PATH.

    Honours the idempotency key like a real provider: the file is created exclusively, so a
    repeated send of the same key delivers nothing new. Every call is also appended to
    `requests.log`, which lets tests count repeats separately from deliveries.
    """

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        folder = Path(self.options.get("path") or settings.MESSAGING_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        name = idempotency_key.replace("/", "_")
        with open(folder / "requests.log", "a", encoding="utf-8") as log:
            log.write(idempotency_key + "\n")
        try:
            fd = os.open(folder / f"{name}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return f"file:{name}"
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"to": to, "body": body, "idempotency_key": idempotency_key}, handle)
        return f"file:{name}"


class LocmemSmsBackend(SmsBackend):
    """Tests: keep sent SMS in `LocmemSmsBackend.outbox` (one entry per idempotency key)."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        if not any(m["idempotency_key"] == idempotency_key for m in self.outbox):
            self.outbox.append({"to": to, "body": body, "idempotency_key": idempotency_key})
        return f"locmem:{idempotency_key}"


class HttpGatewaySmsBackend(SmsBackend):
    """A JSON-over-HTTP SMS gateway.

    POST {url} with `{"to", "body", "sender", "idempotency_key"}`, `Authorization: Bearer
    {token}` and `Idempotency-Key`; a 2xx answer carries `{"id": "..."}`. 408, 429 and 5xx
    answers, timeouts and connection errors are transient; any other 4xx is permanent.
    """

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        url = self.options.get("url") or settings.MESSAGING_SMS_GATEWAY_URL
        token = self.options.get("token") or settings.MESSAGING_SMS_GATEWAY_TOKEN
        timeout = self.options.get("timeout") or settings.MESSAGING_SMS_GATEWAY_TIMEOUT
        payload = {
            "to": to,
            "body": body,
            "sender": settings.MESSAGING_SMS_SENDER,
            "idempotency_key": idempotency_key,
        }
        request = urllib.request.Request(  # noqa: S310  # nosec B310
            url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": idempotency_key,
            },
        )
        if not url.startswith(("http://", "https://")):
            raise PermanentSendError(f"SMS gateway URL must be http(s): {url!r}")
        try:
            # The scheme is checked above: only http(s) reaches urlopen.
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            if exc.code in (408, 429) or exc.code >= 500:
                raise TransientSendError(f"gateway answered {exc.code}: {detail}") from exc
            raise PermanentSendError(f"gateway answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientSendError(f"gateway unreachable: {exc}") from exc
        except ValueError as exc:
            raise TransientSendError(f"gateway answered with invalid JSON: {exc}") from exc
        provider_id = str(answer.get("id") or "")
        if not provider_id:
            raise TransientSendError("gateway answer has no message id")
        return provider_id


def get_sms_backend(**options) -> SmsBackend:
    return import_string(settings.MESSAGING_SMS_BACKEND)(**options)
