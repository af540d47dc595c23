"""Forms validate and shape input only; services do the work."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location
from dealership.accounts.public_forms import PublicForm
from inventory.models import Vehicle
from inventory.vin import validate_vin

from .models import Complaint, OwnedVehicle, ServiceAppointment


class BookingForm(forms.Form):
    drop_off_at = forms.TypedChoiceField(label=_("Day and drop-off time"), choices=())
    items = forms.MultipleChoiceField(
        label=_("Services"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    handover = forms.ChoiceField(
        label=_("Drop-off or wait"),
        choices=ServiceAppointment.Handover.choices,
        widget=forms.RadioSelect,
        initial=ServiceAppointment.Handover.DROP_OFF,
    )
    courtesy_car = forms.BooleanField(label=_("I would like a courtesy car"), required=False)
    notes = forms.CharField(
        label=_("Anything we should know?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, slots, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_map = {at.isoformat(): at for at in slots}
        self.fields["drop_off_at"].choices = [
            # "Mon 15 Dec 2025, 08:00 CET", "Mo, 15. Dezember 2025, 08:00 CET": the workshop's
            # wall clock in the language's pattern (dealership/formats), with the zone's name
            (
                at.isoformat(),
                f"{formats.date_format(at.replace(tzinfo=None), 'WEEKDAY_DATETIME_FORMAT')} {at.tzname()}",
            )
            for at in slots
        ]
        self.item_map = {str(i.pk): i for i in items}
        self.fields["items"].choices = [(str(i.pk), i.name) for i in items]

    def clean_drop_off_at(self):
        return self.slot_map[self.cleaned_data["drop_off_at"]]

    def clean_items(self):
        return [self.item_map[pk] for pk in self.cleaned_data["items"]]


class CustomerSearchForm(forms.Form):
    customer_q = forms.CharField(
        label=_("Find the customer by name, phone or email"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class OwnedVehicleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} · {obj.vin}"


class ServiceItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class StaffAppointmentForm(forms.Form):
    """A service visit booked by staff (on the phone) for one of the customer's cars."""

    owned_vehicle = OwnedVehicleChoiceField(label=_("Car"), queryset=None, empty_label=None)
    location = forms.ModelChoiceField(label=_("Workshop"), queryset=None, empty_label=None)
    drop_off_at = forms.DateTimeField(
        label=_("Drop-off (workshop's local time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    items = ServiceItemChoiceField(
        label=_("Services"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    handover = forms.ChoiceField(
        label=_("Drop-off or wait"),
        choices=ServiceAppointment.Handover.choices,
        widget=forms.RadioSelect,
        initial=ServiceAppointment.Handover.DROP_OFF,
    )
    courtesy_car = forms.BooleanField(label=_("Courtesy car"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, vehicles, locations, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owned_vehicle"].queryset = vehicles
        self.fields["location"].queryset = locations
        self.fields["items"].queryset = items

    def clean(self):
        data = super().clean()
        location, at = data.get("location"), data.get("drop_off_at")
        if location is not None and at is not None:
            naive = at.replace(tzinfo=None)
            local = naive.replace(tzinfo=location.tzinfo)
            if (
                local.astimezone(datetime.UTC).astimezone(location.tzinfo).replace(tzinfo=None)
                != naive
            ):
                self.add_error("drop_off_at", _("That time does not exist on that day."))
            data["drop_off_at"] = local
        return data


class CheckInForm(forms.Form):
    odometer_km = forms.IntegerField(label=_("Odometer (km)"), min_value=0, max_value=3_000_000)


class CompleteForm(forms.Form):
    work_done = forms.CharField(
        label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=10, decimal_places=2)
    items_done = forms.MultipleChoiceField(
        label=_("Plan items done"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    recalls = forms.MultipleChoiceField(
        label=_("Recall remedies done"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, items, recalls, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_map = {str(i.pk): i for i in items}
        self.recall_map = {str(r.pk): r for r in recalls}
        self.fields["items_done"].choices = [(k, v.name) for k, v in self.item_map.items()]
        self.fields["recalls"].choices = [
            (k, f"{r.campaign.code} · {r.campaign.title}") for k, r in self.recall_map.items()
        ]

    def clean_items_done(self):
        return [self.item_map[k] for k in self.cleaned_data["items_done"]]

    def clean_recalls(self):
        return [self.recall_map[k] for k in self.cleaned_data["recalls"]]


class RecallImportForm(forms.Form):
    code = forms.CharField(label=_("Campaign code"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    remedy = forms.CharField(label=_("Remedy"), widget=forms.Textarea(attrs={"rows": 2}))
    vin_file = forms.FileField(label=_("VIN list (CSV, first column)"), required=False)
    vins = forms.CharField(
        label=_("…or paste the VINs, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=2_000_000,
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        upload = data.get("vin_file")
        if upload:
            if upload.size > 5 * 1024 * 1024:
                raise forms.ValidationError(_("The file is larger than 5 MB."))
            try:
                data["vins"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not data.get("vins", "").strip():
            raise forms.ValidationError(_("Upload a CSV file or paste the VINs."))
        return data


class ComplaintStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Complaint.Status.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    notify_customer = forms.BooleanField(
        label=_("Email the customer"), required=False, initial=True
    )


class ComplaintPublicForm(PublicForm):
    location = forms.ModelChoiceField(
        label=_("Branch"), queryset=Location.objects.none(), empty_label=None
    )
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=32, required=False)
    category = forms.ChoiceField(label=_("What is it about?"), choices=Complaint.Category.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )
    order_reference = forms.CharField(
        label=_("Order number (optional)"), max_length=40, required=False
    )
    vin = forms.CharField(label=_("VIN of your car (optional)"), max_length=20, required=False)


class VehicleForm(forms.Form):
    vin = forms.CharField(label=_("VIN"), max_length=20)
    make = forms.CharField(label=_("Make"), max_length=60)
    model = forms.CharField(label=_("Model"), max_length=60)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1950, max_value=2100)
    fuel = forms.ChoiceField(
        label=_("Fuel"), choices=[("", "—"), *Vehicle.Fuel.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=OwnedVehicle.Kind.choices, initial=OwnedVehicle.Kind.CAR
    )
    delivered_on = forms.DateField(
        label=_("Bought on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    odometer_km = forms.IntegerField(
        label=_("Odometer today (km)"), min_value=0, max_value=3_000_000
    )

    def clean_vin(self):
        try:
            return validate_vin(self.cleaned_data["vin"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class WebsiteBookingForm(PublicForm):
    location = forms.ModelChoiceField(
        label=_("Branch"), queryset=Location.objects.none(), empty_label=None
    )
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=32, required=False)
    vin = forms.CharField(
        label=_("VIN"), max_length=20, help_text=_("On your registration document.")
    )
    make = forms.CharField(label=_("Make"), max_length=60)
    model = forms.CharField(label=_("Model"), max_length=60)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1950, max_value=2100)
    odometer_km = forms.IntegerField(
        label=_("Odometer today (km)"), min_value=0, max_value=3_000_000
    )

    def clean_vin(self):
        try:
            return validate_vin(self.cleaned_data["vin"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class ComplaintLogForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = [
            "channel",
            "category",
            "severity",
            "subject",
            "description",
            "owned_vehicle",
            "order_reference",
        ]

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owned_vehicle"].queryset = OwnedVehicle.objects.filter(customer=customer)
        self.fields["channel"].choices = [
            c for c in Complaint.Channel.choices if c[0] != Complaint.Channel.WEB
        ]


class ComplaintAssignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=None)

    def __init__(self, *args, complaint, **kwargs):
        from dealership.accounts.models import User

        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = User.objects.filter(
            is_active=True, is_staff=True, locations=complaint.location_id
        ).order_by("last_name", "first_name")
        self.fields["handler"].label_from_instance = lambda u: u.get_full_name() or u.username
