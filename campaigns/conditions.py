"""The segment condition registry: every condition type a segment may use, its parameters,
how they are validated, and the Q (an Exists subquery, mostly) it compiles to on Customer.

A tree is JSON: a group {"op": "and"|"or", "children": [...]} whose children are groups or
conditions {"type": "<key>", "params": {...}}. `validate_tree` returns the cleaned tree or
raises ValidationError with one message per bad node; nothing unvalidated is ever compiled,
so a condition that can't be evaluated is a form error, never a server error.
"""

import calendar
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    DateTimeField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.models import OwnedVehicle, RecallVehicle, ServiceAppointment, ServiceRecord
from conversations.models import Message
from dealership.accounts.models import Location
from dealership.messaging.models import ConsentLatest, Suppression
from inventory.models import SavedSearch, Vehicle
from leads.models import Activity, Lead
from orders.models import Order
from surveys.models import Invitation
from surveys.scoring import DETRACTOR_MAX, PROMOTER_MIN
from testdrives.models import Booking

MAX_DEPTH = 4
MAX_CONDITIONS = 30


@dataclass(frozen=True)
class Param:
    name: str
    label: object
    kind: str  # "choice", "int", "date", "text", "money"
    required: bool = True
    choices: Callable[[], list[tuple[str, object]]] | None = None
    min_value: int = 0
    max_value: int = 10_000_000


@dataclass(frozen=True)
class ConditionType:
    key: str
    label: object
    params: tuple[Param, ...]
    compile: Callable[[dict, datetime.datetime], Q]
    # At least one of these optional params must be given (interest filters).
    one_of: tuple[str, ...] = field(default=())


def _clean_param(param: Param, raw) -> object:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if param.required:
            raise ValidationError(_("%(field)s is required.") % {"field": param.label})
        return None
    if param.kind == "choice":
        values = {str(v) for v, _label in param.choices()}
        if str(raw) not in values:
            raise ValidationError(
                _("“%(value)s” is not a valid choice for %(field)s.")
                % {"value": raw, "field": param.label}
            )
        return str(raw)
    if param.kind == "int":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValidationError(
                _("%(field)s must be a whole number.") % {"field": param.label}
            ) from None
        if not param.min_value <= value <= param.max_value:
            raise ValidationError(
                _("%(field)s must be between %(min)s and %(max)s.")
                % {"field": param.label, "min": param.min_value, "max": param.max_value}
            )
        return value
    if param.kind == "money":
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(
                _("%(field)s must be an amount.") % {"field": param.label}
            ) from None
        if not value.is_finite() or value < 0 or value > Decimal("100000000"):
            raise ValidationError(_("%(field)s must be an amount.") % {"field": param.label})
        return str(value.quantize(Decimal("0.01")))
    if param.kind == "date":
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(
                _("%(field)s must be a date (YYYY-MM-DD).") % {"field": param.label}
            ) from None
    value = str(raw).strip()
    if len(value) > 60:
        raise ValidationError(_("%(field)s is too long.") % {"field": param.label})
    return value


# --- helpers -----------------------------------------------------------------------------


