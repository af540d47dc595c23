"""Everything leads sends or reads in the outbox (dealership.messaging) goes through this
module: the one place that talks to it."""

from .models import CadenceStep, Customer, Lead


def customer_opted_out(customer: Customer) -> bool:
    """Whether the customer withdrew consent or is suppressed on their contact channels."""
    return False


def enquiry_confirmation_enqueue(*, lead: Lead):
    """Confirm a web enquiry to the visitor (transactional email)."""
    return None


def cadence_message_enqueue(*, lead: Lead, step: CadenceStep) -> str:
    """Queue a cadence step's email or SMS. Returns the outcome recorded on the run."""
    return "outbox_unavailable"


def escalation_notification_enqueue(*, lead: Lead, manager) -> None:
    """Tell the sales manager that a lead had no first response in time."""
    return None


def customer_messages(*, customer_id: int, limit: int) -> list[dict]:
    """The outbox's messages to this customer as timeline entries (newest first)."""
    return []


def customer_consent(*, customer: Customer) -> list[dict]:
    """Marketing consent per channel for the 360 page."""
    return []


def consent_record_for_enquiry(*, customer: Customer, granted: bool, wording: str, location):
    """Record the web form's marketing-consent answer (with the wording shown) per channel."""
    return None
