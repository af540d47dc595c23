import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealership.accounts.public_forms import MARKETING, PublicForm
from inventory.models import Vehicle
from leads.forms import (  # one consent wording and one caller search for the whole site
    MARKETING_CONSENT_WORDING,
    customer_choice_label,
    vehicle_choice_label,
)
from leads.models import Lead
from leads.phones import phone_to_e164

from .models import Booking


def _parse_instant(value: str) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose one of the times shown."), code="invalid_slot") from None
    if parsed.tzinfo is None:
        raise ValidationError(_("Choose one of the times shown."), code="invalid_slot")
    return parsed.astimezone(datetime.UTC)


class SlotField(forms.CharField):
    """A slot's start as an ISO 8601 UTC instant (the radio buttons' value)."""

    def to_python(self, value):
        value = super().to_python(value)
        return _parse_instant(value) if value else None


class BookingForm(PublicForm):
    consent_fields = {"marketing_consent": MARKETING}

    slot = SlotField(
        label=_("Time"),
        error_messages={"required": _("Choose a time for your test drive.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        help_text=_("For a text message reminder."),
    )
    licence_confirmed = forms.BooleanField(
        label=_("I hold a valid driving licence and will bring it."),
        error_messages={"required": _("Please confirm that you hold a valid driving licence.")},
    )
    message = forms.CharField(
        label=_("Message (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    marketing_consent = forms.BooleanField(
        label=MARKETING_CONSENT_WORDING, required=False, initial=False
    )

    def __init__(self, *args, region: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "type": "tel"})

    def clean_phone(self):
        raw = self.cleaned_data["phone"]
        if phone_to_e164(raw, region=self.region) is None:
            raise ValidationError(
                _("Enter a mobile number we can text, e.g. +49 151 23456789."),
                code="invalid_phone",
            )
        return raw


class RescheduleForm(forms.Form):
    slot = SlotField(
        label=_("New time"),
        error_messages={"required": _("Choose the new time.")},
    )


# Why the customer is gone, when they are: the lead is lost with that reason. Empty: the
# drive is off but the customer is still in (the lead goes back to its working state).
GONE_CHOICES = [
    ("", _("Other reason, or another time")),
    (Lead.LostReason.BOUGHT_ELSEWHERE, _("Bought a car elsewhere")),
    (Lead.LostReason.NOT_INTERESTED, _("No longer interested")),
]


class CancelForm(forms.Form):
    why = forms.ChoiceField(
        label=_("Why are you cancelling?"),
        choices=GONE_CHOICES,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=200,
        required=False,
    )


# --- Staff ---------------------------------------------------------------------------------


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time typed by staff, read in the location's time zone (set by the form)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _in_zone(value: datetime.datetime | None, tz) -> datetime.datetime | None:
    if value is None:
        return None
    naive = value.replace(tzinfo=None)
    local = naive.replace(tzinfo=tz)
    if local.astimezone(datetime.UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationError(_("That time does not exist on that day (clocks change)."))
    return local


class CalendarForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=None, empty_label=None)
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    view = forms.ChoiceField(
        label=_("View"), choices=[("week", _("Week")), ("day", _("Day"))], required=False
    )
    by = forms.ChoiceField(
        label=_("Rows"),
        choices=[("vehicle", _("By vehicle")), ("consultant", _("By consultant"))],
        required=False,
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class ConsultantChoiceField(forms.ModelChoiceField):
    """Staff listed by their full name (the username only when they have none)."""

    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class StaffBookingForm(forms.Form):
    """A test drive taken on the phone, for a customer found by the search or a new one.

    `customers`, `vehicles` and `consultants` are what the staff member may choose (they
    validate); `shown_*` are what the page lists (the search results, the location's)."""

    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=None, required=False, widget=forms.RadioSelect
    )
    vehicle = forms.ModelChoiceField(label=_("Vehicle"), queryset=None)
    start = LocalDateTimeField(label=_("Starts (location's local time)"))
    consultant = ConsultantChoiceField(
        label=_("Consultant"),
        queryset=None,
        required=False,
        empty_label=_("Any free consultant"),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    licence_confirmed = forms.BooleanField(
        label=_("Customer confirmed a valid driving licence"), required=False
    )
    message = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self,
        *args,
        customers,
        vehicles,
        consultants,
        shown_customers=None,
        shown_vehicles=None,
        shown_consultants=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["vehicle"].queryset = vehicles
        self.fields["consultant"].queryset = consultants
        fields = self.fields
        if shown_customers is not None:
            fields["customer"].choices = [
                ("", _("New customer (enter the details below)")),
                *((c.pk, customer_choice_label(c)) for c in shown_customers),
            ]
        if shown_vehicles is not None:
            fields["vehicle"].choices = [
                ("", fields["vehicle"].empty_label),
                *((v.pk, vehicle_choice_label(v)) for v in shown_vehicles),
            ]
        if shown_consultants is not None:
            fields["consultant"].choices = [
                ("", fields["consultant"].empty_label),
                *((u.pk, fields["consultant"].label_from_instance(u)) for u in shown_consultants),
            ]

    def clean(self):
        data = super().clean()
        vehicle = data.get("vehicle")
        if vehicle is not None and data.get("start") is not None:
            data["start"] = _in_zone(data["start"], vehicle.selling_location.tzinfo)
        if data.get("customer") is None and "customer" not in self.errors:
            for name in ("first_name", "last_name"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Enter the new customer's name."))
            if not data.get("email") and not data.get("phone"):
                raise ValidationError(
                    _("Choose the customer found, or give an email address or a phone number.")
                )
        return data


class BlockForm(forms.Form):
    vehicle = forms.ModelChoiceField(label=_("Vehicle"), queryset=None)
    start = LocalDateTimeField(label=_("From (location's local time)"))
    end = LocalDateTimeField(label=_("Until (location's local time)"))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles

    def clean(self):
        data = super().clean()
        vehicle = data.get("vehicle")
        if vehicle is not None:
            for name in ("start", "end"):
                if data.get(name) is not None:
                    data[name] = _in_zone(data[name], vehicle.selling_location.tzinfo)
        return data


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Booking.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    cancelled_by = forms.ChoiceField(
        label=_("Cancelled by"),
        choices=[("", "—"), *Booking.CancelledBy.choices],
        required=False,
    )
    lost_reason = forms.ChoiceField(
        label=_("The customer (when cancelling)"),
        choices=[("", _("is still interested")), *GONE_CHOICES[1:]],
        required=False,
    )


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did it go?"), choices=Booking.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AssignForm(forms.Form):
    consultant = ConsultantChoiceField(label=_("Consultant"), queryset=None)

    def __init__(self, *args, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = consultants


class StaffRescheduleForm(forms.Form):
    start = LocalDateTimeField(label=_("New start (location's local time)"))

    def __init__(self, *args, tz, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def clean_start(self):
        return _in_zone(self.cleaned_data["start"], self.tz)


def vehicles_for_booking(locations):
    return (
        Vehicle.objects.filter(
            location__in=locations,
            status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED],
        )
        .select_related("location")
        .order_by("make", "model", "stock_number")
    )
