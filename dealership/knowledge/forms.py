from django import forms
from django.utils.translation import gettext_lazy as _


class HelpSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the help pages"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
