"""The customer's signed, expiring link to their order. No account, no password: the token
names one order and its access key, so it can be revoked by rotating the key."""

from django.conf import settings
from django.core import signing

SALT = "orders.customer-link"


def order_token(order) -> str:
    return signing.dumps({"o": order.pk, "k": order.access_key}, salt=SALT)


def order_token_data(token: str) -> tuple[int, str] | None:
    """(order id, access key), or None for a forged, malformed or expired token."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=settings.ORDERS_LINK_MAX_AGE_DAYS * 24 * 3600
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int):
        return None
    return data["o"], str(data.get("k", ""))
