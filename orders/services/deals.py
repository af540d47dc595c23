"""Building and changing the deal: the breakdown of an order, creating an order, versions."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, Location, User
from dealership.accounts.services import audit_diff, audit_record
from inventory.models import Vehicle
from inventory.pricing import AddOnLine, DealBreakdown, deal_breakdown, to_cents
from leads.models import Lead
from leads.services import customer_get_or_create_from_contact

from ..models import AddOn, Order, OrderVersion

# Steps in which the customer may still change the deal themselves.
CUSTOMER_EDITABLE = ("draft", "submitted", "deposit_paid", "finance_pending", "finance_approved")


@dataclass(frozen=True)
class DealChoice:
    """What the customer picks in the deal builder (validated by the form)."""

    payment_type: str = "cash"
    down_payment: Decimal = Decimal(0)
    term_months: int = 0
    add_on_ids: tuple[int, ...] = ()
    fulfilment: str = Order.Fulfilment.PICKUP
    delivery_distance_km: int = 0
    tradein: dict = field(default_factory=dict)


def delivery_fee(*, fulfilment: str, distance_km: int) -> Decimal:
    if fulfilment != Order.Fulfilment.DELIVERY:
        return Decimal("0.00")
    return to_cents(
        settings.ORDERS_DELIVERY_BASE_FEE + settings.ORDERS_DELIVERY_FEE_PER_KM * distance_km
    )


def default_apr(payment_type: str) -> Decimal:
    if payment_type == Order.PaymentType.FINANCE:
        return settings.ORDERS_FINANCE_APR
    if payment_type == Order.PaymentType.LEASE:
        return settings.ORDERS_LEASE_APR
    return Decimal(0)


def breakdown_for(
    *,
    vehicle: Vehicle,
    location: Location,
    payment_type: str,
    add_ons: list[AddOn],
    down_payment: Decimal = Decimal(0),
    term_months: int = 0,
    apr: Decimal | None = None,
    discount: Decimal = Decimal(0),
    trade_in: Decimal = Decimal(0),
    trade_in_payoff: Decimal = Decimal(0),
    fulfilment: str = Order.Fulfilment.PICKUP,
    distance_km: int = 0,
    tax_rate: Decimal | None = None,
) -> DealBreakdown:
    """The deal's breakdown from the dealership's figures: the one call every page, the
    order, the contract and the emails make (through `order_breakdown` for an order)."""
    return deal_breakdown(
        payment_type=payment_type,
        price=vehicle.price,
        discount=discount,
        documentation_fee=location.documentation_fee,
        tax_rate=location.sales_tax_rate if tax_rate is None else tax_rate,
        registration=settings.VEHICLE_REGISTRATION_ESTIMATE,
        currency=settings.CURRENCY,
        add_ons=tuple(
            AddOnLine(a.name, a.price, a.tax_rule == AddOn.TaxRule.TAXABLE) for a in add_ons
        ),
        trade_in=trade_in,
        trade_in_payoff=trade_in_payoff,
        delivery_fee=delivery_fee(fulfilment=fulfilment, distance_km=distance_km),
        deposit=settings.ORDERS_DEPOSIT,
        down_payment=down_payment,
        term_months=term_months,
        apr=default_apr(payment_type) if apr is None else apr,
        residual_percent=settings.ORDERS_LEASE_RESIDUAL_PERCENT,
        tax_included=location.prices_include_tax,
        margin_scheme=vehicle.margin_scheme,
    )


def order_breakdown(order: Order) -> DealBreakdown:
    """The breakdown of the order as it stands now (before it is saved as a version)."""
    return breakdown_for(
        vehicle=order.vehicle,
        location=order.location,
        payment_type=order.payment_type,
        add_ons=list(order.add_ons.all()),
        down_payment=order.down_payment,
        term_months=order.term_months,
        apr=order.apr,
        discount=order.discount,
        trade_in=order.tradein_offer or Decimal(0),
        trade_in_payoff=order.tradein_payoff,
        fulfilment=order.fulfilment,
        distance_km=order.delivery_distance_km,
        tax_rate=order.tax_rate,
    )


def _check_breakdown(order: Order) -> DealBreakdown:
    try:
        return order_breakdown(order)
    except ValueError as exc:
        raise ValidationError(_("This deal does not add up: %(error)s") % {"error": exc}) from exc


def version_create(*, order: Order, reason: str, by: User | None, accepted: bool) -> OrderVersion:
    latest = order.versions.order_by("-number").first()
    breakdown = _check_breakdown(order).as_dict()
    version = OrderVersion(
        order=order,
        number=(latest.number + 1) if latest else 1,
        breakdown=breakdown,
        reason=reason,
        created_by=by,
        accepted_at=timezone.now() if accepted else None,
    )
    version.full_clean()
    version.save()
    if accepted:
        _agree(order, version)
    return version


def _agree(order: Order, version: OrderVersion) -> None:
    """The order's deal total becomes the accepted version's (in the caller's transaction)."""
    order.deal_total = Decimal(version.breakdown["total"])
    order.save(update_fields=["deal_total"])


def _apply_tradein(order: Order, tradein: dict, customer_id: int) -> None:
    lead_id = tradein.get("lead_id")
    if lead_id:
        lead = Lead.objects.filter(
            pk=lead_id, customer_id=customer_id, type=Lead.Type.TRADE_IN
        ).first()
        if lead is None:
            raise ValidationError({"tradein": _("That trade-in appraisal is not yours.")})
        order.tradein_lead = lead
        order.tradein_year = lead.tradein_year
        order.tradein_make = lead.tradein_make
        order.tradein_model = lead.tradein_model
        order.tradein_mileage_km = lead.tradein_mileage_km
        order.tradein_vin = lead.tradein_vin
        return
    order.tradein_year = tradein.get("year")
    order.tradein_make = tradein.get("make", "")
    order.tradein_model = tradein.get("model", "")
    order.tradein_mileage_km = tradein.get("mileage_km")
    order.tradein_vin = tradein.get("vin", "")


@transaction.atomic
def order_create(
    *,
    vehicle: Vehicle,
    deal: DealChoice,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    street: str,
    postal_code: str,
    city: str,
    language: str = "",
) -> Order:
    """A draft order for a public vehicle, with version 1 of its breakdown (accepted: the
    customer built it). Finds or creates the customer by contact details. Reserves nothing:
    `order_reserve` does, when the customer pays the deposit."""
    if vehicle.status not in (Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED):
        raise ValidationError(_("This car is no longer for sale."))
    location = vehicle.selling_location
    customer, _created = customer_get_or_create_from_contact(
        location=location,
        source="website",
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        street=street,
        postal_code=postal_code,
        city=city,
        country=location.country,
        language=language,
    )
    address = (street, postal_code, city) if deal.fulfilment == Order.Fulfilment.DELIVERY else None
    return draft_order_create(
        customer=customer,
        vehicle=vehicle,
        consultant=customer.owner,
        deal=deal,
        apr=default_apr(deal.payment_type),
        delivery_address=address,
        reason=_("Deal built online"),
        by=None,
    )


def draft_order_create(
    *,
    customer,
    vehicle: Vehicle,
    consultant: User | None,
    deal: DealChoice,
    apr: Decimal,
    reason: str,
    by: User | None,
    delivery_address: tuple[str, str, str] | None = None,
    tradein_offer: Decimal | None = None,
    tradein_payoff: Decimal = Decimal(0),
) -> Order:
    """The draft order, its add-ons and its accepted version 1: what the online checkout
    (`order_create`) and a desked quote (`quote_accept`) both make, in the caller's
    transaction."""
    order = Order(
        customer=customer,
        vehicle=vehicle,
        location=vehicle.selling_location,
        consultant=consultant,
        status=Order.Status.DRAFT,
        status_changed_at=timezone.now(),
        payment_type=deal.payment_type,
        down_payment=to_cents(deal.down_payment),
        term_months=deal.term_months if deal.payment_type != "cash" else 0,
        apr=apr,
        fulfilment=deal.fulfilment,
        delivery_distance_km=deal.delivery_distance_km
        if deal.fulfilment == Order.Fulfilment.DELIVERY
        else 0,
        tradein_offer=tradein_offer,
        tradein_payoff=to_cents(tradein_payoff),
        tax_rate=vehicle.selling_location.sales_tax_rate,
    )
    if deal.fulfilment == Order.Fulfilment.DELIVERY and delivery_address:
        order.delivery_street, order.delivery_postal_code, order.delivery_city = delivery_address
    if deal.tradein:
        _apply_tradein(order, deal.tradein, customer.pk)
    order.full_clean()
    order.save()
    order.add_ons.set(AddOn.objects.filter(pk__in=deal.add_on_ids, is_active=True))
    version_create(order=order, reason=reason, by=by, accepted=True)
    return order


def _invalidate_signature(order: Order, reason: str) -> int:
    return order.signatures.filter(invalidated_at__isnull=True).update(
        invalidated_at=timezone.now(), invalidated_reason=reason[:300]
    )


DELIVERY_FIELDS = (
    "fulfilment",
    "delivery_street",
    "delivery_postal_code",
    "delivery_city",
    "delivery_distance_km",
)

ADJUSTABLE = ("down_payment", "term_months", "apr", "discount", "tradein_offer")


@transaction.atomic
def order_adjust(*, order: Order, by: User, reason: str, changes: dict) -> OrderVersion:
    """Staff change the deal: a new version of the breakdown the customer must accept. A
    signed contract is invalidated (and the order goes back to "contract sent"). Audited as
    one "update": the changed fields before and after, the new version and the reason."""
    from .lifecycle import _locked, _transition

    if not reason.strip():
        raise ValidationError({"reason": _("Say why the deal changes.")})
    order = _locked(order)
    if order.status in (Order.Status.DELIVERED, Order.Status.CANCELLED):
        raise ValidationError(_("A delivered or cancelled order cannot be changed."))
    unknown = set(changes) - set(ADJUSTABLE)
    if unknown:
        raise ValidationError(_("These fields cannot be adjusted: %s") % ", ".join(sorted(unknown)))
    before = {name: getattr(order, name) for name in changes}
    for name, value in changes.items():
        setattr(order, name, value)
    order.full_clean()
    order.save(update_fields=list(changes))
    version = version_create(order=order, reason=reason, by=by, accepted=False)
    audited = {
        **audit_diff(before, {name: getattr(order, name) for name in changes}),
        "version": version.number,
        "reason": reason,
    }
    if _invalidate_signature(order, _("The deal changed: %(reason)s") % {"reason": reason}):
        _transition(
            order=order,
            to_status=Order.Status.CONTRACT_SENT,
            by=by,
            note=_("Deal changed after signing: %(reason)s") % {"reason": reason},
            audit_changes=audited,
        )
    else:
        audit_record(actor=by, action=AuditEvent.Action.UPDATE, obj=order, changes=audited)
    return version


@transaction.atomic
def order_accept_version(*, order: Order, number: int) -> OrderVersion:
    """The customer accepts a changed deal (the latest version only). Audited once, with
    actor "system" and `via` "customer"."""
    from .lifecycle import _locked

    order = _locked(order)
    latest = order.versions.order_by("-number").first()
    if latest is None or latest.number != number:
        raise ValidationError(_("The deal changed again; please review the latest version."))
    if latest.accepted_at is None:
        latest.accepted_at = timezone.now()
        latest.save(update_fields=["accepted_at"])
        _agree(order, latest)
        audit_record(
            actor=None,
            action=AuditEvent.Action.UPDATE,
            obj=order,
            changes={"accepted_version": latest.number, "via": "customer"},
        )
    return latest


@transaction.atomic
def order_change_delivery(
    *,
    order: Order,
    fulfilment: str,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    distance_km: int = 0,
) -> OrderVersion:
    """The customer switches between home delivery and pickup before the contract is
    signed; the delivery fee changes, so the breakdown gets a new (accepted) version."""
    from .lifecycle import _locked

    order = _locked(order)
    before = {name: getattr(order, name) for name in DELIVERY_FIELDS}
    if order.status not in (*CUSTOMER_EDITABLE, Order.Status.CONTRACT_SENT):
        raise ValidationError(_("The delivery can no longer be changed online; call us."))
    if fulfilment == Order.Fulfilment.DELIVERY:
        if not (street.strip() and postal_code.strip() and city.strip()):
            raise ValidationError(_("Give the delivery address."))
        if distance_km > settings.ORDERS_DELIVERY_MAX_KM:
            raise ValidationError(
                _("We deliver up to %(km)s km from the showroom.")
                % {"km": settings.ORDERS_DELIVERY_MAX_KM}
            )
    else:
        street = postal_code = city = ""
        distance_km = 0
    order.fulfilment = fulfilment
    order.delivery_street, order.delivery_postal_code, order.delivery_city = (
        street.strip(),
        postal_code.strip(),
        city.strip(),
    )
    order.delivery_distance_km = distance_km
    order.full_clean()
    order.save(update_fields=list(DELIVERY_FIELDS))
    _invalidate_signature(order, _("The delivery choice changed."))
    version = version_create(order=order, reason=_("Delivery changed"), by=None, accepted=True)
    audit_record(
        actor=None,
        action=AuditEvent.Action.UPDATE,
        obj=order,
        changes={
            **audit_diff(before, {name: getattr(order, name) for name in DELIVERY_FIELDS}),
            "version": version.number,
            "via": "customer",
        },
    )
    return version


def current_version(order: Order) -> OrderVersion:
    """The latest version (newest first by Meta.ordering, so a prefetch costs no query)."""
    return order.versions.all().first()
