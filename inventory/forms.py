import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealership.accounts.public_forms import ALERT, PublicForm

from .models import Vehicle
from .vin import validate_vin

PAGE_SIZE = 24


class Sort:
    NEWEST = "newest"
    PRICE_ASC = "price"
    PRICE_DESC = "-price"
    YEAR_DESC = "-year"
    MILEAGE_ASC = "mileage"

    CHOICES = [
        (NEWEST, _("Newest first")),
        (PRICE_ASC, _("Price: low to high")),
        (PRICE_DESC, _("Price: high to low")),
        (YEAR_DESC, _("Year: newest")),
        (MILEAGE_ASC, _("Mileage: lowest")),
    ]


@dataclass(frozen=True)
class VehicleFilters:
    """A showroom search, already validated. Empty values mean "any"."""

    q: str = ""
    make: str = ""
    model: str = ""
    year_min: int | None = None
    year_max: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    mileage_max: int | None = None
    body_type: tuple[str, ...] = ()
    fuel: tuple[str, ...] = ()
    transmission: tuple[str, ...] = ()
    drivetrain: tuple[str, ...] = ()
    condition: tuple[str, ...] = ()
    colour: tuple[str, ...] = ()
    location: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    sort: str = Sort.NEWEST
    after: str = ""
    before: str = ""
    page_size: int = PAGE_SIZE

    @property
    def active_count(self) -> int:
        """How many filters narrow the search (the phone's "Filters (3)" button): each ticked
        value and each field filled in; the sort order and the page cursor are no filters."""
        count = 0
        for name in self.__dataclass_fields__:
            if name in ("sort", "after", "before", "page_size"):
                continue
            value = getattr(self, name)
            if isinstance(value, tuple):
                count += len(value)
            elif value not in ("", None):
                count += 1
        return count


_SLUG = re.compile(r"[-\w]{1,100}")


class _LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Choices come from the database (locations, features): checked in the selector.
    Only a slug can match one, so anything else (a NUL, which PostgreSQL cannot even compare)
    is an error on the field and left out of the search."""

    def valid_value(self, value):
        return bool(_SLUG.fullmatch(str(value)))


class VehicleSearchForm(forms.Form):
    """The showroom filters. Bound to request.GET, so every state is a shareable URL.

    A malformed value never breaks the page: the field shows its error and the search
    runs without it (see :meth:`filters`).
    """

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    make = forms.CharField(label=_("Make"), required=False, max_length=40)
    model = forms.CharField(label=_("Model"), required=False, max_length=60)
    year_min = forms.IntegerField(label=_("Year from"), required=False, min_value=1950)
    year_max = forms.IntegerField(label=_("Year to"), required=False, max_value=2100)
    price_min = forms.DecimalField(
        label=_("Price from"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Price to"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    mileage_max = forms.IntegerField(label=_("Mileage up to (km)"), required=False, min_value=0)
    body_type = forms.MultipleChoiceField(
        label=_("Body type"), required=False, choices=Vehicle.BodyType.choices
    )
    fuel = forms.MultipleChoiceField(label=_("Fuel"), required=False, choices=Vehicle.Fuel.choices)
    transmission = forms.MultipleChoiceField(
        label=_("Transmission"), required=False, choices=Vehicle.Transmission.choices
    )
    drivetrain = forms.MultipleChoiceField(
        label=_("Drivetrain"), required=False, choices=Vehicle.Drivetrain.choices
    )
    condition = forms.MultipleChoiceField(
        label=_("Condition"), required=False, choices=Vehicle.Condition.choices
    )
    colour = forms.MultipleChoiceField(
        label=_("Colour"), required=False, choices=Vehicle.Colour.choices
    )
    location = _LenientMultipleChoiceField(label=_("Location"), required=False)
    features = _LenientMultipleChoiceField(label=_("Features"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=Sort.CHOICES)
    after = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        for low, high, message in (
            ("year_min", "year_max", _("“Year from” must not be after “Year to”.")),
            ("price_min", "price_max", _("“Price from” must not be above “Price to”.")),
        ):
            a, b = cleaned.get(low), cleaned.get(high)
            if a is not None and b is not None and a > b:
                self.add_error(high, message)
        return cleaned

    def filters(self) -> VehicleFilters:
        """The valid part of the input: fields with errors are left out, not fatal."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        values = {}
        for name in VehicleFilters.__dataclass_fields__:
            if name == "page_size" or name not in data:
                continue
            value = data[name]
            if isinstance(value, list):
                value = tuple(sorted({str(v)[:60] for v in value}))[:20]
            elif isinstance(value, str):
                value = value.strip()
            if value in ("", None, ()):
                continue
            values[name] = value
        return VehicleFilters(**values)


