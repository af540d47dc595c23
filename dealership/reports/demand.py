"""Inventory demand at one location over the last 30 days: what is in stock against what
customers look at, ask for, save searches for and test-drive.

Rows are groups of cars: make, model, body, fuel and price band. A signal about a car (its
page views, a lead or a test drive for it) counts in that car's group; a lead without a stock
car counts in the group its make, model and price give (body and fuel "any"), and a saved
search in the group its filters give (a filter it leaves open is "any"). Lives in reports (the
top layer) because it reads leads and test drives, which inventory may not import.

Seven queries whatever the size of the stock: stock, sales, views, test drives and leads
grouped in the database, the saved searches of the period, and the cars with many views and
no lead.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs

from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealership.accounts.models import Location
from inventory.models import SavedSearch, Vehicle, VehicleDailyViews
from leads.models import Lead
from testdrives.models import Booking

DAYS = 30
IN_STOCK = (Vehicle.Status.DRAFT, Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED)
# Upper bounds of the price bands (the car's price as stored: gross where VAT is included).
BANDS: tuple[tuple[str, Decimal | None], ...] = (
    ("0-10000", Decimal(10_000)),
    ("10000-20000", Decimal(20_000)),
    ("20000-30000", Decimal(30_000)),
    ("30000-50000", Decimal(50_000)),
    ("50000+", None),
)
BAND_LABELS = {
    "0-10000": gettext_lazy("under 10,000"),
    "10000-20000": gettext_lazy("10,000–20,000"),
    "20000-30000": gettext_lazy("20,000–30,000"),
    "30000-50000": gettext_lazy("30,000–50,000"),
    "50000+": gettext_lazy("50,000 and more"),
    "": gettext_lazy("any price"),
}
# A car whose page was viewed this often in 30 days without a single lead is worth a look.
MANY_VIEWS = 50


def band_of(price: Decimal | None) -> str:
    if price is None:
        return ""
    for name, upper in BANDS:
        if upper is None or price < upper:
            return name
    return ""


def _band_expression(path: str):
    whens = [When(**{f"{path}__lt": upper}, then=Value(name)) for name, upper in BANDS if upper]
    return Case(
        *whens,
        When(**{f"{path}__isnull": False}, then=Value(BANDS[-1][0])),
        default=Value(""),
        output_field=CharField(),
    )


Key = tuple[str, str, str, str, str]  # make, model, body, fuel, band ("" = any)


@dataclass
class DemandRow:
    make: str
    model: str
    body_type: str
    fuel: str
    band: str
    stock: int = 0
    sold: int = 0
    views: int = 0
    leads: int = 0
    saved_searches: int = 0
    test_drives: int = 0

    @property
    def body_label(self) -> str:
        return Vehicle.BodyType(self.body_type).label if self.body_type else _("any")

    @property
    def fuel_label(self) -> str:
        return Vehicle.Fuel(self.fuel).label if self.fuel else _("any")

    @property
    def band_label(self) -> str:
        return str(BAND_LABELS[self.band])

    @property
    def demand(self) -> int:
        return self.leads + self.saved_searches + self.test_drives

    @property
    def days_supply(self) -> Decimal | None:
        """Cars in stock ÷ cars sold per day over the period; None without a sale."""
        if not self.sold:
            return None
        return (Decimal(self.stock * DAYS) / self.sold).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )

    @property
    def days_supply_sentence(self) -> str:
        if self.stock == 0:
            return _("No car in stock.")
        if not self.sold:
            return _(
                "%(stock)d in stock and none sold in %(days)d days: no sales rate to divide by."
            ) % {"stock": self.stock, "days": DAYS}
        return _(
            "%(stock)d in stock ÷ (%(sold)d sold in %(days)d days ÷ %(days)d) = "
            "%(supply)s days to sell them at this rate."
        ) % {"stock": self.stock, "sold": self.sold, "days": DAYS, "supply": self.days_supply}

    @property
    def demand_sentence(self) -> str:
        return _(
            "In %(days)d days: leads %(leads)d, saved searches %(searches)d, test drives "
            "%(drives)d, and no car in stock: buy one or ask another location for one."
        ) % {
            "leads": self.leads,
            "searches": self.saved_searches,
            "drives": self.test_drives,
            "days": DAYS,
        }


@dataclass
class QuietCar:
    """A car in stock with many page views and no lead: a price or photo problem, often.
    ``typical``: the location's views per lead over the period (None without a lead)."""

    vehicle: Vehicle
    views: int
    typical: int | None = None

    @property
    def sentence(self) -> str:
        if self.typical:
            return _(
                "Viewed %(views)d times in %(days)d days without a lead, where this "
                "location's cars get one lead every %(typical)d views: check the price and "
                "the photos."
            ) % {"views": self.views, "days": DAYS, "typical": self.typical}
        return _(
            "Viewed %(views)d times in %(days)d days without a lead: check the price and "
            "the photos."
        ) % {"views": self.views, "days": DAYS}


