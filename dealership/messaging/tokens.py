"""Signed unsubscribe tokens: one per channel and address, no login, no expiry.

Unsubscribe links must keep working for as long as the mail sits in an inbox (RFC 8058), so the
token does not expire; it cannot be forged without SECRET_KEY and names exactly one address.
"""

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
