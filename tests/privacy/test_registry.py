"""Every model that holds something about a customer is mapped for export and erasure.

The walk finds models that reach leads.Customer through a chain of foreign keys, carry
messaging's plain `customer_id`, or store an address (an email field, or a field named like
one). A new such model must get a line in dealership/privacy/registry.py.
"""

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from dealership.privacy.registry import MAPPINGS, NOT_CUSTOMER_DATA, PSEUDONYMISE, Subject
from leads.models import Lead

REGISTRY_FILE = "dealership/privacy/registry.py"
ADDRESS_FIELD_NAMES = {"address", "email", "to", "sender", "recipient", "phone", "mobile_phone"}
MAX_DEPTH = 4


def _reaches_customer(model, depth: int = 0, seen: frozenset = frozenset()) -> bool:
    if model._meta.label == "leads.Customer":
        return True
    if depth >= MAX_DEPTH or model in seen:
        return False
    return any(
        _reaches_customer(field.related_model, depth + 1, seen | {model})
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is not None
    )


def links_to_customer(model) -> bool:
    if _reaches_customer(model):
        return True
    for field in model._meta.concrete_fields:
        if field.name == "customer_id" and not field.is_relation:
            return True
        if isinstance(field, models.EmailField) or field.name in ADDRESS_FIELD_NAMES:
            return True
    return False


def unmapped(models_to_check) -> list[str]:
    return [
        f"{model._meta.label} ({model.__module__}) is linked to a customer but not mapped for "
        f"export and erasure: add it to MAPPINGS (or NOT_CUSTOMER_DATA, with the reason) in "
        f"{REGISTRY_FILE}"
        for model in models_to_check
        if links_to_customer(model)
        and model._meta.label not in MAPPINGS
        and model._meta.label not in NOT_CUSTOMER_DATA
    ]


def test_every_model_linked_to_a_customer_is_mapped():
    problems = unmapped(apps.get_models())

    assert problems == [], "\n".join(problems)


def test_the_walk_finds_the_models_it_should():
    found = {m._meta.label for m in apps.get_models() if links_to_customer(m)}

    assert {
        "leads.Customer",
        "leads.Lead",
        "leads.TradeInPhoto",
        "leads.LeadStatusChange",
        "messaging.OutboxMessage",
        "messaging.Consent",
        "messaging.Suppression",
        "messaging.InboundSms",
        "inventory.SavedSearch",
        "privacy.Erasure",
    } <= found
    assert "inventory.Feature" not in found


@isolate_apps("tests.privacy")
def test_a_new_model_linked_to_a_customer_fails_the_check_naming_model_and_file():
    # Given a model two foreign keys away from the customer, and one with a plain address
    class Warranty(models.Model):  # noqa: DJ008 - a throwaway model for the check
        lead = models.ForeignKey(Lead, on_delete=models.CASCADE)

        class Meta:
            app_label = "privacy"

    class Newsletter(models.Model):  # noqa: DJ008 - a throwaway model for the check
        address = models.CharField(max_length=254)

        class Meta:
            app_label = "privacy"

    class Colour(models.Model):  # noqa: DJ008 - a throwaway model for the check
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "privacy"

    # When the check looks at them
    problems = unmapped([Warranty, Newsletter, Colour])

    # Then it names the two linked ones and the file to edit
    assert problems == [
        "privacy.Warranty (tests.privacy.test_registry) is linked to a customer but not mapped "
        "for export and erasure: add it to MAPPINGS (or NOT_CUSTOMER_DATA, with the reason) in "
        "dealership/privacy/registry.py",
        "privacy.Newsletter (tests.privacy.test_registry) is linked to a customer but not "
        "mapped for export and erasure: add it to MAPPINGS (or NOT_CUSTOMER_DATA, with the "
        "reason) in dealership/privacy/registry.py",
    ]


def test_mappings_name_real_models_and_fields():
    for label, mapping in MAPPINGS.items():
        model = apps.get_model(label)
        field_names = {f.name for f in model._meta.concrete_fields}
        assert set(mapping.erase) <= field_names, label
        if mapping.treatment == PSEUDONYMISE:
            assert mapping.erase, label
    assert not set(MAPPINGS) & set(NOT_CUSTOMER_DATA)


@pytest.mark.django_db
def test_every_mapping_selects_rows_with_one_query(django_assert_num_queries):
    subject = Subject(
        customer_ids=frozenset({1}),
        lead_ids=frozenset({1}),
        emails=frozenset({"a@example.com"}),
        phones=frozenset({"+4915112345678"}),
    )
    for label, mapping in MAPPINGS.items():
        model = apps.get_model(label)
        mapping.match(subject)  # resolves cached lookups (content types) outside the count
        with django_assert_num_queries(1):
            assert list(model.objects.filter(mapping.match(subject))) == []
