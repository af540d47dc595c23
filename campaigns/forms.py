from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealership.accounts.models import Location

from .links import clean_link_path
from .merge import FIELDS, unknown_fields
from .models import Campaign, CampaignMessage, Segment

MERGE_HELP = _("Merge fields: %(fields)s") % {"fields": " ".join(f"{{{f}}}" for f in FIELDS)}


class SegmentMetaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("All my locations"),
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "segment", "channel", "send_at", "control_percent", "link_path"]
        widgets = {"send_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, segments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segments
        self.fields["segment"].required = True
        self.fields["send_at"].required = False
        self.fields["control_percent"].widget.attrs.update({"min": 0, "max": 50})

    def clean_control_percent(self):
        value = self.cleaned_data["control_percent"]
        if not 0 <= value <= 50:
            raise ValidationError(_("The control group is between 0 and 50 %."))
        return value

    def clean_link_path(self):
        return clean_link_path(self.cleaned_data["link_path"])


class CampaignMessageForm(forms.ModelForm):
    class Meta:
        model = CampaignMessage
        fields = ["subject", "email_body", "sms_body"]
        widgets = {
            "email_body": forms.Textarea(attrs={"rows": 6}),
            "sms_body": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"email_body": MERGE_HELP, "sms_body": MERGE_HELP}

    def clean(self):
        data = super().clean()
        for name in ("subject", "email_body", "sms_body"):
            unknown = unknown_fields(data.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    _("Unknown merge field: %(fields)s")
                    % {"fields": ", ".join(f"{{{f}}}" for f in unknown)},
                )
        return data


def message_forms(
    campaign: Campaign | None, data=None
) -> list[tuple[str, str, CampaignMessageForm]]:
    """(language code, label, form): the default text first, then one per site language."""
    existing = {m.language: m for m in campaign.messages.all()} if campaign and campaign.pk else {}
    rows = [("", _("Default (every language)")), *settings.LANGUAGES]
    return [
        (
            code,
            label,
            CampaignMessageForm(
                data, instance=existing.get(code), prefix=f"text-{code or 'default'}"
            ),
        )
        for code, label in rows
    ]


class GroupMessageForm(forms.Form):
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Campaign.ChannelChoice.choices)
    subject = forms.CharField(label=_("Email subject"), max_length=200, required=False)
    email_body = forms.CharField(
        label=_("Email text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=MERGE_HELP,
    )
    sms_body = forms.CharField(
        label=_("SMS text"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=612,
    )
    customers = forms.TypedMultipleChoiceField(label=_("Customers"), coerce=int, choices=())

    def __init__(self, *args, segments, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segments
        self.fields["customers"].choices = [(c.pk, str(c)) for c in customers]

    def clean_customers(self):
        value = self.cleaned_data["customers"]
        if len(value) > settings.CAMPAIGNS_GROUP_MESSAGE_MAX:
            raise ValidationError(
                _("A group message goes to at most %(max)s customers.")
                % {"max": settings.CAMPAIGNS_GROUP_MESSAGE_MAX}
            )
        return value
