"""How each model that holds something about a customer is exported and erased.

tests/privacy/test_registry.py walks every installed model and fails for one that reaches
leads.Customer (a chain of foreign keys, or messaging's plain `customer_id`) or stores an
address (email, phone, recipient) without an entry here or in NOT_CUSTOMER_DATA. When you add
such a model, add one line to MAPPINGS below:

    "orders.Order": Mapping(PSEUDONYMISE, by_path("customer"), erase={"notes": ""}),

Treatments:
- DELETE: the rows go (files of their file fields too, once the erasure commits).
- PSEUDONYMISE: the rows stay, because the law (invoices, finance decisions) or the dealership's
  statistics need them, with the personal fields in `erase` overwritten. They keep pointing at
  the customer row, which is itself emptied, so they no longer identify a person.
- KEEP: the rows carry nothing personal beyond the link to the (emptied) customer; kept as is.

Every treatment is exported. `blocks_retention` (an ORM path to the customer) marks records, e.g. an order, whose
existence means the customer is not a lead that never converted: the retention job skips them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db.models import Model, Q

ERASED = "[erased]"


class Treatment(StrEnum):
    DELETE = "delete"
    PSEUDONYMISE = "pseudonymise"
    KEEP = "keep"


DELETE, PSEUDONYMISE, KEEP = Treatment.DELETE, Treatment.PSEUDONYMISE, Treatment.KEEP


@dataclass(frozen=True)
class Subject:
    """Whom an export or erasure is about: a customer and the customers merged into it, their
    leads, and every address they used (normalised: emails lower-case, phones E.164)."""

    customer_ids: frozenset[int]
    lead_ids: frozenset[int]
    emails: frozenset[str]
    phones: frozenset[str]

    @property
    def addresses(self) -> frozenset[str]:
        return self.emails | self.phones


@dataclass(frozen=True)
class Mapping:
    treatment: Treatment
    match: Callable[[Subject], Q]
    erase: dict[str, Any] = field(default_factory=dict)
    # The ORM path to the customer when a row here means the customer bought (an order):
    # the retention job then leaves the customer alone.
    blocks_retention: str = ""

    def __post_init__(self):
        if self.treatment == PSEUDONYMISE and not self.erase:
            raise ValueError("PSEUDONYMISE needs the fields to overwrite")


def by_path(path: str) -> Callable[[Subject], Q]:
    """Rows whose ORM path (e.g. "lead__customer") leads to one of the customers."""
    return lambda subject: Q(**{f"{path}__in": subject.customer_ids})


def by_customer_id_or(address_field: str) -> Callable[[Subject], Q]:
    """Messaging's rows: a plain customer id, or an address of the customer's."""
    return lambda subject: (
        Q(customer_id__in=subject.customer_ids) | Q(**{f"{address_field}__in": subject.addresses})
    )


def _audit_events(subject: Subject) -> Q:
    ct = apps.get_model("contenttypes", "ContentType").objects.get_for_model
    customer, lead = apps.get_model("leads", "Customer"), apps.get_model("leads", "Lead")
    return Q(target_type=ct(customer), target_id__in=[str(pk) for pk in subject.customer_ids]) | Q(
        target_type=ct(lead), target_id__in=[str(pk) for pk in subject.lead_ids]
    )


# Order matters for erasure only in that every row set is selected before any is changed.
MAPPINGS: dict[str, Mapping] = {
    # leads
    "leads.Customer": Mapping(
        PSEUDONYMISE,
        by_path("pk"),
        erase={
            "first_name": "",
            "last_name": "",
            "email": "",
            "mobile_phone": "",
            "other_phone": "",
            "street": "",
            "postal_code": "",
            "city": "",
            "tags": [],
            "notes": "",
            "search_name": "",
            "search_name_reversed": "",
            "do_not_contact": True,
        },
    ),
    "leads.Lead": Mapping(
        PSEUDONYMISE,
        by_path("customer"),
        erase={"message": "", "review_notes": "", "timeframe": "", "tradein_vin": ""},
    ),
    "leads.LeadStatusChange": Mapping(KEEP, by_path("lead__customer")),
    # Staff's own words on why a cadence was paused or stopped may name the customer.
    "leads.CadenceEvent": Mapping(PSEUDONYMISE, by_path("lead__customer"), erase={"reason": ""}),
    # Staff's own words on why a lead was handed back or transferred may name the customer.
    "leads.LeadAssignment": Mapping(PSEUDONYMISE, by_path("lead__customer"), erase={"note": ""}),
    "leads.TransferRequest": Mapping(
        PSEUDONYMISE,
        by_path("lead__customer"),
        erase={"reason": ERASED, "decision_reason": ""},
    ),
    "leads.CadenceRun": Mapping(KEEP, by_path("lead__customer")),
    "leads.TradeInPhoto": Mapping(DELETE, by_path("lead__customer")),
    "leads.Activity": Mapping(PSEUDONYMISE, by_path("customer"), erase={"body": ""}),
    "leads.Task": Mapping(PSEUDONYMISE, by_path("customer"), erase={"title": ERASED}),
    "leads.CustomerMerge": Mapping(
        PSEUDONYMISE,
        lambda s: Q(kept__in=s.customer_ids) | Q(merged__in=s.customer_ids),
        erase={"merged_snapshot": {}},
    ),
    # The document as the marketplace sent it: emptied, its checksum kept so a redelivery
    # of the same document is still recognised (and not imported again).
    "leads.AdfDocument": Mapping(
        PSEUDONYMISE, by_path("leads__customer"), erase={"raw": b"", "problems": []}
    ),
    # conversations: the words in and out are the customer's; the outbox row and the inbound
    # SMS a message links to are erased by messaging's own entries
    "conversations.Message": Mapping(DELETE, by_path("customer")),
    # an email reply as received (raw MIME, from, subject), also those refused or not yet
    # attached, found by the sender's address; the attachments go with their message
    "conversations.InboundEmail": Mapping(
        DELETE, lambda s: Q(customer_id__in=s.customer_ids) | Q(sender__in=s.emails)
    ),
    "conversations.MessageAttachment": Mapping(DELETE, by_path("message__customer")),
    # a live chat, once the visitor said who they are (its lines are Messages, above); an
    # anonymous chat reaches no customer and is purged with the chat retention
    "conversations.ChatSession": Mapping(DELETE, by_path("customer")),
    # inventory
    "inventory.SavedSearch": Mapping(DELETE, lambda s: Q(email__in=s.emails)),
    # messaging: plain customer ids and addresses (it sits below leads)
    "messaging.OutboxMessage": Mapping(
        PSEUDONYMISE,
        by_customer_id_or("to"),
        erase={
            "to": ERASED,
            "context": {},
            "subject": "",
            "body": ERASED,
            "body_html": "",
            "attachments": [],
            "last_error": "",
        },
    ),
    "messaging.Consent": Mapping(DELETE, by_customer_id_or("address")),
    # The latest decision per address (kept by triggers on Consent): goes with the address.
    "messaging.ConsentLatest": Mapping(DELETE, lambda s: Q(address__in=s.addresses)),
    "messaging.InboundSms": Mapping(DELETE, lambda s: Q(sender__in=s.phones)),
    # Rewritten to a salted hash by messaging's suppression_pseudonymise (see services.py),
    # so the outbox still refuses the address if it comes back.
    "messaging.Suppression": Mapping(KEEP, lambda s: Q(address__in=s.addresses)),
    # accounts: the audit trail keeps who did what, not the customer's old values.
    "accounts.AuditEvent": Mapping(
        PSEUDONYMISE, _audit_events, erase={"target_repr": ERASED, "changes": {}}
    ),
    # testdrives: kept for the show-rate figures, without what the customer wrote
    "testdrives.Booking": Mapping(PSEUDONYMISE, by_path("customer"), erase={"message": ""}),
    "testdrives.BookingStatusChange": Mapping(
        PSEUDONYMISE, by_path("booking__customer"), erase={"note": ""}
    ),
    # aftersales: the car's service and recall history stays with the VIN (safety recalls,
    # warranty); the customer's own words go, and no more reminders
    "aftersales.OwnedVehicle": Mapping(
        PSEUDONYMISE,
        by_path("customer"),
        erase={"reminders_opt_out": True},
        blocks_retention="customer",
    ),
    "aftersales.OdometerReading": Mapping(KEEP, by_path("owned_vehicle__customer")),
    "aftersales.ServiceReminder": Mapping(KEEP, by_path("owned_vehicle__customer")),
    "aftersales.ServiceAppointment": Mapping(
        PSEUDONYMISE,
        by_path("customer"),
        erase={"customer_notes": ""},
        blocks_retention="customer",
    ),
    "aftersales.ServiceAppointmentTransition": Mapping(KEEP, by_path("appointment__customer")),
    "aftersales.ServiceRecord": Mapping(KEEP, by_path("owned_vehicle__customer")),
    "aftersales.RecallVehicle": Mapping(KEEP, by_path("owned_vehicle__customer")),
    "aftersales.Complaint": Mapping(
        PSEUDONYMISE, by_path("customer"), erase={"subject": ERASED, "description": ""}
    ),
    "aftersales.ComplaintNote": Mapping(
        PSEUDONYMISE, by_path("complaint__customer"), erase={"note": ""}
    ),
    # orders: contracts, payments and finance decisions are kept as the law requires,
    # without the delivery address, the applicant's personal figures and the signer's name
    "orders.Order": Mapping(
        PSEUDONYMISE,
        by_path("customer"),
        erase={"delivery_street": "", "delivery_postal_code": "", "delivery_city": ""},
        blocks_retention="customer",
    ),
    # quotes are offers, not contracts: nothing obliges keeping them
    "orders.Quote": Mapping(DELETE, by_path("customer")),
    "orders.QuoteOption": Mapping(DELETE, by_path("quote__customer")),
    "orders.OrderVersion": Mapping(KEEP, by_path("order__customer")),
    "orders.OrderTransition": Mapping(KEEP, by_path("order__customer")),
    "orders.Payment": Mapping(KEEP, by_path("order__customer")),
    "orders.FinanceApplication": Mapping(
        PSEUDONYMISE,
        by_path("order__customer"),
        erase={
            "employer": "",
            "national_id_encrypted": "",
            "date_of_birth_encrypted": "",
            "monthly_income_encrypted": "",
        },
    ),
    "orders.Signature": Mapping(
        PSEUDONYMISE, by_path("order__customer"), erase={"full_name": ERASED}
    ),
    # surveys: scores stay in the NPS / CSI figures, free-text answers go
    "surveys.Invitation": Mapping(KEEP, by_path("customer")),
    "surveys.Answer": Mapping(PSEUDONYMISE, by_path("invitation__customer"), erase={"text": ""}),
    # campaigns: who got which campaign, clicked or was held out goes with the customer, so
    # an erased customer is in no result; a segment holds conditions, never customers
    "campaigns.Recipient": Mapping(DELETE, by_path("customer")),
    # privacy
    "privacy.Erasure": Mapping(KEEP, by_path("customer")),
}

# Models that look linked to a customer (an address-like field) but hold no customer's data.
NOT_CUSTOMER_DATA: dict[str, str] = {
    "accounts.User": "staff accounts, not customers",
    "accounts.Location": "the dealership's own branches and their public contact details",
    "inventory.Vehicle": "stock cars; a sold car's buyer is recorded on the order, not here",
}


def mapped_models() -> list[tuple[type[Model], Mapping]]:
    return [(apps.get_model(label), mapping) for label, mapping in MAPPINGS.items()]