def add_months(moment, months: int):
    """A date or datetime `months` later (earlier if negative), the day clamped to the month."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _choices(enum) -> Callable[[], list]:
    return lambda: list(enum.choices)


def _locations() -> list:
    return [
        (str(pk), name) for pk, name in Location.objects.order_by("name").values_list("pk", "name")
    ]


def _local_today(now: datetime.datetime) -> datetime.date:
    return timezone.localdate(now)


def _active_vehicles():
    return OwnedVehicle.objects.filter(status=OwnedVehicle.Status.ACTIVE)


@dataclass(frozen=True)
class Having:
    """Customers with a row in `qs` (their id in `column`): an uncorrelated IN (subquery).

    Kept apart from Q until its group is combined, so that in an OR group several of these on
    one table become one subquery with their filters ORed ("a car 4+ years old OR a car at
    80,000+ km": one pass over the cars and one semi-join, instead of a hashed subplan per
    condition probed for every customer). A customer with a row matching A or a row matching
    B is exactly a customer with a row matching A OR B, so the merge keeps the meaning."""

    qs: object
    column: str = "customer_id"

    def q(self) -> Q:
        return Q(pk__in=self.qs.values(self.column))

    def key(self) -> tuple:
        return (self.qs.model, self.column)


def _having(qs, column: str = "customer_id") -> Having:
    return Having(qs, column)


def _as_q(part) -> Q:
    return part.q() if isinstance(part, Having) else part


def _merge_or(parts: list) -> list:
    """The parts of an OR group with every Having on one table and column merged into one."""
    merged: list = []
    index: dict[tuple, int] = {}
    for part in parts:
        if isinstance(part, Having):
            at = index.get(part.key())
            if at is not None:
                merged[at] = Having(merged[at].qs | part.qs, part.column)
                continue
            index[part.key()] = len(merged)
        merged.append(part)
    return merged


def _iexact_list(field_name: str, value: str) -> Q:
    return Q(**{f"{field_name}__iexact": value})


def _saved_search_key(key: str, value: str) -> Q:
    # normalise_query sorts keys and urlencodes values: match one key=value pair exactly.
    from urllib.parse import quote_plus

    encoded = re.escape(quote_plus(value))
    return Q(query__iregex=rf"(^|&){re.escape(key)}={encoded}(&|$)")


# --- compilers ---------------------------------------------------------------------------


def _location(p, now):
    return Q(location_id=int(p["location"]))


def _lead_source(p, now):
    return _having(Lead.objects.filter(source=p["source"]))


def _lead_status(p, now):
    return _having(Lead.objects.filter(status=p["status"]))


def _contact_since(moment: datetime.datetime) -> Q:
    return Q(Exists(Activity.objects.filter(customer=OuterRef("pk"), occurred_at__gte=moment))) | Q(
        Exists(Message.objects.filter(customer=OuterRef("pk"), created_at__gte=moment))
    )


def _any_contact() -> Q:
    return Q(Exists(Activity.objects.filter(customer=OuterRef("pk")))) | Q(
        Exists(Message.objects.filter(customer=OuterRef("pk")))
    )


def _day_start(day: str) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time.min)
    )


def _last_contact_before(p, now):
    """Contacted at some point, but not on or after the date (an activity or a message)."""
    return _any_contact() & ~_contact_since(_day_start(p["date"]))


def _last_contact_after(p, now):
    moment = _day_start(p["date"])
    return (
        _having(Activity.objects.filter(occurred_at__gte=moment)).q()
        | _having(Message.objects.filter(customer__isnull=False, created_at__gte=moment)).q()
    )


def _interest(p, now):
    """Interest from a lead, a saved search or a test drive: every given filter must hold on
    the same record."""
    lead_q = Q()
    drive_q = Q(kind=Booking.Kind.DRIVE)
    search_q = Q(email__iexact=OuterRef("email"), cancelled_at__isnull=True)
    search_ok = True
    if p.get("make"):
        lead_q &= Q(make__iexact=p["make"]) | Q(vehicle__make__iexact=p["make"])
        drive_q &= Q(vehicle__make__iexact=p["make"])
        search_q &= _saved_search_key("make", p["make"])
    if p.get("model"):
        lead_q &= Q(model__iexact=p["model"]) | Q(vehicle__model__iexact=p["model"])
        drive_q &= Q(vehicle__model__iexact=p["model"])
        search_q &= _saved_search_key("model", p["model"])
    if p.get("body_type"):
        lead_q &= Q(vehicle__body_type=p["body_type"])
        drive_q &= Q(vehicle__body_type=p["body_type"])
        search_q &= _saved_search_key("body_type", p["body_type"])
    if p.get("fuel"):
        lead_q &= Q(vehicle__fuel=p["fuel"])
        drive_q &= Q(vehicle__fuel=p["fuel"])
        search_q &= _saved_search_key("fuel", p["fuel"])
    for bound, lookup in (("price_min", "gte"), ("price_max", "lte")):
        if p.get(bound):
            amount = Decimal(p[bound])
            lead_q &= Q(**{f"price__{lookup}": amount}) | Q(
                price__isnull=True, **{f"vehicle__price__{lookup}": amount}
            )
            drive_q &= Q(**{f"vehicle__price__{lookup}": amount})
            search_ok = False  # a saved search's price range is not a price
    q = _having(Lead.objects.filter(lead_q)).q() | _having(Booking.objects.filter(drive_q)).q()
    if search_ok:
        q |= Q(~Q(email=""), Exists(SavedSearch.objects.filter(search_q)))
    return q


def _age_q(years: int, today: datetime.date) -> Q:
    cutoff = add_months(today, -12 * years)
    return Q(year__isnull=False, year__lte=today.year - years) | Q(
        year__isnull=True, delivered_on__lte=cutoff
    )


def _owner_age(p, now):
    return _having(_active_vehicles().filter(_age_q(p["years"], _local_today(now))))


def predicted_km(today: datetime.date):
    """Last reading plus the learned (or default) daily rate times the days since."""
    defaults = settings.AFTERSALES_DEFAULT_KM_PER_DAY
    rate = Case(
        When(km_per_day__isnull=False, then=F("km_per_day")),
        *[When(kind=kind, then=Value(Decimal(str(km)))) for kind, km in defaults.items()],
        default=Value(Decimal("40")),
        output_field=DecimalField(max_digits=7, decimal_places=2),
    )
    days = Func(
        Value(today), F("odometer_on"), function="", template="(%(expressions)s)", arg_joiner=" - "
    )
    return ExpressionWrapper(
        F("odometer_km") + rate * Cast(days, IntegerField()),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _owner_mileage(p, now):
    vehicles = _active_vehicles().alias(predicted=predicted_km(_local_today(now)))
    return _having(vehicles.filter(predicted__gte=p["km"]))


def _owner_make_model(p, now):
    q = Q()
    if p.get("make"):
        q &= Q(make__iexact=p["make"])
    if p.get("model"):
        q &= Q(model__iexact=p["model"])
    return _having(_active_vehicles().filter(q))


def _finance_ending(p, now):
    """A delivered finance or lease order whose term ends between now and N months ahead."""
    months = Func(
        Value(0), F("term_months"), function="make_interval", output_field=DurationField()
    )
    ends = ExpressionWrapper(F("delivered_at") + months, output_field=DateTimeField())
    orders = Order.objects.filter(
        status=Order.Status.DELIVERED,
        payment_type__in=(Order.PaymentType.FINANCE, Order.PaymentType.LEASE),
        delivered_at__isnull=False,
        term_months__isnull=False,
    ).alias(ends=ends)
    return _having(orders.filter(ends__gte=now, ends__lt=add_months(now, p["months"])))


def _last_service_before(p, now):
    """An active car not serviced (with us) in the last N months, owned at least that long."""
    cutoff = add_months(_local_today(now), -p["months"])
    recent = ServiceRecord.objects.filter(owned_vehicle=OuterRef("pk"), done_on__gte=cutoff)
    return _having(_active_vehicles().filter(delivered_on__lt=cutoff).filter(~Exists(recent)))


def _open_recall(p, now):
    return _having(
        RecallVehicle.objects.filter(
            owned_vehicle__status=OwnedVehicle.Status.ACTIVE, remedied_at__isnull=True
        ),
        "owned_vehicle__customer_id",
    )


def _service_visit_within(p, now):
    today = _local_today(now)
    return _having(
        ServiceAppointment.objects.filter(
            status__in=ServiceAppointment.ACTIVE_STATUSES,
            day__gte=today,
            day__lte=today + datetime.timedelta(days=p["days"]),
        )
    )


NPS_RANGES = {
    "promoter": (PROMOTER_MIN, 10),
    "passive": (DETRACTOR_MAX + 1, PROMOTER_MIN - 1),
    "detractor": (0, DETRACTOR_MAX),
}


def _nps_category(p, now):
    """The category of the customer's latest NPS answer."""
    low, high = NPS_RANGES[p["category"]]
    later = Invitation.objects.filter(
        customer=OuterRef("customer"),
        nps_score__isnull=False,
        submitted_at__gt=OuterRef("submitted_at"),
    )
    latest = Invitation.objects.filter(
        customer__isnull=False,
        nps_score__gte=low,
        nps_score__lte=high,
        submitted_at__isnull=False,
    ).filter(~Exists(later))
    return _having(latest)


