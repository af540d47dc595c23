"""Signed unsubscribe tokens: one per channel and address, no login, no expiry.

Unsubscribe links must keep working for as long as the mail sits in an inbox (RFC 8058), so the
token does not expire; it cannot be forged without SECRET_KEY and names exactly one address.
"""

import base64
import datetime

from django.core import signing

SALT = "dealership.messaging.unsubscribe"


def unsubscribe_token(*, channel: str, address: str) -> str:
    return signing.dumps({"c": channel, "a": address}, salt=SALT, compress=True)


def unsubscribe_address(token: str) -> tuple[str, str]:
    """(channel, address) the token was made for; raises signing.BadSignature otherwise."""
    data = signing.loads(token, salt=SALT)
    if not isinstance(data, dict) or not {"c", "a"} <= data.keys():
        raise signing.BadSignature("malformed unsubscribe token")
    return str(data["c"]), str(data["a"])


# --- Reply addresses: reply+<token>@REPLY_EMAIL_DOMAIN ---------------------------------------
#
# Every email to a customer carries a Reply-To naming their thread, so a reply finds its way
# back (conversations.email_inbound). The token is the customer's id and the day it was made,
# signed with django.core.signing under its own salt. It is all lower case and dot-separated
# because mail systems may fold the case of an address's local part, and it stays well within
# the local part's 64 characters (about 40 here).

REPLY_SALT = "dealership.messaging.reply-address"
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _B36[rest] + digits
        if not number:
            return digits


class _ReplySigner(signing.Signer):
    """Signer with a lower-case base-32 signature (128 bits of HMAC-SHA256)."""

    def __init__(self):
        super().__init__(sep=".", salt=REPLY_SALT, algorithm="sha256")

    def signature(self, value, key=None):
        digest = signing.salted_hmac(
            self.salt + "signer", value, key or self.key, algorithm=self.algorithm
        ).digest()
        return base64.b32encode(digest[:16]).decode().rstrip("=").lower()


def _epoch_day(moment: datetime.datetime | None = None) -> int:
    moment = moment or datetime.datetime.now(datetime.UTC)
    return int(moment.timestamp() // 86400)


def reply_token(*, customer_id: int, now: datetime.datetime | None = None) -> str:
    """A compact, signed, lower-case token for the customer's thread."""
    return _ReplySigner().sign(f"{_b36(customer_id)}.{_b36(_epoch_day(now))}")


def reply_token_customer_id(
    token: str, *, max_age_days: int, now: datetime.datetime | None = None
) -> int:
    """The customer id a reply token names; raises signing.BadSignature when it is forged or
    malformed and signing.SignatureExpired when it is older than `max_age_days`."""
    token = (token or "").strip().lower()
    if len(token) > 64:
        raise signing.BadSignature("reply token too long")
    value = _ReplySigner().unsign(token)
    try:
        customer, day = (int(part, 36) for part in value.split("."))
    except ValueError:
        raise signing.BadSignature("malformed reply token") from None
    if _epoch_day(now) - day > max_age_days:
        raise signing.SignatureExpired("reply token expired")
    return customer


def reply_address(*, customer_id: int, domain: str, now: datetime.datetime | None = None) -> str:
    return f"reply+{reply_token(customer_id=customer_id, now=now)}@{domain}"
