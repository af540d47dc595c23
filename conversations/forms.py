from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Message, ReplyTemplate

CHANNELS = [("sms", _("SMS")), ("email", _("Email"))]


class ComposerForm(forms.Form):
    channel = forms.ChoiceField(label=_("Send by"), choices=CHANNELS, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject (email)"), required=False, max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))


class ListFilterForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("mine", _("Mine")),
            ("unassigned", _("My location's unassigned")),
            ("location", _("All of my locations")),
        ],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Any channel")), *Message.Channel.choices],
    )


class TemplateInsertForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Reply template"),
        queryset=ReplyTemplate.objects.filter(is_active=True),
        required=False,
    )