TERMS = (12, 24, 36, 48, 60, 72, 84)


def _term_choices() -> list[tuple[int, str]]:
    return [(n, gettext("%(months)d months") % {"months": n}) for n in TERMS]


class PaymentCalculatorForm(forms.Form):
    down_payment = forms.DecimalField(
        label=_("Down payment"), min_value=0, max_digits=10, decimal_places=2, initial=0
    )
    trade_in = forms.DecimalField(
        label=_("Trade-in value"), min_value=0, max_digits=10, decimal_places=2, initial=0
    )
    apr = forms.DecimalField(
        label=_("APR (%)"),
        min_value=0,
        max_value=30,
        max_digits=5,
        decimal_places=2,
        initial=Decimal("4.90"),
    )
    term = forms.TypedChoiceField(
        label=_("Term"),
        coerce=int,
        # A callable: the labels are translated for each request's language, not once at import.
        choices=_term_choices,
        initial=60,
    )

    DEFAULTS = {"down_payment": Decimal("0"), "trade_in": Decimal("0"), "apr": Decimal("4.90")}

    def values(self) -> dict:
        """Valid input, falling back to the defaults field by field."""
        self.is_valid()
        values = {**self.DEFAULTS, "term": 60}
        values.update(
            {k: v for k, v in self.cleaned_data.items() if k not in self.errors and v is not None}
        )
        return values


class SavedSearchForm(PublicForm):
    """A saved search's alert: its box consents to that alert only, never to marketing."""

    consent_fields = {"consent": ALERT}

    email = forms.EmailField(label=_("Your email"))
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)
    consent = forms.BooleanField(
        label=_(
            "Email me new matches and price drops for this search (at most once a day). "
            "I can unsubscribe with the link in every email."
        ),
        required=True,
        error_messages={"required": _("Please agree to receive the alert emails.")},
    )
    # The honeypot, here a hidden input: people leave it empty, form-filling bots do not.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.query = query  # normalised, as it will be saved

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.query:
            raise forms.ValidationError(_("Choose at least one filter before you save a search."))
        return cleaned


class VehicleAdminForm(forms.ModelForm):
    """Staff type a VIN and the decoded make, model, year… fill the fields they left empty."""

    class Meta:
        model = Vehicle
        fields = [
            "vin",
            "stock_number",
            "location",
            "status",
            "condition",
            "make",
            "model",
            "trim",
            "model_year",
            "body_type",
            "fuel",
            "transmission",
            "drivetrain",
            "engine",
            "mileage",
            "exterior_colour",
            "exterior_colour_name",
            "interior_colour",
            "seats",
            "doors",
            "list_price",
            "sale_price",
            "features",
            "description",
            "in_stock_since",
        ]

    DECODED = (
        "make",
        "model",
        "model_year",
        "body_type",
        "fuel",
        "transmission",
        "drivetrain",
        "doors",
        "seats",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Decoded fields may be left empty: the VIN fills them.
        for name in self.DECODED:
            if name in self.fields:
                self.fields[name].required = False
        for name in ("make", "model"):
            if name in self.fields:
                self.fields[name].help_text = _("Leave empty to take it from the VIN.")
        if "vin" in self.fields:
            # static/js/vin-prefill.js fills the empty fields as soon as the VIN is typed.
            self.fields["vin"].widget.attrs.update(
                {
                    "data-decode-url": reverse("admin:inventory_vehicle_decode_vin"),
                    "data-filled-label": _("Filled from the VIN"),
                }
            )

    def clean(self):
        from .vin import decode_vin

        cleaned = super().clean()
        vin = cleaned.get("vin")
        if vin and "vin" not in self.errors:
            decoded = decode_vin(vin)
            cleaned["vin"] = decoded.vin
            self.decoded_vin = decoded
            for name, value in decoded.prefill().items():
                if name in self.fields and cleaned.get(name) in (None, ""):
                    cleaned[name] = value
                    self.instance.__dict__[name] = value
        for name in self.DECODED:
            if name in self.fields and cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(
                    name,
                    _("The VIN does not say; please fill this in.")
                    if vin
                    else _("This field is required."),
                )
        return cleaned

    def clean_vin(self):
        return validate_vin(self.cleaned_data["vin"])
