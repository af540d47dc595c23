from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureForm(forms.Form):
    """The manager types the customer's name, so no one erases the wrong person by a click."""

    confirm_name = forms.CharField(label=_("Type the customer's name to confirm"), max_length=254)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. “Customer's request by email of 12 March”. Kept in the audit trail."),
    )

    def __init__(self, *args, customer_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer_name = customer_name

    def clean_confirm_name(self):
        typed = " ".join(self.cleaned_data["confirm_name"].split())
        if typed.casefold() != " ".join(self.customer_name.split()).casefold():
            raise forms.ValidationError(
                _("That is not the customer's name. Type “%(name)s” exactly."),
                params={"name": self.customer_name},
                code="name_mismatch",
            )
        return typed

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if "\x00" in reason:
            raise forms.ValidationError(_("The reason contains characters that are not allowed."))
        return reason
