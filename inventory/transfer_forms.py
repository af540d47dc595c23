"""Forms of the staff transfer pages (validate and shape input only)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location

from .models import Vehicle


class VehicleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Vehicle) -> str:
        return f"{obj} · {obj.location}"


class TransferSearchForm(forms.Form):
    """The GET filter above the request form: narrows the car list."""

    q = forms.CharField(
        label=_("Find the car"),
        max_length=100,
        required=False,
        help_text=_("Stock number, VIN, or make and model, e.g. “Skoda Octavia”."),
    )


class TransferRequestForm(forms.Form):
    vehicle = VehicleChoiceField(queryset=Vehicle.objects.none(), label=_("Car"))
    to_location = forms.ModelChoiceField(
        queryset=Location.objects.none(), label=_("Bring it to"), empty_label=None
    )
    reason = forms.CharField(
        label=_("Why the car is needed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the car is needed.")},
    )
    for_lead_id = forms.IntegerField(label=_("For lead no."), required=False, min_value=1)
    for_customer_id = forms.IntegerField(label=_("For customer no."), required=False, min_value=1)
    for_note = forms.CharField(
        label=_("For whom (note)"),
        max_length=200,
        required=False,
        help_text=_("E.g. a walk-in customer not yet in the CRM."),
    )

    def __init__(self, *args, vehicles, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles
        self.fields["to_location"].queryset = locations


class TransferNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, prefix_id: str, required: bool = False, label=None, **kwargs):
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        if label is not None:
            self.fields["note"].label = label
        if required:
            self.fields["note"].error_messages["required"] = _("Say why you reject the transfer.")


class TransferDispatchForm(forms.Form):
    eta = forms.DateField(
        label=_("Estimated arrival"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the estimated arrival date.")},
    )
