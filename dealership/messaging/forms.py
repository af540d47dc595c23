from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .models import Channel, OutboxMessage


def _language_choices():
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class EmailPreferencesForm(forms.Form):
    marketing = forms.BooleanField(
        label=_("Send me offers and news by email"),
        required=False,
    )
    everything = forms.BooleanField(
        label=_("Stop all email, including booking confirmations and order updates"),
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language of our emails and text messages"),
        required=False,
        choices=_language_choices,
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
