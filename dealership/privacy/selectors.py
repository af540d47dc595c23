"""Privacy's reads: whom a request is about, and everything held about them (the export)."""

import base64
import datetime
from decimal import Decimal

from django.db.models import Model

from dealership.accounts.models import User
from dealership.messaging.addresses import normalise_address
from dealership.messaging.models import Channel
from leads.models import Customer, Lead
from leads.selectors import customer_list_for_user

from .registry import Subject, mapped_models


def customer_for_privacy(*, user: User, pk: int) -> Customer:
    """A live customer of the user's locations (all, for administrators); DoesNotExist else."""
    return customer_list_for_user(user=user).select_related("location").get(pk=pk)


def customer_subject(*, customer: Customer) -> Subject:
    """The customer, every customer merged into it (at any depth), their leads and addresses."""
    ids, frontier = {customer.pk}, {customer.pk}
    while frontier:
        frontier = (
            set(Customer.objects.filter(merged_into__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    emails, phones = set(), set()
    for email, *numbers in Customer.objects.filter(pk__in=ids).values_list(
        "email", "mobile_phone", "other_phone"
    ):
        if email:
            emails |= {email, _normalised(Channel.EMAIL, email)}
        phones |= {_normalised(Channel.SMS, number) for number in numbers if number}
    return Subject(
        customer_ids=frozenset(ids),
        lead_ids=frozenset(Lead.objects.filter(customer__in=ids).values_list("pk", flat=True)),
        emails=frozenset(emails),
        phones=frozenset(phones),
    )


def _normalised(channel: str, address: str) -> str:
    try:
        return normalise_address(channel, address)
    except Exception:  # stored before validation got strict: match it as it is
        return address.strip().lower() if channel == Channel.EMAIL else address.strip()


def customer_export(*, customer: Customer) -> dict:
    """Everything held about the customer, model by model, as JSON-able values.

    {"customer_id": …, "sections": [{"model": "leads.Lead", "name": "leads",
    "treatment": "pseudonymise", "rows": [{field: value}]}]}. One query per mapped model,
    plus the few that find the merged customers, leads and addresses."""
    subject = customer_subject(customer=customer)
    sections = []
    for model, mapping in mapped_models():
        fields = list(model._meta.concrete_fields)
        rows = model.objects.filter(mapping.match(subject)).order_by("pk")
        sections.append(
            {
                "model": model._meta.label,
                "name": str(model._meta.verbose_name_plural),
                "treatment": str(mapping.treatment),
                "fields": [f.attname for f in fields],
                "rows": [
                    {f.attname: _jsonable(getattr(row, f.attname)) for f in fields} for row in rows
                ],
            }
        )
    return {"customer_id": customer.pk, "sections": sections}


def _jsonable(value):
    if isinstance(value, memoryview | bytes):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode("ascii")
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value
