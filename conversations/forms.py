from django import forms
from django.utils.translation import gettext_lazy as _

from dealership.accounts.public_forms import PublicForm

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


# --- Live chat ------------------------------------------------------------------------------


class ChatStartForm(PublicForm):
    body = forms.CharField(
        label=_("Your message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.ModelChoiceField(label=_("Location"), queryset=None, required=False)
    vehicle = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class ChatMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=2000)


class ChatDetailsForm(forms.Form):
    first_name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and "email" not in self.errors:
            raise forms.ValidationError(_("Give us an email address or a phone number."))
        return cleaned


class ChatTranscriptForm(forms.Form):
    email = forms.EmailField(label=_("Email"))


class ChatReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