def consent_q(channel: str) -> Q:
    """The customer's address on the channel has a granted latest consent and no suppression.

    The latest decision per address is messaging's ConsentLatest fact (kept by triggers on
    every consent write), so the count hashes the granted addresses once instead of searching
    each address's history; emails match on the stored lower-case column."""
    column = "email" if channel == "email" else "mobile_phone"
    key = "email_lower" if channel == "email" else column
    granted = ConsentLatest.objects.filter(channel=channel, granted=True).values("address")
    suppressed = Suppression.objects.filter(channel=channel, address__iexact=OuterRef(column))
    return ~Q(**{column: ""}) & Q(**{f"{key}__in": granted}) & ~Q(Exists(suppressed))


def _consented_channel(p, now):
    return consent_q(p["channel"])


CHANNELS = [("email", gettext_lazy("Email")), ("sms", gettext_lazy("SMS"))]

_make = Param("make", gettext_lazy("Make"), "text", required=False)
_model = Param("model", gettext_lazy("Model"), "text", required=False)

REGISTRY: dict[str, ConditionType] = {
    c.key: c
    for c in (
        ConditionType(
            "location",
            gettext_lazy("Home branch"),
            (Param("location", gettext_lazy("Location"), "choice", choices=_locations),),
            _location,
        ),
        ConditionType(
            "lead_source",
            gettext_lazy("Lead source"),
            (Param("source", gettext_lazy("Source"), "choice", choices=_choices(Lead.Source)),),
            _lead_source,
        ),
        ConditionType(
            "lead_status",
            gettext_lazy("Lead status"),
            (Param("status", gettext_lazy("Status"), "choice", choices=_choices(Lead.Status)),),
            _lead_status,
        ),
        ConditionType(
            "last_contact_before",
            gettext_lazy("Last contact before"),
            (Param("date", gettext_lazy("Date"), "date"),),
            _last_contact_before,
        ),
        ConditionType(
            "last_contact_after",
            gettext_lazy("Last contact on or after"),
            (Param("date", gettext_lazy("Date"), "date"),),
            _last_contact_after,
        ),
        ConditionType(
            "interest",
            gettext_lazy("Interested in (leads, saved searches, test drives)"),
            (
                _make,
                _model,
                Param(
                    "body_type",
                    gettext_lazy("Body type"),
                    "choice",
                    required=False,
                    choices=_choices(Vehicle.BodyType),
                ),
                Param(
                    "fuel",
                    gettext_lazy("Fuel"),
                    "choice",
                    required=False,
                    choices=_choices(Vehicle.Fuel),
                ),
                Param("price_min", gettext_lazy("Price from"), "money", required=False),
                Param("price_max", gettext_lazy("Price up to"), "money", required=False),
            ),
            _interest,
            one_of=("make", "model", "body_type", "fuel", "price_min", "price_max"),
        ),
        ConditionType(
            "owner_vehicle_age",
            gettext_lazy("Owns a car at least this old"),
            (Param("years", gettext_lazy("Years"), "int", min_value=0, max_value=60),),
            _owner_age,
        ),
        ConditionType(
            "owner_mileage",
            gettext_lazy("Owns a car with predicted mileage of at least"),
            (Param("km", gettext_lazy("Kilometres"), "int", max_value=2_000_000),),
            _owner_mileage,
        ),
        ConditionType(
            "owner_make_model",
            gettext_lazy("Owns a car of make / model"),
            (_make, _model),
            _owner_make_model,
            one_of=("make", "model"),
        ),
        ConditionType(
            "finance_ending",
            gettext_lazy("Finance or lease ends within"),
            (Param("months", gettext_lazy("Months"), "int", min_value=1, max_value=120),),
            _finance_ending,
        ),
        ConditionType(
            "last_service_before",
            gettext_lazy("No service with us for"),
            (Param("months", gettext_lazy("Months"), "int", min_value=1, max_value=240),),
            _last_service_before,
        ),
        ConditionType("open_recall", gettext_lazy("Has an open recall"), (), _open_recall),
        ConditionType(
            "service_visit_within",
            gettext_lazy("Service visit booked within"),
            (Param("days", gettext_lazy("Days"), "int", min_value=0, max_value=90),),
            _service_visit_within,
        ),
        ConditionType(
            "nps_category",
            gettext_lazy("Latest NPS answer"),
            (
                Param(
                    "category",
                    gettext_lazy("Category"),
                    "choice",
                    choices=lambda: [
                        ("promoter", gettext_lazy("Promoter")),
                        ("passive", gettext_lazy("Passive")),
                        ("detractor", gettext_lazy("Detractor")),
                    ],
                ),
            ),
            _nps_category,
        ),
        ConditionType(
            "consented_channel",
            gettext_lazy("Marketing consent on"),
            (Param("channel", gettext_lazy("Channel"), "choice", choices=lambda: CHANNELS),),
            _consented_channel,
        ),
    )
}


