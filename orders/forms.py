from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.vin import validate_vin

from .finance import LenderDecision
from .models import DeliverySlot, FinanceApplication, Order
from .services import DealChoice
from .services.contracts import SIGNATURE_CONSENT
from .services.finance import CREDIT_CHECK_CONSENT

TERMS = [(m, _("%(n)s months") % {"n": m}) for m in (24, 36, 48, 60, 72)]
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal(0)}


class DealForm(forms.Form):
    """The deal builder: what the customer buys and how they pay."""

    payment_type = forms.ChoiceField(
        label=_("How do you want to pay?"),
        choices=Order.PaymentType.choices,
        initial=Order.PaymentType.CASH,
        widget=forms.RadioSelect,
    )
    down_payment = forms.DecimalField(
        label=_("Down payment"),
        required=False,
        initial=Decimal(0),
        **MONEY,
        help_text=_("Paid at handover, on top of the deposit (finance and lease)."),
    )
    term_months = forms.TypedChoiceField(
        label=_("Term"), choices=TERMS, coerce=int, initial=48, required=False
    )
    add_ons = forms.ModelMultipleChoiceField(
        label=_("Add-ons"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    fulfilment = forms.ChoiceField(
        label=_("Delivery"),
        choices=Order.Fulfilment.choices,
        initial=Order.Fulfilment.PICKUP,
        widget=forms.RadioSelect,
    )
    delivery_distance_km = forms.IntegerField(
        label=_("Distance from the showroom (km)"),
        required=False,
        min_value=0,
        max_value=settings.ORDERS_DELIVERY_MAX_KM,
        help_text=_("Approximate road distance; we confirm the fee before you sign."),
    )
    has_tradein = forms.BooleanField(label=_("I have a car to trade in"), required=False)
    tradein_year = forms.IntegerField(
        label=_("Trade-in year"), required=False, min_value=1950, max_value=2100
    )
    tradein_make = forms.CharField(label=_("Trade-in make"), required=False, max_length=60)
    tradein_model = forms.CharField(label=_("Trade-in model"), required=False, max_length=60)
    tradein_mileage_km = forms.IntegerField(
        label=_("Trade-in mileage (km)"), required=False, min_value=0, max_value=2_000_000
    )
    tradein_vin = forms.CharField(label=_("Trade-in VIN"), required=False, max_length=17)

    def __init__(self, *args, add_ons=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["add_ons"].queryset = add_ons
        self.fields["add_ons"].label_from_instance = lambda a: f"{a.name} ({a.price})"

    def clean_tradein_vin(self):
        vin = self.cleaned_data["tradein_vin"].strip().upper()
        if vin:
            validate_vin(vin)
        return vin

    def clean(self):
        data = super().clean()
        if data.get("payment_type") in ("finance", "lease") and not data.get("term_months"):
            self.add_error("term_months", _("Choose a term."))
        if data.get("fulfilment") == Order.Fulfilment.DELIVERY and (
            data.get("delivery_distance_km") is None
        ):
            self.add_error("delivery_distance_km", _("Give the distance for home delivery."))
        if data.get("has_tradein") and not (data.get("tradein_make") and data.get("tradein_model")):
            self.add_error("tradein_make", _("Give at least the make and model of your car."))
        return data

    def deal(self) -> DealChoice:
        data = self.cleaned_data
        tradein = {}
        if data.get("has_tradein"):
            tradein = {
                "year": data.get("tradein_year"),
                "make": data.get("tradein_make", ""),
                "model": data.get("tradein_model", ""),
                "mileage_km": data.get("tradein_mileage_km"),
                "vin": data.get("tradein_vin", ""),
            }
        financed = data["payment_type"] != "cash"
        return DealChoice(
            payment_type=data["payment_type"],
            down_payment=(data.get("down_payment") or Decimal(0)) if financed else Decimal(0),
            term_months=(data.get("term_months") or 0) if financed else 0,
            add_on_ids=tuple(a.pk for a in data.get("add_ons") or ()),
            fulfilment=data["fulfilment"],
            delivery_distance_km=data.get("delivery_distance_km") or 0,
            tradein=tradein,
        )


class CustomerDetailsForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Mobile phone"), max_length=32)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)


class FinanceApplicationForm(forms.Form):
    employment_status = forms.ChoiceField(
        label=_("Employment"), choices=FinanceApplication.Employment.choices
    )
    employer = forms.CharField(label=_("Employer"), max_length=120, required=False)
    years_at_employer = forms.IntegerField(
        label=_("Years with this employer"), min_value=0, max_value=60, initial=0
    )
    monthly_income = forms.DecimalField(label=_("Monthly net income"), **MONEY)
    housing_cost = forms.DecimalField(label=_("Monthly rent or mortgage"), **MONEY)
    national_id = forms.CharField(
        label=_("National ID or passport number"), max_length=40, strip=True
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    consent = forms.BooleanField(label=CREDIT_CHECK_CONSENT, required=False)

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age < 18:
            raise forms.ValidationError(_("You must be 18 or older to apply for finance."))
        if age > 120:
            raise forms.ValidationError(_("Check the date of birth."))
        return value

    def clean_consent(self):
        if not self.cleaned_data.get("consent"):
            raise forms.ValidationError(_("We need your consent to a credit check."))
        return True


class SignForm(forms.Form):
    full_name = forms.CharField(label=_("Type your full name to sign"), max_length=200)
    consent = forms.BooleanField(label=SIGNATURE_CONSENT, required=False)
    document_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_consent(self):
        if not self.cleaned_data.get("consent"):
            raise forms.ValidationError(_("Tick the box to agree to sign electronically."))
        return True


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why do you cancel?"), max_length=300)


class DeliveryChoiceForm(forms.Form):
    fulfilment = forms.ChoiceField(
        label=_("Delivery"), choices=Order.Fulfilment.choices, widget=forms.RadioSelect
    )
    street = forms.CharField(label=_("Delivery street"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Delivery postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("Delivery city"), max_length=100, required=False)
    distance_km = forms.IntegerField(
        label=_("Distance from the showroom (km)"), min_value=0, required=False
    )


# --- Staff -----------------------------------------------------------------------------------


class AdjustForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)
    discount = forms.DecimalField(label=_("Discount"), **MONEY)
    tradein_offer = forms.DecimalField(label=_("Trade-in offer"), required=False, **MONEY)
    down_payment = forms.DecimalField(label=_("Down payment"), **MONEY)
    term_months = forms.IntegerField(
        label=_("Term (months)"), validators=[MinValueValidator(0), MaxValueValidator(120)]
    )
    apr = forms.DecimalField(
        label=_("APR (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=99
    )

    @classmethod
    def for_order(cls, order: Order, data=None):
        return cls(
            data,
            prefix="adjust",
            initial={
                "discount": order.discount,
                "tradein_offer": order.tradein_offer,
                "down_payment": order.down_payment,
                "term_months": order.term_months,
                "apr": order.apr,
            },
        )

    def changes(self, order: Order) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("discount", "tradein_offer", "down_payment", "term_months", "apr")
            if self.cleaned_data[name] != getattr(order, name)
        }


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Lender's decision"),
        choices=[c for c in FinanceApplication.Decision.choices if c[0] != "pending"],
    )
    apr = forms.DecimalField(
        label=_("Approved APR (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=99,
    )
    term_months = forms.IntegerField(
        label=_("Approved term (months)"), required=False, min_value=1, max_value=120
    )
    conditions = forms.CharField(
        label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    lender_reference = forms.CharField(label=_("Lender reference"), required=False, max_length=80)

    def decision(self) -> LenderDecision:
        data = self.cleaned_data
        return LenderDecision(
            outcome=data["outcome"],
            apr=data.get("apr"),
            term_months=data.get("term_months"),
            conditions=data.get("conditions", ""),
            lender_reference=data.get("lender_reference", ""),
        )


class ScheduleForm(forms.Form):
    slot = forms.ModelChoiceField(label=_("Slot"), queryset=DeliverySlot.objects.none())
    driver = forms.ModelChoiceField(label=_("Driver"), queryset=None, required=False)

    def __init__(self, *args, slots, drivers, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = lambda s: (
            f"{location.localtime(s.starts_at):%a %d %b %H:%M}–"
            f"{location.localtime(s.ends_at):%H:%M}"
        )
        self.fields["driver"].queryset = drivers
        self.fields["driver"].label_from_instance = lambda u: u.get_full_name() or u.username


class HandOverForm(forms.Form):
    odometer_km = forms.IntegerField(label=_("Odometer at handover (km)"), min_value=0)


class StaffCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the cancellation"), max_length=300)
