"""The one pipeline for the showroom's public forms (issue 21).

Every form a visitor sends without logging in (enquiry, trade-in, contact, test-drive and
service bookings, complaint, saved search, chat's first message) goes the same way:

    rate limit -> honeypot -> validation -> one service call -> where to go

`PublicForm` is the form side: the honeypot field (`website`: hidden from people, filled by
bots) and the consent boxes, each granting exactly one purpose, whose label is the wording
that gets recorded. `PublicFormView` is the view side; a view says which form, which service
(`submit`) and where to go (the response `submit` returns), and overrides a hook only where
its page answers differently (JSON for the chat, 409 for a taken slot).

- Over the rate limit: 429, the form shown again with what was typed and a message; the
  service is not called. Counted before validation, so a flood of invalid posts is limited
  too.
- Honeypot filled: the visitor is sent where a real submission goes ("thanks"), nothing is
  saved, the address is logged.
- Invalid: 400 with the form's errors; a `ValidationError` from the service: 400 likewise.

Consent never widens: `consent_given(purpose)` is False unless the form has a box for that
purpose and it was ticked, whatever else was posted, and `consent_wording(purpose)` is that
box's label as the visitor saw it (in their language).
"""

import logging
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View

from .client_ip import client_ip
from .ratelimit import rate_limited

logger = logging.getLogger(__name__)

# The purposes a public form's consent box may grant; the values of
# dealership.messaging.models.Purpose (which sits above this module).
MARKETING = "marketing"
ALERT = "alert"

HONEYPOT = "website"


def honeypot_field() -> forms.CharField:
    """The honeypot: hidden from people (CSS and aria-hidden), skipped by the keyboard and by
    autofill; bots fill every field."""
    return forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


class PublicForm(forms.Form):
    """A form the public sends: the honeypot plus the consent boxes it shows.

    `consent_fields` maps each consent box (a BooleanField) to the one purpose it grants.
    `locations`, when given, are the choices of the form's `location` field (the branches
    the public may pick)."""

    consent_fields: dict[str, str] = {}

    website = honeypot_field()

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Declared on the base class, so Django puts it first: keep it last, as it was.
        self.fields[HONEYPOT] = self.fields.pop(HONEYPOT)
        if locations is not None:
            self.fields["location"].queryset = locations

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def _consent_field(self, purpose: str) -> str | None:
        return next((name for name, p in self.consent_fields.items() if p == purpose), None)

    def consent_wording(self, purpose: str) -> str:
        """The label of the box for `purpose`, exactly as shown; "" if the form has none."""
        name = self._consent_field(purpose)
        return str(self.fields[name].label) if name else ""

    def consent_given(self, purpose: str) -> bool:
        """True only if the form shows a box for `purpose` and it was ticked."""
        name = self._consent_field(purpose)
        return bool(name and self.cleaned_data.get(name))

    def service_data(self) -> dict:
        """The cleaned data for the service: without the honeypot and the consent boxes
        (those go through consent_given / consent_wording)."""
        skip = {HONEYPOT, *self.consent_fields}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


@dataclass(frozen=True)
class RateLimit:
    """A per-address limit on a public form. `limit` and `period` are numbers or the names of
    settings, read at each request (so tests and deployments can change them)."""

    scope: str
    limit: int | str
    period: int | str = 60

    def _value(self, value):
        return getattr(settings, value) if isinstance(value, str) else value

    def hit(self, request) -> bool:
        """Count this request; True once the client is over the limit."""
        return rate_limited(
            request,
            scope=self.scope,
            limit=self._value(self.limit),
            period=self._value(self.period),
        )


class PublicFormView(View):
    """GET shows the form; POST runs rate limit -> honeypot -> validation -> `submit`.

    Set `form_class`, `template_name`, `rate_limit`, `limited_message` and `spam_url` (where
    a filled honeypot is sent: where a real submission would go); implement `submit(form)`:
    the one service call, returning the response (usually a redirect). Hooks for pages that
    answer otherwise: `get_form_kwargs`, `get_context_data`, `form_limited`, `form_spam`,
    `form_invalid`, `service_error`."""

    http_method_names = ["get", "head", "post"]
    form_class: type[forms.Form]
    template_name = ""
    rate_limit: RateLimit | None = None
    limited_message = ""
    spam_url = ""
    log_name = "public form"  # for the log line when the honeypot is filled

    # --- the pipeline --------------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form(), status=200)

    def post(self, request, *args, **kwargs):
        form = self.get_form(data=request.POST, files=request.FILES)
        if self.rate_limit is not None and self.rate_limit.hit(request):
            return self.form_limited(form)
        if getattr(form, "is_spam", False):
            logger.info("%s honeypot filled from %s", self.log_name, client_ip(request))
            return self.form_spam(form)
        if not form.is_valid():
            return self.form_invalid(form)
        try:
            return self.submit(form)
        except ValidationError as error:
            return self.service_error(form, error)

    def submit(self, form):
        raise NotImplementedError

    # --- hooks ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return get_language() or ""

    def get_form_kwargs(self) -> dict:
        return {}

    def get_form(self, **bound):
        return self.form_class(**bound, **self.get_form_kwargs())

    def get_context_data(self, **context) -> dict:
        return context

    def render_form(self, form, *, status: int, **context):
        return render(
            self.request,
            self.template_name,
            self.get_context_data(form=form, **context),
            status=status,
        )

    def form_limited(self, form):
        form.is_valid()  # show what was typed, untouched
        form.add_error(None, self.limited_message)
        return self.render_form(form, status=429)

    def form_spam(self, form):
        return redirect(self.spam_url)

    def form_invalid(self, form, *, status: int = 400, **context):
        return self.render_form(form, status=status, **context)

    def service_error(self, form, error: ValidationError):
        form.add_error(None, error)
        return self.form_invalid(form)
