"""Scenarios for the route matrix (dealership/route_access.py)."""

from dealership.messaging.tokens import unsubscribe_token
from surveys.models import Touchpoint
from tests.leads.factories import CustomerFactory
from tests.surveys.factories import invitation_with_token, standard_survey


def answer(location, other_location):
    """The customer's own link opens the survey; another customer's signed token (a valid
    token of another kind) opens nothing."""
    survey = standard_survey(Touchpoint.PURCHASE)
    _mine, token = invitation_with_token(survey=survey, customer=CustomerFactory(location=location))
    other = CustomerFactory(location=other_location)
    return {
        "allowed": {"token": token},
        "denied": {"token": unsubscribe_token(channel="email", address=other.email)},
    }
