"""Which pages know their customer (by a signed link) or their location (a vehicle's, a
booking's), for the language middleware (dealership/accounts/language.py).

Each function takes the URL's keyword arguments and answers with one small query, or None
for a bad or unknown token: the view itself still refuses it with its own 4xx page.
"""

from django.core import signing

from dealership.accounts.language import register_view
from dealership.accounts.models import Location


def _vehicle_location(**kwargs) -> Location | None:
    from inventory.models import Vehicle

    if "slug" in kwargs:
        condition = {"slug": kwargs["slug"]}
    elif "vehicle_id" in kwargs:
        condition = {"pk": int(kwargs["vehicle_id"])}
    else:
        return None
    return Location.objects.filter(
        pk__in=Vehicle.objects.filter(**condition).values("location_id")
    ).first()


def _location_by_slug(*, slug: str) -> Location | None:
    return Location.objects.filter(slug=slug, is_active=True).first()


def _test_drive(token: str):
    from testdrives.models import Booking
    from testdrives.tokens import booking_id_from_token

    try:
        booking_id = booking_id_from_token(token)
    except signing.BadSignature:
        return None
    return Booking.objects.select_related("customer", "location").filter(pk=booking_id).first()


def _test_drive_language(*, token: str) -> str | None:
    booking = _test_drive(token)
    return booking.customer.language if booking else None


def _test_drive_location(*, token: str) -> Location | None:
    booking = _test_drive(token)
    return booking.location if booking else None


def _order(token: str):
    from orders.models import Order
    from orders.tokens import order_token_data

    data = order_token_data(token)
    if data is None:
        return None
    return Order.objects.select_related("customer", "location").filter(pk=data[0]).first()


def _order_language(*, token: str) -> str | None:
    order = _order(token)
    return order.customer.language if order else None


def _order_location(*, token: str) -> Location | None:
    order = _order(token)
    return order.location if order else None


def _customer_language(customer_id: int) -> str | None:
    from leads.models import Customer

    return Customer.objects.filter(pk=customer_id).values_list("language", flat=True).first()


def _service_booking_language(*, token: str) -> str | None:
    from aftersales.tokens import booking_token_load

    try:
        _vehicle_id, customer_id = booking_token_load(token)
    except signing.BadSignature:
        return None
    return _customer_language(customer_id)


def _appointment_language(*, token: str) -> str | None:
    from aftersales.tokens import appointment_token_load

    try:
        _appointment_id, customer_id = appointment_token_load(token)
    except signing.BadSignature:
        return None
    return _customer_language(customer_id)


def _add_vehicle_language(*, token: str) -> str | None:
    from aftersales.tokens import add_vehicle_token_load

    try:
        customer_id = add_vehicle_token_load(token)
    except signing.BadSignature:
        return None
    return _customer_language(customer_id)


def _survey_language(*, token: str) -> str | None:
    from surveys.models import Invitation
    from surveys.services import token_hash

    if not token or len(token) > 64:
        return None
    hashed = token_hash(token)
    from django.db.models import Q

    invitation = (
        Invitation.objects.filter(Q(token_hash=hashed) | Q(reminder_token_hash=hashed))
        .select_related("customer")
        .first()
    )
    if invitation is None:
        return None
    return invitation.language or (invitation.customer.language if invitation.customer else None)


def _preferences_language(*, token: str) -> str | None:
    from dealership.messaging.tokens import unsubscribe_address
    from leads.languages import address_language

    try:
        channel, address = unsubscribe_address(token)
    except signing.BadSignature:
        return None
    return address_language(channel=channel, address=address) or None


def register() -> None:
    register_view("location-detail", location=_location_by_slug)
    for name in ("inventory:vehicle", "inventory:vehicle-payment"):
        register_view(name, location=_vehicle_location)
    for name in (
        "leads:vehicle-enquiry",
        "testdrives:book",
        "orders:start",
        "orders:breakdown",
    ):
        register_view(name, location=_vehicle_location)
    for name in ("testdrives:manage", "testdrives:reschedule", "testdrives:cancel"):
        register_view(name, customer_language=_test_drive_language, location=_test_drive_location)
    for name in (
        "orders:track",
        "orders:finance",
        "orders:reserve",
        "orders:accept",
        "orders:delivery",
        "orders:cancel",
        "orders:contract",
        "orders:contract-pdf",
    ):
        register_view(name, customer_language=_order_language, location=_order_location)
    register_view("aftersales:book", customer_language=_service_booking_language)
    register_view("aftersales:appointment", customer_language=_appointment_language)
    register_view("aftersales:vehicle_add", customer_language=_add_vehicle_language)
    register_view("surveys:answer", customer_language=_survey_language)
    register_view("messaging:preferences", customer_language=_preferences_language)
