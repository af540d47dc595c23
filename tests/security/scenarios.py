"""Scenarios for the route matrix (dealership/route_access.py): for each route that shows one
record, the kwargs of a record the visitor may open and of one they may not.

Each function takes (location, other_location) and returns {"allowed": …, "denied": …}. For
staff routes the visitor is a consultant of `location`; for customer-token routes, a customer
holding the allowed link.
"""

from django.utils import timezone

from dealership.messaging.tokens import unsubscribe_token
from inventory.models import SavedSearch
from tests.leads.factories import CustomerFactory, LeadFactory


def lead(location, other_location):
    mine = LeadFactory(customer=CustomerFactory(location=location))
    theirs = LeadFactory(customer=CustomerFactory(location=other_location))
    return {"allowed": {"pk": mine.pk}, "denied": {"pk": theirs.pk}}


def customer(location, other_location):
    mine = CustomerFactory(location=location)
    theirs = CustomerFactory(location=other_location)
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
