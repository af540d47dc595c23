"""Signed manage links: no login, bound to one booking id, salted, expiring."""

from django.conf import settings
from django.core import signing

SALT = "testdrives.manage-booking"


def manage_token(*, booking_id: int) -> str:
    return signing.dumps({"b": booking_id}, salt=SALT, compress=False)


def booking_id_from_token(token: str) -> int:
    """The booking id the token was made for. Raises signing.SignatureExpired when older than
    TESTDRIVES_MANAGE_LINK_MAX_AGE, signing.BadSignature when forged or mangled."""
    data = signing.loads(token, salt=SALT, max_age=settings.TESTDRIVES_MANAGE_LINK_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get("b"), int):
        raise signing.BadSignature("no booking id in the token")
    return data["b"]
