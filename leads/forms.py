"""Forms validate and shape input only; services do the work."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.accounts.public_forms import MARKETING, PublicForm
from inventory.photos import photo_check_upload
from inventory.vin import validate_vin

from .models import Activity, Customer, Lead
from .phones import phone_display, phone_to_e164

MARKETING_CONSENT_WORDING = _(
    "Yes, send me offers and news about cars and services by email and SMS. I can withdraw "
    "this at any time with the link in every message."
)
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PUBLIC_TYPES = [
    (Lead.Type.VEHICLE_ENQUIRY, _("Ask a question")),
    (Lead.Type.E_PRICE, _("Get an e-price")),
    (Lead.Type.TRADE_IN, _("Value my trade-in")),
    (Lead.Type.TEST_DRIVE, _("Request a test drive")),
    (Lead.Type.FINANCE, _("Ask about finance")),
    (Lead.Type.GENERAL, _("General enquiry")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_PHOTOS:
            raise ValidationError(
                _("Attach at most %(max)d photos.") % {"max": MAX_PHOTOS}, code="too_many"
            )
        cleaned = []
        for upload in files:
            if upload.size > MAX_PHOTO_BYTES:
                raise ValidationError(
                    _("%(name)s is larger than 5 MB.") % {"name": upload.name}, code="too_big"
                )
            # The showroom's own photo rules: JPEG, PNG or WebP only (no GIF/script polyglots,
            # no SVG), a pixel limit, decompression bombs refused with a clear message.
            photo_check_upload(upload)
            cleaned.append(super().clean(upload, initial))
        return cleaned


class EnquiryForm(PublicForm):
    """The public enquiry: a question, an e-price, a trade-in valuation, a contact request."""

    consent_fields = {"marketing_consent": MARKETING}

    type = forms.ChoiceField(label=_("What can we do for you?"), choices=PUBLIC_TYPES)
    location = forms.ModelChoiceField(
        label=_("Branch"), queryset=Location.objects.none(), empty_label=None
    )
    vehicle = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    message = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    tradein_year = forms.IntegerField(
        label=_("Trade-in year"), required=False, min_value=1950, max_value=2100
    )
    tradein_make = forms.CharField(label=_("Trade-in make"), max_length=60, required=False)
    tradein_model = forms.CharField(label=_("Trade-in model"), max_length=60, required=False)
    tradein_mileage_km = forms.IntegerField(
        label=_("Trade-in mileage (km)"), required=False, min_value=0, max_value=2_000_000
    )
    tradein_condition = forms.ChoiceField(
        label=_("Trade-in condition"),
        choices=[("", "—"), *Lead.Condition.choices],
        required=False,
    )
    tradein_vin = forms.CharField(label=_("Trade-in VIN (optional)"), max_length=20, required=False)
    photos = MultipleImageField(label=_("Photos of your car (optional, up to 5)"), required=False)
    marketing_consent = forms.BooleanField(
        label=MARKETING_CONSENT_WORDING, required=False, initial=False
    )

    def clean_tradein_vin(self):
        raw = self.cleaned_data["tradein_vin"]
        if not raw:
            return ""
        return validate_vin(raw)

    def clean(self):
        cleaned = super().clean()
        email, phone = cleaned.get("email"), cleaned.get("phone")
        location = cleaned.get("location")
        if phone and location and not phone_to_e164(phone, region=location.country):
            self.add_error("phone", _("Enter a valid phone number, e.g. 0151 23456789."))
        elif not email and not phone and "email" not in self.errors:
            raise ValidationError(_("Give us an email address or a phone number to reply to."))
        if cleaned.get("type") == Lead.Type.TRADE_IN:
            for name in ("tradein_year", "tradein_make", "tradein_model", "tradein_mileage_km"):
                if cleaned.get(name) in (None, ""):
                    self.add_error(name, _("We need this to value your car."))
        return cleaned


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Activity"), choices=Activity.Kind.choices)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Activity.Direction.choices, initial="outbound"
    )
    outcome = forms.ChoiceField(
        label=_("Call outcome"), choices=[("", "—"), *Activity.Outcome.choices], required=False
    )
    body = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Activity.Kind.CALL and not cleaned.get("outcome"):
            self.add_error("outcome", _("Record the outcome of the call."))
        if cleaned.get("kind") != Activity.Kind.CALL:
            cleaned["outcome"] = ""
        return cleaned


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Move to"), choices=Lead.Status.choices)
    lost_reason = forms.ChoiceField(
        label=_("Lost reason"), choices=[("", "—"), *Lead.LostReason.choices], required=False
    )


CADENCE_REASON = {
    "pause": (_("Why pause the cadence?"), _("Say why the cadence is paused.")),
    "resume": (_("Why resume the cadence?"), _("Say why the cadence is resumed.")),
    "stop": (_("Why stop the cadence?"), _("Say why the cadence is stopped.")),
}


class CadenceReasonForm(forms.Form):
    """The reason staff give to pause, resume or stop a lead's cadence (one form per button,
    each with its own label and element ids)."""

    reason = forms.CharField(max_length=300)

    def __init__(self, *args, action: str, **kwargs):
        kwargs.setdefault("auto_id", f"cadence-{action}-%s")
        super().__init__(*args, **kwargs)
        label, required = CADENCE_REASON[action]
        self.action = action
        field = self.fields["reason"]
        field.label = label
        field.error_messages["required"] = required


class AssignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = consultants
        self.fields["to_user"].label_from_instance = lambda u: u.get_full_name() or u.username


class HandBackForm(forms.Form):
    """A consultant gives their lead back to the location's unassigned queue."""

    reason = forms.CharField(
        label=_("Why hand the lead back?"),
        max_length=300,
        error_messages={"required": _("Say why you hand the lead back.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "hand-back-%s")
        super().__init__(*args, **kwargs)


class TransferRequestForm(forms.Form):
    """A consultant asks a manager to hand their lead to a colleague of its location."""

    to_user = forms.ModelChoiceField(
        label=_("Colleague"),
        queryset=None,
        error_messages={"required": _("Choose the colleague to hand the lead to.")},
    )
    reason = forms.CharField(
        label=_("Why should the lead go to them?"),
        max_length=300,
        error_messages={"required": _("Say why the lead should go to your colleague.")},
    )

    def __init__(self, *args, colleagues, **kwargs):
        kwargs.setdefault("auto_id", "transfer-%s")
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = colleagues
        self.fields["to_user"].label_from_instance = lambda u: u.get_full_name() or u.username


class TransferRefuseForm(forms.Form):
    """A manager refuses a transfer request, saying why (one form per request on a page)."""

    reason = forms.CharField(
        label=_("Reason for refusing"),
        max_length=300,
        error_messages={"required": _("Say why you refuse the transfer.")},
    )

    def __init__(self, *args, transfer_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"refuse-{transfer_id}-%s")
        super().__init__(*args, **kwargs)


class BulkAssignForm(AssignForm):
    leads = forms.ModelMultipleChoiceField(queryset=None, label=_("Leads"))

    def __init__(self, *args, leads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = leads


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, tzinfo: datetime.tzinfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.tzinfo = tzinfo

    def clean_due_at(self):
        value = self.cleaned_data["due_at"]
        # The browser sends wall-clock time: read it in the lead's location's time zone.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return timezone.make_aware(naive, self.tzinfo)


class MergeForm(forms.Form):
    kept = forms.IntegerField(widget=forms.HiddenInput)
    merged = forms.IntegerField(widget=forms.HiddenInput)


class InboxFilterForm(forms.Form):
    scope = forms.ChoiceField(label=_("Show"), required=False, choices=())
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("open", _("Open")), *Lead.Status.choices],
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any")), *Lead.Source.choices]
    )
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any")), *Lead.Type.choices]
    )
    age = forms.ChoiceField(
        label=_("Received"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("1d", _("Last 24 hours")),
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            ("90d", _("Last 90 days")),
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("due", _("Response due")),
            ("score", _("Highest score")),
            ("attention", _("Unassigned and overdue first")),
        ],
    )

    SCOPE_LABELS = {"mine": _("My leads"), "location": _("My locations"), "all": _("All")}
    # Rendered without crispy: the inbox is the busiest page, and plain widgets are cheaper.
    label_suffix = ""

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [(s, self.SCOPE_LABELS[s]) for s in scopes]
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-select"
            if isinstance(field, forms.CharField):
                css = "form-control"
            field.widget.attrs["class"] = css

    def controls(self) -> list[dict]:
        """The filter controls as ready HTML, one dict per field (label, id, html, checkbox).

        Django's widgets render every <option> through its own template: about 7 ms per
        request for these five selects on the busiest staff page. The markup here is the same
        (name, id, class, the bound value selected), escaped by format_html, built once per
        request from the translated choices.
        """
        controls = []
        for name, field in self.fields.items():
            auto_id = f"id_{name}"
            value = self[name].value()
            if isinstance(field, forms.BooleanField):
                html = format_html(
                    '<input type="checkbox" name="{}" class="form-check-input" id="{}"{}>',
                    name,
                    auto_id,
                    " checked" if field.widget.check_test(value) else "",
                )
            elif isinstance(field, forms.ChoiceField):
                selected = "" if value is None else str(value)
                options = format_html_join(
                    "",
                    '<option value="{}"{}>{}</option>',
                    (
                        (
                            option,
                            " selected" if str(option) == selected else "",
                            label,
                        )
                        for option, label in field.choices
                    ),
                )
                html = format_html(
                    '<select name="{}" class="form-select" id="{}">{}</select>',
                    name,
                    auto_id,
                    options,
                )
            else:
                html = format_html(
                    '<input type="text" name="{}"{} maxlength="{}" class="form-control" id="{}">',
                    name,
                    format_html(' value="{}"', value) if value else "",
                    field.max_length,
                    auto_id,
                )
            controls.append(
                {
                    "id": auto_id,
                    "label": field.label,
                    "html": html,
                    "checkbox": isinstance(field, forms.BooleanField),
                }
            )
        return controls


def customer_choice_label(customer: Customer) -> str:
    """How a customer found by a search reads in the list: name, email, phone."""
    parts = [customer.full_name, customer.email, *map(phone_display, customer.phones)]
    return " · ".join(part for part in parts if part)


def vehicle_choice_label(vehicle) -> str:
    return f"{vehicle.title} · {vehicle.stock_number}"


class SearchInput(forms.TextInput):
    input_type = "search"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})


class CustomerVehicleSearchForm(forms.Form):
    """The search above a phone booking or a new quote (GET): the location, the customer,
    the car."""

    location = forms.ModelChoiceField(
        label=_("Location"), queryset=None, required=False, empty_label=None
    )
    customer_q = forms.CharField(
        label=_("Find the customer by name, phone or email"),
        max_length=100,
        required=False,
        widget=SearchInput,
    )
    vehicle_q = forms.CharField(
        label=_("Find a vehicle by stock number, make or model"),
        max_length=100,
        required=False,
        widget=SearchInput,
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
