"""Forms validate and shape input only; services do the work."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Touchpoint


class ResultFilterForm(forms.Form):
    location = forms.TypedChoiceField(
        label=_("Location"), required=False, coerce=int, empty_value=None, choices=()
    )
    touchpoint = forms.ChoiceField(
        label=_("Touchpoint"),
        required=False,
        choices=[
            ("", _("All touchpoints")),
            *[(v, label) for v, label in Touchpoint.choices if v != Touchpoint.STAFF_PULSE],
        ],
    )
    consultant = forms.TypedChoiceField(
        label=_("Consultant"), required=False, coerce=int, empty_value=None, choices=()
    )
    months = forms.TypedChoiceField(
        label=_("Period"),
        required=False,
        coerce=int,
        empty_value=12,
        initial=12,
        choices=[
            (1, _("This month")),
            (3, _("Last 3 months")),
            (6, _("Last 6 months")),
            (12, _("Last 12 months")),
            (24, _("Last 24 months")),
        ],
    )

    def __init__(self, *args, locations, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", _("All my locations"))] + [
            (loc.pk, loc.name) for loc in locations
        ]
        self.fields["consultant"].choices = [("", _("All consultants"))] + [
            (user.pk, user.get_full_name() or user.username) for user in consultants
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"
