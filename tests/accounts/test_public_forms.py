"""The public-form pipeline itself (dealership/accounts/public_forms.py): rate limit ->
honeypot -> validation -> one service call -> where to go, and consent recorded with the
form's own wording for exactly the purposes ticked."""

import uuid

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import Client, RequestFactory

from dealership.accounts.public_forms import (
    ALERT,
    MARKETING,
    PublicForm,
    PublicFormView,
    RateLimit,
)
from dealership.messaging.models import Purpose
from leads.models import Lead

pytestmark = pytest.mark.django_db

MARKETING_WORDING = "Yes, send me offers by email."
ALERT_WORDING = "Email me new matches for this search."


class TwoBoxForm(PublicForm):
    consent_fields = {"offers": MARKETING, "alerts": ALERT}

    name = forms.CharField(max_length=20)
    offers = forms.BooleanField(label=MARKETING_WORDING, required=False)
    alerts = forms.BooleanField(label=ALERT_WORDING, required=False)


class NoBoxForm(PublicForm):
    name = forms.CharField(max_length=20)


def _view(calls, *, limit=100, error=None, form_class=TwoBoxForm):
    """A pipeline view whose service records its calls (and raises `error`, if given)."""

    class View(PublicFormView):
        rate_limit = RateLimit(f"test-{uuid.uuid4().hex}", limit, 60)
        limited_message = "Too many."
        spam_url = "/thanks/"

        def render_form(self, form, *, status, **context):
            return HttpResponse(repr(dict(form.errors)), status=status)

        def submit(self, form):
            if error is not None:
                raise error
            calls.append(
                {
                    "data": form.service_data(),
                    "marketing": (form.consent_given(MARKETING), form.consent_wording(MARKETING)),
                    "alert": (form.consent_given(ALERT), form.consent_wording(ALERT)),
                }
            )
            return HttpResponse("done", status=302, headers={"Location": "/thanks/"})

    View.form_class = form_class
    return View.as_view()


def _post(view, data):
    return view(RequestFactory().post("/form/", data))


def test_over_the_limit_answers_429_before_validation_and_calls_nothing():
    calls = []
    view = _view(calls, limit=1)
    assert _post(view, {"name": "Ana"}).status_code == 302

    response = _post(view, {"name": "x" * 50})  # invalid too: the limit answers first

    assert response.status_code == 429
    assert "Too many." in response.content.decode()
    assert len(calls) == 1


def test_a_filled_honeypot_seems_to_succeed_but_calls_nothing():
    calls = []

    response = _post(_view(calls), {"name": "Bot", "offers": "on", "website": "http://spam"})

    assert response.status_code == 302
    assert response["Location"] == "/thanks/"
    assert calls == []


def test_invalid_input_answers_400_with_the_errors_and_calls_nothing():
    calls = []

    response = _post(_view(calls), {"name": ""})

    assert response.status_code == 400
    assert "name" in response.content.decode()
    assert calls == []


def test_a_service_refusal_answers_400_with_its_message():
    calls = []

    response = _post(_view(calls, error=ValidationError("That branch is closed.")), {"name": "A"})

    assert response.status_code == 400
    assert "That branch is closed." in response.content.decode()


def test_consent_is_recorded_with_the_forms_wording_for_exactly_the_boxes_ticked():
    calls = []

    _post(_view(calls), {"name": "Ana", "alerts": "on"})

    (call,) = calls
    assert call["alert"] == (True, ALERT_WORDING)
    assert call["marketing"] == (False, MARKETING_WORDING)  # not ticked: not granted
    # The service gets the data without the honeypot and the boxes.
    assert call["data"] == {"name": "Ana"}


def test_a_consent_the_form_does_not_show_is_never_granted():
    calls = []

    _post(_view(calls, form_class=NoBoxForm), {"name": "Ana", "offers": "on", "alerts": "on"})

    (call,) = calls
    assert call["marketing"] == (False, "")
    assert call["alert"] == (False, "")


def test_the_purposes_are_the_outboxs():
    assert MARKETING == Purpose.MARKETING
    assert ALERT == Purpose.ALERT


def test_the_honeypot_stays_last_and_out_of_the_keyboard_and_autofill():
    form = TwoBoxForm()

    assert list(form.fields)[-1] == "website"
    assert form.fields["website"].widget.attrs == {"autocomplete": "off", "tabindex": "-1"}
    assert str(form.fields["website"].label) == "Leave this empty"


def test_rate_limits_read_their_settings_at_each_request(settings):
    settings.TEST_PUBLIC_FORM_LIMIT = 0
    limit = RateLimit(f"test-{uuid.uuid4().hex}", "TEST_PUBLIC_FORM_LIMIT", 60)

    assert limit.hit(RequestFactory().post("/form/")) is True


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/enquiries/contact/", {"type": Lead.Type.GENERAL, "first_name": "Ana"}),
        ("/service/complaints/new/", {"first_name": "Ana"}),
        ("/vehicles/saved-searches/", {"email": "ana@example.com", "query": "make=BMW"}),
        ("/chat/start/", {"body": "Hello"}),
    ],
)
def test_public_forms_enforce_csrf(url, data):
    response = Client(enforce_csrf_checks=True).post(url, data)

    assert response.status_code == 403
