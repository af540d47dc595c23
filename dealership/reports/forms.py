import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import Lead

from .selectors import ReportFilters, report_consultants, report_locations

DEFAULT_DAYS = 30
MAX_DAYS = 731


class ReportFilterForm(forms.Form):
    """The filter every panel shares. Unbound (no query string) means the last 30 days."""

    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=None, required=False, empty_label=_("All my locations")
    )
    source = forms.ChoiceField(label=_("Source"), required=False)
    consultant = forms.ModelChoiceField(
        label=_("Consultant"), queryset=None, required=False, empty_label=_("Everyone")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = report_locations(user=user)
        self.fields["consultant"].queryset = report_consultants(user=user)
        self.fields["source"].choices = [("", _("Every source")), *Lead.Source.choices]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    @classmethod
    def default_data(cls) -> dict:
        today = timezone.localdate()
        return {
            "first": (today - datetime.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "last": today.isoformat(),
        }

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The end date must not be before the start date."))
            elif (last - first).days + 1 > MAX_DAYS:
                self.add_error("last", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            first=data["first"],
            last=data["last"],
            location_id=data["location"].pk if data.get("location") else None,
            source=data.get("source") or "",
            consultant_id=data["consultant"].pk if data.get("consultant") else None,
        )
