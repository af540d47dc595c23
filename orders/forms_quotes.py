"""Desking forms: the search above a new quote, the quote itself, choosing an option."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inventory.vin import validate_vin
from leads.forms import customer_choice_label, vehicle_choice_label

from .models import Order
from .services import Contact, PaymentOption, TradeIn

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal(0)}
OPTION_COUNT = 3
OPTION_FIELDS = ("payment_type", "term_months", "apr", "down_payment")


def _option_defaults(n: int) -> dict:
    if n == 1:
        return {"payment_type": Order.PaymentType.CASH}
    return {
        "payment_type": Order.PaymentType.FINANCE,
        "term_months": 36 + 12 * n,  # 48 and 60 months
        "apr": settings.ORDERS_FINANCE_APR,
        "down_payment": Decimal(0),
    }


class QuoteForm(forms.Form):
    """A desked deal. `customers`, `vehicles`, `leads` and `add_ons` are what the consultant
    may choose (they validate); `shown_*` are what the page lists (the search results)."""

    lead = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=None, required=False, widget=forms.RadioSelect
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    vehicle = forms.ModelChoiceField(label=_("Vehicle"), queryset=None)
    tradein_year = forms.IntegerField(
        label=_("Trade-in year"), required=False, min_value=1950, max_value=2100
    )
    tradein_make = forms.CharField(label=_("Trade-in make"), required=False, max_length=60)
    tradein_model = forms.CharField(label=_("Trade-in model"), required=False, max_length=60)
    tradein_mileage_km = forms.IntegerField(
        label=_("Trade-in mileage (km)"), required=False, min_value=0, max_value=2_000_000
    )
    tradein_vin = forms.CharField(label=_("Trade-in VIN"), required=False, max_length=17)
    tradein_value = forms.DecimalField(label=_("Appraised value"), required=False, **MONEY)
    tradein_payoff = forms.DecimalField(
        label=_("Loan payoff"),
        required=False,
        **MONEY,
        help_text=_("What the customer still owes on the trade-in."),
    )
    add_ons = forms.ModelMultipleChoiceField(
        label=_("Add-ons"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args,
        customers,
        vehicles,
        leads,
        add_ons,
        shown_customers=None,
        shown_vehicles=None,
        **kwargs,
    ):
        initial = kwargs.pop("initial", {}) or {}
        for n in range(1, OPTION_COUNT + 1):
            for name, value in _option_defaults(n).items():
                initial.setdefault(f"option{n}_{name}", value)
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["vehicle"].queryset = vehicles
        self.fields["lead"].queryset = leads
        self.fields["add_ons"].queryset = add_ons
        self.fields["add_ons"].label_from_instance = lambda a: f"{a.name} ({a.price})"
        for n in range(1, OPTION_COUNT + 1):
            self.fields[f"option{n}_payment_type"] = forms.ChoiceField(
                label=_("Payment"),
                choices=[("", _("Not used")), *Order.PaymentType.choices],
                required=n == 1,
            )
            self.fields[f"option{n}_term_months"] = forms.IntegerField(
                label=_("Term (months)"), required=False, min_value=1, max_value=120
            )
            self.fields[f"option{n}_apr"] = forms.DecimalField(
                label=_("APR (%)"),
                required=False,
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=99,
            )
            self.fields[f"option{n}_down_payment"] = forms.DecimalField(
                label=_("Down payment"), required=False, **MONEY
            )
        if shown_customers is not None:
            self.fields["customer"].choices = [
                ("", _("New customer (enter the details below)")),
                *((c.pk, customer_choice_label(c)) for c in shown_customers),
            ]
        if shown_vehicles is not None:
            self.fields["vehicle"].choices = [
                ("", self.fields["vehicle"].empty_label),
                *((v.pk, vehicle_choice_label(v)) for v in shown_vehicles),
            ]

    def option_rows(self):
        """The option fields grouped per option, for the template: [(n, [bound fields])]."""
        return [
            (n, [self[f"option{n}_{name}"] for name in OPTION_FIELDS])
            for n in range(1, OPTION_COUNT + 1)
        ]

    def clean_tradein_vin(self):
        vin = self.cleaned_data["tradein_vin"].strip().upper()
        if vin:
            validate_vin(vin)
        return vin

    def clean(self):
        data = super().clean()
        nobody = data.get("lead") is None and data.get("customer") is None
        if nobody and "customer" not in self.errors:
            for name in ("first_name", "last_name"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Enter the new customer's name."))
            if not data.get("email") and not data.get("phone") and "email" not in self.errors:
                self.add_error(
                    None,
                    _("Choose the customer found, or give an email address or a phone number."),
                )
        if (data.get("tradein_value") or data.get("tradein_payoff")) and not (
            data.get("tradein_make") and data.get("tradein_model")
        ):
            self.add_error("tradein_make", _("Give the trade-in's make and model."))
        if data.get("tradein_payoff") and not data.get("tradein_value"):
            self.add_error("tradein_value", _("Give the trade-in's appraised value."))
        for n in range(1, OPTION_COUNT + 1):
            kind = data.get(f"option{n}_payment_type")
            if kind and kind != Order.PaymentType.CASH:
                if not data.get(f"option{n}_term_months"):
                    self.add_error(f"option{n}_term_months", _("Choose a term."))
                if data.get(f"option{n}_apr") is None:
                    self.add_error(f"option{n}_apr", _("Give the APR."))
        return data

    def options(self) -> list[PaymentOption]:
        data = self.cleaned_data
        rows = []
        for n in range(1, OPTION_COUNT + 1):
            kind = data.get(f"option{n}_payment_type")
            if not kind:
                continue
            financed = kind != Order.PaymentType.CASH
            rows.append(
                PaymentOption(
                    payment_type=kind,
                    term_months=(data.get(f"option{n}_term_months") or 0) if financed else 0,
                    apr=(data.get(f"option{n}_apr") or Decimal(0)) if financed else Decimal(0),
                    down_payment=(data.get(f"option{n}_down_payment") or Decimal(0))
                    if financed
                    else Decimal(0),
                )
            )
        return rows

    def tradein(self) -> TradeIn:
        data = self.cleaned_data
        return TradeIn(
            year=data.get("tradein_year"),
            make=data.get("tradein_make", "").strip(),
            model=data.get("tradein_model", "").strip(),
            mileage_km=data.get("tradein_mileage_km"),
            vin=data.get("tradein_vin", ""),
            value=data.get("tradein_value") or Decimal(0),
            payoff=data.get("tradein_payoff") or Decimal(0),
        )

    def contact(self) -> Contact:
        data = self.cleaned_data
        return Contact(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
        )


class AcceptOptionForm(forms.Form):
    option = forms.ModelChoiceField(
        label=_("Option"),
        queryset=None,
        error_messages={
            "required": _("Choose the option the customer takes."),
            "invalid_choice": _("Choose one of this quote's options."),
        },
    )

    def __init__(self, *args, quote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = quote.options.all()

    def clean_option(self):
        option = self.cleaned_data["option"]
        if option is None:
            raise ValidationError(_("Choose the option the customer takes."))
        return option
