"""Signed, expiring links for customers: book a service for one car, see one appointment,
add a car to one customer's record. No login; a token names exactly one record."""

from django.conf import settings
from django.core import signing

BOOK_SALT = "aftersales.book"
APPOINTMENT_SALT = "aftersales.appointment"
ADD_VEHICLE_SALT = "aftersales.add-vehicle"


def _max_age() -> int:
    return settings.AFTERSALES_LINK_MAX_AGE_DAYS * 24 * 3600


def booking_token(*, owned_vehicle) -> str:
    return signing.dumps({"v": owned_vehicle.pk, "c": owned_vehicle.customer_id}, salt=BOOK_SALT)


def booking_token_load(token: str) -> tuple[int, int]:
    """(owned vehicle id, customer id); raises signing.BadSignature (or SignatureExpired)."""
    data = signing.loads(token, salt=BOOK_SALT, max_age=_max_age())
    return int(data["v"]), int(data["c"])


def appointment_token(*, appointment) -> str:
    return signing.dumps({"a": appointment.pk, "c": appointment.customer_id}, salt=APPOINTMENT_SALT)


def appointment_token_load(token: str) -> tuple[int, int]:
    data = signing.loads(token, salt=APPOINTMENT_SALT, max_age=_max_age())
    return int(data["a"]), int(data["c"])


def add_vehicle_token(*, customer) -> str:
    return signing.dumps({"c": customer.pk}, salt=ADD_VEHICLE_SALT)


def add_vehicle_token_load(token: str) -> int:
    data = signing.loads(token, salt=ADD_VEHICLE_SALT, max_age=_max_age())
    return int(data["c"])
