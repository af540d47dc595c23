"""Customers: find-or-create from contact details, duplicates, merge."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, Location, User
from dealership.accounts.services import audit_diff, audit_record

from ..models import Customer, CustomerMerge
from ..phones import phone_to_e164

# Fields a later contact may fill in when the customer record has them blank.
FILLABLE = ("first_name", "last_name", "street", "postal_code", "city", "country", "language")


# The fields of a customer that the audit trail follows (its record, not its bookkeeping).
AUDITED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "other_phone",
    "preferred_channel",
    "language",
    "street",
    "postal_code",
    "city",
    "country",
    "location",
    "owner",
    "tags",
    "do_not_contact",
    "notes",
)


def customer_audit_snapshot(customer: Customer) -> dict:
    """The audited fields of a customer, foreign keys as ids."""
    return {
        field: getattr(customer, f"{field}_id" if field in ("location", "owner") else field)
        for field in AUDITED_FIELDS
    }


def customer_search_names(first_name: str, last_name: str) -> tuple[str, str]:
    first, last = first_name.strip().lower(), last_name.strip().lower()
    return f"{first} {last}".strip()[:201], f"{last} {first}".strip()[:201]


def contact_normalise(*, email: str, phone: str, region: str) -> tuple[str, str | None]:
    """Email lower-cased, phone in E.164 (None when given but not a valid number)."""
    return (email or "").strip().lower(), phone_to_e164(phone, region=region)


def customer_matches(*, email: str = "", phone: str = "") -> list[Customer]:
    """Live (unmerged) customers sharing the normalised email or phone; email matches first."""
    condition = Q(pk__in=[])
    if email:
        condition |= Q(email=email)
    if phone:
        condition |= Q(mobile_phone=phone) | Q(other_phone=phone)
    found = list(Customer.objects.filter(condition, merged_into__isnull=True).order_by("pk"))
    return sorted(found, key=lambda c: (not (email and c.email == email), c.pk))


def _lock_contact(email: str, phone: str) -> None:
    # Two leads from the same new person at the same moment must not make two customers:
    # serialise on the contact details for the rest of the transaction.
    for value in sorted(v for v in (email, phone) if v):
        digest = int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [digest])


@transaction.atomic
def customer_get_or_create_from_contact(
    *,
    location: Location,
    source: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "",
    preferred_channel: str = "",
    actor: User | None = None,
) -> tuple[Customer, bool]:
    """The customer these contact details belong to, created if nobody matches.

    Matches an existing customer by normalised email or phone (parsed with the location's
    country as default region); fills in blanks on a match, never overwrites. Raises
    ValidationError when there is no valid way to contact the person.

    Audited: "create" for a new customer, "update" with the filled-in fields on a match.
    `actor` is the staff user entering the contact; None (the usual case) means the customer
    themself through a form or a feed, recorded as actor "system" with `via` = `source`.
    """
    email, e164 = contact_normalise(email=email, phone=phone, region=location.country)
    if phone and not e164 and not email:
        raise ValidationError({"phone": _("Enter a valid phone number.")})
    if not email and not e164:
        raise ValidationError(_("Give an email address or a phone number."))
    _lock_contact(email, e164 or "")
    given = {
        "first_name": first_name.strip()[:100],
        "last_name": last_name.strip()[:100],
        "street": street.strip()[:200],
        "postal_code": postal_code.strip()[:20],
        "city": city.strip()[:100],
        "country": country.strip().upper()[:2],
        "language": language[:10],
    }
    matches = customer_matches(email=email, phone=e164 or "")
    if matches:
        customer = matches[0]
        changed = [f for f in FILLABLE if given[f] and not getattr(customer, f)]
        for field in changed:
            setattr(customer, field, given[field])
        if email and not customer.email:
            customer.email = email
            changed.append("email")
        if e164 and e164 not in customer.phones:
            if not customer.mobile_phone:
                customer.mobile_phone = e164
                changed.append("mobile_phone")
            elif not customer.other_phone:
                customer.other_phone = e164
                changed.append("other_phone")
        if changed:
            customer.search_name, customer.search_name_reversed = customer_search_names(
                customer.first_name, customer.last_name
            )
            customer.full_clean()
            customer.save(update_fields=[*changed, "search_name", "search_name_reversed"])
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=customer,
                changes={
                    **{field: ["", getattr(customer, field)] for field in changed},
                    "via": source,
                },
            )
        return customer, False
    customer = Customer(
        **given,
        email=email,
        mobile_phone=e164 or "",
        location=location,
        source=source,
        preferred_channel=preferred_channel,
    )
    customer.search_name, customer.search_name_reversed = customer_search_names(
        customer.first_name, customer.last_name
    )
    customer.full_clean()
    customer.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=customer,
        changes={
            **audit_diff(
                {},
                {
                    field: value
                    for field, value in customer_audit_snapshot(customer).items()
                    if value not in ("", None, [], False)
                },
            ),
            "via": source,
        },
    )
    return customer, True


def _move_related(kept: Customer, merged: Customer) -> dict[str, int]:
    """Point every row that references `merged` at `kept`, whichever app it lives in.

    Walking the model's relations (instead of a list) includes what later apps add:
    test drives, orders, owned vehicles, surveys.
    """
    moved = {}
    for rel in Customer._meta.related_objects:
        name = rel.field.name
        if rel.many_to_many:
            through = rel.through
            source_field = rel.field.m2m_reverse_field_name()
            count = through.objects.filter(**{source_field: merged}).update(**{source_field: kept})
        else:
            count = rel.related_model._base_manager.filter(**{name: merged}).update(**{name: kept})
        if count:
            moved[rel.related_model._meta.label] = count
    return moved


@transaction.atomic
def customer_merge(*, kept: Customer, merged: Customer, by: User | None) -> CustomerMerge:
    """Fold `merged` into `kept`: every related record moves, blanks on `kept` are filled,
    tags and notes are combined, `merged` stays as a pointer (never deleted) and the merge is
    logged with a snapshot of the merged customer's fields, and audited as one "update" of
    `kept` (its changed fields, the merged customer's id, the moved counts). Locks both rows
    in pk order."""
    if kept.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged into itself."))
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[kept.pk, merged.pk])
        .order_by("pk")
    }
    kept, merged = locked[kept.pk], locked[merged.pk]
    if kept.merged_into_id or merged.merged_into_id:
        raise ValidationError(_("One of these customers has already been merged."))
    before = customer_audit_snapshot(kept)
    snapshot = model_to_dict(merged)
    snapshot["location"] = merged.location_id
    snapshot["owner"] = merged.owner_id
    moved = _move_related(kept, merged)
    from ..outbox import outbox_customer_move

    moved.update(outbox_customer_move(from_customer_id=merged.pk, to_customer_id=kept.pk))

    for field in (*FILLABLE, "email", "preferred_channel", "owner"):
        if not getattr(kept, field) and getattr(merged, field):
            setattr(kept, field, getattr(merged, field))
    for phone in merged.phones:
        if phone not in kept.phones:
            if not kept.mobile_phone:
                kept.mobile_phone = phone
            elif not kept.other_phone:
                kept.other_phone = phone
    kept.tags = sorted(set(kept.tags) | set(merged.tags))
    if merged.notes and merged.notes not in kept.notes:
        kept.notes = f"{kept.notes}\n\n{merged.notes}".strip()
    kept.search_name, kept.search_name_reversed = customer_search_names(
        kept.first_name, kept.last_name
    )
    kept.full_clean()
    kept.save()
    merged.merged_into = kept
    merged.save(update_fields=["merged_into", "updated_at"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=kept,
        changes={
            **audit_diff(before, customer_audit_snapshot(kept)),
            "merged_customer": merged.pk,
            "moved": moved,
        },
    )
    return CustomerMerge.objects.create(
        kept=kept, merged=merged, merged_snapshot=snapshot, moved=moved, merged_by=by
    )