@dataclass
class Demand:
    location: Location
    since: datetime.datetime
    rows: list[DemandRow] = field(default_factory=list)
    quiet_cars: list[QuietCar] = field(default_factory=list)

    @property
    def views_per_lead(self) -> int | None:
        """All page views ÷ all leads of the period (rounded), None without a lead."""
        leads = sum(r.leads for r in self.rows)
        if not leads:
            return None
        views = sum(r.views for r in self.rows)
        return int((Decimal(views) / leads).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    @property
    def without_stock(self) -> list[DemandRow]:
        return sorted(
            (r for r in self.rows if r.stock == 0 and r.demand > 0),
            key=lambda r: (-r.demand, r.make, r.model),
        )


def _vehicle_key(prefix: str = "") -> list[str]:
    return [f"{prefix}make", f"{prefix}model", f"{prefix}body_type", f"{prefix}fuel"]


def _add(rows: dict[Key, DemandRow], key: Key, name: str, amount: int) -> None:
    row = rows.get(key)
    if row is None:
        row = rows[key] = DemandRow(*key)
    setattr(row, name, getattr(row, name) + amount)


def _grouped(qs, fields: list[str], band_path: str, measure):
    return (
        qs.annotate(band=_band_expression(band_path))
        .values(*fields, "band")
        .annotate(n=measure)
        .order_by()
    )


def _saved_search_key(query: str, location_slug: str) -> Key | None:
    """The group a saved search asks for, or None when it is for another location."""
    params = parse_qs(query or "")

    def one(name: str) -> str:
        values = [v for v in params.get(name, []) if v]
        return values[0] if len(values) == 1 else ""

    locations = params.get("location", [])
    if locations and location_slug not in locations:
        return None
    band = ""
    price_max = one("price_max")
    if price_max:
        try:
            # The band of the highest price the visitor accepts.
            band = band_of(Decimal(price_max) - Decimal("0.01"))
        except ArithmeticError:
            band = ""
    body = one("body_type")
    fuel = one("fuel")
    return (
        one("make"),
        one("model"),
        body if body in Vehicle.BodyType.values else "",
        fuel if fuel in Vehicle.Fuel.values else "",
        band,
    )


def demand_for_location(*, location: Location, now: datetime.datetime | None = None) -> Demand:
    now = now or timezone.now()
    since = now - datetime.timedelta(days=DAYS)
    first_view_day = now.astimezone(datetime.UTC).date() - datetime.timedelta(days=DAYS - 1)
    rows: dict[Key, DemandRow] = {}
    fields = _vehicle_key()

    stock = Vehicle.objects.filter(location=location, status__in=IN_STOCK)
    for r in _grouped(stock, fields, "price", Count("pk")):
        _add(rows, (r["make"], r["model"], r["body_type"], r["fuel"], r["band"]), "stock", r["n"])

    sold = Vehicle.objects.filter(location=location, sold_at__gte=since, sold_at__lte=now)
    for r in _grouped(sold, fields, "price", Count("pk")):
        _add(rows, (r["make"], r["model"], r["body_type"], r["fuel"], r["band"]), "sold", r["n"])

    vfields = _vehicle_key("vehicle__")
    views = VehicleDailyViews.objects.filter(vehicle__location=location, day__gte=first_view_day)
    for r in _grouped(views, vfields, "vehicle__price", Sum("views")):
        key = (*(r[f] for f in vfields), r["band"])
        _add(rows, key, "views", r["n"] or 0)

    drives = Booking.objects.filter(
        location=location,
        kind=Booking.Kind.DRIVE,
        vehicle__isnull=False,
        start_at__gte=since,
        start_at__lte=now,
    ).exclude(status=Booking.Status.CANCELLED)
    for r in _grouped(drives, vfields, "vehicle__price", Count("pk")):
        key = (*(r[f] for f in vfields), r["band"])
        _add(rows, key, "test_drives", r["n"])

    # A lead's group: its stock car's, else what the enquiry named (body and fuel: any).
    leads = (
        Lead.objects.filter(location=location, created_at__gte=since, created_at__lte=now)
        .annotate(
            g_make=Coalesce("vehicle__make", "make"),
            g_model=Coalesce("vehicle__model", "model"),
            g_body=Coalesce("vehicle__body_type", Value("")),
            g_fuel=Coalesce("vehicle__fuel", Value("")),
            g_price=Coalesce("vehicle__price", "price"),
        )
        .exclude(g_make="", g_model="")
    )
    for r in _grouped(leads, ["g_make", "g_model", "g_body", "g_fuel"], "g_price", Count("pk")):
        key = (r["g_make"], r["g_model"], r["g_body"], r["g_fuel"], r["band"])
        _add(rows, key, "leads", r["n"])

    searches = SavedSearch.objects.filter(
        cancelled_at__isnull=True, created_at__gte=since, created_at__lte=now
    ).values_list("query", flat=True)
    for query in searches:
        key = _saved_search_key(query, location.slug)
        if key is not None and (key[0] or key[2] or key[3]):
            _add(rows, key, "saved_searches", 1)

    quiet = (
        Vehicle.objects.filter(location=location, status__in=IN_STOCK)
        .annotate(
            views_30=Coalesce(
                Subquery(
                    VehicleDailyViews.objects.filter(
                        vehicle=OuterRef("pk"), day__gte=first_view_day
                    )
                    .order_by()
                    .values("vehicle")
                    .annotate(total=Sum("views"))
                    .values("total")
                ),
                0,
                output_field=IntegerField(),
            ),
            leads_30=Count("leads", filter=Q(leads__created_at__gte=since)),
        )
        .filter(views_30__gte=MANY_VIEWS, leads_30=0)
        .order_by("-views_30", "pk")[:20]
    )
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.make.lower(), r.model.lower(), r.body_type, r.fuel, r.band),
    )
    demand = Demand(location=location, since=since, rows=ordered)
    typical = demand.views_per_lead
    demand.quiet_cars = [QuietCar(vehicle=v, views=v.views_30, typical=typical) for v in quiet]
    return demand


def locations_for_demand(user) -> Iterable[Location]:
    from dealership.accounts.selectors import location_list_for_user

    return location_list_for_user(user=user).order_by("name")
