"""Scenarios for the route matrix (dealership/route_access.py): for each route that shows one
record, the kwargs of a record the visitor may open and of one they may not.

Each function takes (location, other_location) and returns {"allowed": …, "denied": …}. For
staff routes the visitor is a consultant of `location`; for customer-token routes, a customer
holding the allowed link.
"""

import datetime

from django.utils import timezone

from dealership.accounts.roles import Role
from dealership.messaging.tokens import unsubscribe_token
from inventory.models import SavedSearch
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory


def lead(location, other_location):
    mine = LeadFactory(customer=CustomerFactory(location=location))
    theirs = LeadFactory(customer=CustomerFactory(location=other_location))
    return {"allowed": {"pk": mine.pk}, "denied": {"pk": theirs.pk}}


def customer(location, other_location):
    mine = CustomerFactory(location=location)
    theirs = CustomerFactory(location=other_location)
    return {"allowed": {"pk": mine.pk}, "denied": {"pk": theirs.pk}}


def conversation(location, other_location):
    mine = CustomerFactory(location=location)
    theirs = CustomerFactory(location=other_location)
    return {"allowed": {"customer_pk": mine.pk}, "denied": {"customer_pk": theirs.pk}}


def chat(location, other_location):
    from tests.conversations.factories import ChatSessionFactory

    mine = ChatSessionFactory(location=location)
    theirs = ChatSessionFactory(location=other_location)
    return {"allowed": {"pk": mine.pk}, "denied": {"pk": theirs.pk}}


def email_preferences(location, other_location):
    # A token made for another purpose (a saved search's) opens nothing here.
    token = unsubscribe_token(channel="email", address="lena.hoffmann@example.de")
    saved = _saved_search()
    return {"allowed": {"token": token}, "denied": {"token": saved.token}}


def saved_search(location, other_location):
    saved = _saved_search()
    preference_token = unsubscribe_token(channel="email", address=saved.email)
    return {"allowed": {"token": saved.token}, "denied": {"token": preference_token}}


def _saved_search() -> SavedSearch:
    return SavedSearch.objects.create(
        email="lena.hoffmann@example.de",
        query="make=Volkswagen",
        last_checked_at=timezone.now(),
    )


def service_booking(location, other_location):
    from aftersales.tokens import add_vehicle_token, booking_token
    from tests.aftersales.factories import owned_vehicle

    car = owned_vehicle(CustomerFactory(location=location))
    # A link made for another purpose (adding a car) opens no booking page.
    return {
        "allowed": {"token": booking_token(owned_vehicle=car)},
        "denied": {"token": add_vehicle_token(customer=car.customer)},
    }


def service_appointment(location, other_location):
    from aftersales.tokens import appointment_token, booking_token
    from tests.aftersales.test_staff_views import _book

    _item, (appointment,) = _book(location, 1)
    return {
        "allowed": {"token": appointment_token(appointment=appointment)},
        "denied": {"token": booking_token(owned_vehicle=appointment.owned_vehicle)},
    }


def service_vehicle_add(location, other_location):
    from aftersales.tokens import add_vehicle_token, booking_token
    from tests.aftersales.factories import owned_vehicle

    car = owned_vehicle(CustomerFactory(location=location))
    return {
        "allowed": {"token": add_vehicle_token(customer=car.customer)},
        "denied": {"token": booking_token(owned_vehicle=car)},
    }


def service_appointment_staff(location, other_location):
    from tests.aftersales.test_staff_views import _book

    _item, (mine,) = _book(location, 1)
    _item, (theirs,) = _book(other_location, 1, day=datetime.date(2025, 12, 18))
    return {"allowed": {"pk": mine.pk}, "denied": {"pk": theirs.pk}}


def complaint(location, other_location):
    from aftersales.models import Complaint
    from aftersales.services.complaints import complaint_create

    def make(at):
        return complaint_create(
            customer=CustomerFactory(location=at),
            location=at,
            channel=Complaint.Channel.values[0],
            category=Complaint.Category.values[0],
            severity=Complaint.Severity.values[0],
            subject="Scratched paint",
            description="The paint was scratched at the handover.",
        )

    return {"allowed": {"pk": make(location).pk}, "denied": {"pk": make(other_location).pk}}


def _test_drive(at):
    from tests.inventory.factories import VehicleFactory
    from tests.testdrives.factories import BookingFactory

    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    return BookingFactory(vehicle=VehicleFactory(location=at), start_at=start)


def test_drive_manage(location, other_location):
    from testdrives.tokens import manage_token

    booking = _test_drive(location)
    # A signed link of another kind (a saved search's token) opens no booking.
    return {
        "allowed": {"token": manage_token(booking_id=booking.pk)},
        "denied": {"token": _saved_search().token},
    }


def test_drive_staff(location, other_location):
    return {
        "allowed": {"pk": _test_drive(location).pk},
        "denied": {"pk": _test_drive(other_location).pk},
    }


def _order(at):
    from tests.inventory.factories import VehicleFactory
    from tests.orders.factories import make_order

    return make_order(VehicleFactory(location=at))


def order_track(location, other_location):
    from orders.tokens import order_token

    order = _order(location)
    # A signed link of another kind (a test drive's manage link) opens no order.
    from testdrives.tokens import manage_token

    return {
        "allowed": {"token": order_token(order)},
        "denied": {"token": manage_token(booking_id=order.pk)},
    }


def order_staff(location, other_location):
    return {"allowed": {"pk": _order(location).pk}, "denied": {"pk": _order(other_location).pk}}


def order_contract(location, other_location):
    from orders.tokens import order_token
    from testdrives.tokens import manage_token
    from tests.orders.factories import advance

    staff = UserFactory(role=Role.CONSULTANT, locations=[location])
    order = advance(_order(location), "contract_sent", staff=staff)
    return {
        "allowed": {"token": order_token(order)},
        "denied": {"token": manage_token(booking_id=order.pk)},
    }


def conversation_attachment(location, other_location):
    from django.core.files.base import ContentFile

    from conversations.models import Message, MessageAttachment

    def attachment_at(place):
        customer = CustomerFactory(location=place)
        message = Message.objects.create(
            customer=customer, location=place, direction="in", channel="email", body="Photo"
        )
        attachment = MessageAttachment(
            message=message, filename="car.pdf", content_type="application/pdf", size=9
        )
        attachment.file.save("scenario.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        return attachment

    return {
        "allowed": {"pk": attachment_at(location).pk},
        "denied": {"pk": attachment_at(other_location).pk},
    }
