"""Entries other apps add to the customer 360 timeline.

Leads sits below the apps that know more about a customer (after-sales, test drives, orders),
so it cannot import them. They register a provider here from their AppConfig.ready(); the
customer 360 calls each provider once per page, so every provider must run a fixed number of
queries. A provider returns dicts: {"at": aware datetime, "kind": "external", "label": str,
"detail": str, "url": str or ""}.
"""

from collections.abc import Callable

TimelineProvider = Callable[..., list[dict]]
_providers: list[TimelineProvider] = []


def timeline_provider_register(provider: TimelineProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def timeline_entries(*, customer, limit: int) -> list[dict]:
    entries: list[dict] = []
    for provider in _providers:
        entries.extend(provider(customer=customer, limit=limit))
    return entries


# Links other apps offer on the customer 360 ("Add a car", "Log a complaint"): (label, URL
# name); the URL gets "?customer=<pk>".
_actions: list[tuple] = []


def customer_action_register(*, label, url_name: str) -> None:
    if (label, url_name) not in _actions:
        _actions.append((label, url_name))


def customer_actions(*, customer) -> list[dict]:
    from django.urls import reverse

    return [
        {"label": label, "url": f"{reverse(url_name)}?customer={customer.pk}"}
        for label, url_name in _actions
    ]


# Links other apps offer on a lead's page ("Desk a deal"): (label, URL name); the URL gets
# "?lead=<pk>".
_lead_actions: list[tuple] = []


def lead_action_register(*, label, url_name: str) -> None:
    if (label, url_name) not in _lead_actions:
        _lead_actions.append((label, url_name))


def lead_actions(*, lead) -> list[dict]:
    from django.urls import reverse

    return [
        {"label": label, "url": f"{reverse(url_name)}?lead={lead.pk}"}
        for label, url_name in _lead_actions
    ]