def clean_condition(node: dict) -> dict:
    """A validated copy of one condition node; ValidationError naming what is wrong."""
    kind = node.get("type") if isinstance(node, dict) else None
    condition = REGISTRY.get(kind) if isinstance(kind, str) else None
    if condition is None:
        raise ValidationError(_("Unknown condition “%(type)s”.") % {"type": kind})
    raw = node.get("params") or {}
    if not isinstance(raw, dict):
        raise ValidationError(_("The condition’s settings are malformed."))
    params, errors = {}, []
    for param in condition.params:
        try:
            value = _clean_param(param, raw.get(param.name))
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if value is not None:
            params[param.name] = value
    if condition.one_of and not any(params.get(name) for name in condition.one_of):
        errors.append(
            _("%(condition)s needs at least one filter.") % {"condition": condition.label}
        )
    if errors:
        raise ValidationError(errors)
    return {"type": condition.key, "params": params}


def validate_tree(tree) -> dict:
    """The cleaned tree; ValidationError (all problems) for anything malformed or unknown."""
    errors: list[str] = []
    count = [0]

    def walk(node, depth):
        if not isinstance(node, dict):
            errors.append(_("A condition is malformed."))
            return None
        if "children" in node or "op" in node:
            op = node.get("op")
            if op not in ("and", "or"):
                errors.append(_("A group must combine with AND or OR."))
                return None
            if depth >= MAX_DEPTH:
                errors.append(_("Groups are nested too deeply."))
                return None
            children = node.get("children")
            if not isinstance(children, list):
                errors.append(_("A group is malformed."))
                return None
            cleaned = [c for c in (walk(child, depth + 1) for child in children) if c is not None]
            return {"op": op, "children": cleaned}
        count[0] += 1
        try:
            return clean_condition(node)
        except ValidationError as exc:
            errors.extend(exc.messages)
            return None

    cleaned = walk(tree if tree else {"op": "and", "children": []}, 0)
    if count[0] > MAX_CONDITIONS:
        errors.append(_("A segment may have at most %(max)s conditions.") % {"max": MAX_CONDITIONS})
    if errors:
        raise ValidationError(errors)
    return cleaned


def compile_tree(tree: dict, now: datetime.datetime | None = None) -> Q:
    """The Q of a validated tree on Customer. An empty group matches everyone."""
    return _as_q(_compile(tree, now or timezone.now()))


def _compile(tree: dict, now: datetime.datetime):
    """A Q, or a Having (a lone condition, or an OR group that merged into one) so that the
    enclosing OR group can merge it further."""
    if "children" in tree:
        parts = [_compile(child, now) for child in tree["children"]]
        if not parts:
            return Q()
        if tree["op"] == "or":
            parts = _merge_or(parts)
        if len(parts) == 1:
            return parts[0]
        q = _as_q(parts[0])
        for part in parts[1:]:
            q = (q & _as_q(part)) if tree["op"] == "and" else (q | _as_q(part))
        return q
    return REGISTRY[tree["type"]].compile(tree["params"], now)


def condition_count(tree: dict) -> int:
    if "children" in tree:
        return sum(condition_count(child) for child in tree["children"])
    return 1
