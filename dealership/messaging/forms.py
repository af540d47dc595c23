from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .models import Channel, OutboxMessage


class PreferenceSwitchForm(forms.Form):
    """One switch of the preference page: its purpose and whether it is on (an unticked
    checkbox posts nothing). Each switch is its own form, so a post changes one purpose."""

    purpose = forms.CharField(max_length=100, widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("On"), required=False)


def _language_choices():
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class LanguagePreferenceForm(forms.Form):
    """The language of everything we send this address: its own form on the page, as each
    switch is, so choosing it changes nothing else."""

    language = forms.ChoiceField(
        label=_("Language of our emails and text messages"), choices=_language_choices
    )


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *OutboxMessage.Status.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    template = forms.CharField(label=_("Template"), required=False, max_length=100)
    q = forms.CharField(label=_("Recipient"), required=False, max_length=254)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)
