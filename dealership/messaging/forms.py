from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, OutboxMessage


class EmailPreferencesForm(forms.Form):
    marketing = forms.BooleanField(
        label=_("Send me offers and news by email"),
        required=False,
    )
    everything = forms.BooleanField(
        label=_("Stop all email, including booking confirmations and order updates"),
        required=False,
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
