"""Desking: a consultant's quote for a walk-in or a lead, with several ways to pay side by
side, emailed to the customer, and turned into the checkout's draft order when one is chosen.

Every figure comes from `breakdown_for` (the pricing function the checkout, the order, the
contract and the emails use): a quote option stores its result as a snapshot, and accepting
it builds the order through `draft_order_create` and checks the order's version 1 is that
snapshot to the cent.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.phones import phone_local
from dealership.accounts.services import audit_record
from dealership.accounts.templatetags.zones import local_date
from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue
from inventory.models import Vehicle
from inventory.pricing import DealBreakdown
from leads.models import Customer, Lead
from leads.services import (
    customer_get_or_create_from_contact,
    lead_assign,
    lead_create,
    lead_transition,
)

from ..models import AddOn, Order, Quote, QuoteOption
from .deals import DealChoice, breakdown_for, draft_order_create

QUOTE_VALID_DAYS = 7
MAX_OPTIONS = 4
# Lead statuses a desked deal moves on to "negotiation".
BEFORE_NEGOTIATION = (
    Lead.Status.NEW,
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
    Lead.Status.APPOINTMENT,
)


@dataclass(frozen=True)
class PaymentOption:
    """One way to pay, as the consultant enters it."""

    payment_type: str = Order.PaymentType.CASH
    term_months: int = 0
    apr: Decimal = Decimal(0)
    down_payment: Decimal = Decimal(0)


@dataclass(frozen=True)
class TradeIn:
    year: int | None = None
    make: str = ""
    model: str = ""
    mileage_km: int | None = None
    vin: str = ""
    value: Decimal = Decimal(0)
    payoff: Decimal = Decimal(0)


@dataclass(frozen=True)
class Contact:
    """A walk-in nobody found: who they are."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


def option_breakdown(
    *,
    vehicle: Vehicle,
    option: PaymentOption,
    add_ons: list[AddOn],
    tradein: TradeIn,
) -> DealBreakdown:
    """The figures of one option: exactly what the order would compute (`order_breakdown`)."""
    financed = option.payment_type != Order.PaymentType.CASH
    return breakdown_for(
        vehicle=vehicle,
        location=vehicle.location,
        payment_type=option.payment_type,
        add_ons=add_ons,
        down_payment=option.down_payment if financed else Decimal(0),
        term_months=option.term_months if financed else 0,
        apr=option.apr if financed else Decimal(0),
        trade_in=tradein.value,
        trade_in_payoff=tradein.payoff,
    )


def _customer_and_lead(
    *,
    customer: Customer | None,
    lead: Lead | None,
    contact: Contact,
    vehicle: Vehicle,
    by: User,
) -> tuple[Customer, Lead]:
    if lead is not None:
        if customer is not None and customer.pk != lead.customer_id:
            raise ValidationError(_("This lead belongs to another customer."))
        customer = lead.customer
    if customer is None:
        customer, _created = customer_get_or_create_from_contact(
            location=vehicle.location,
            source=Customer.Source.WALK_IN,
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            phone=contact.phone,
            actor=by,
        )
    elif customer.merged_into_id is not None:
        raise ValidationError(_("This customer was merged into another. Search again."))
    if lead is None:
        lead = lead_create(
            customer=customer,
            source=Lead.Source.WALK_IN,
            type=Lead.Type.VEHICLE_ENQUIRY,
            location=vehicle.location,
            vehicle=vehicle,
            assign=False,
            price=vehicle.price,
        )
    if lead.assigned_to_id is None and by.locations.filter(pk=lead.location_id).exists():
        lead_assign(lead=lead, to_user=by, by=by)
    if lead.status in BEFORE_NEGOTIATION:
        lead = lead_transition(lead=lead, to_status=Lead.Status.NEGOTIATION, by=by)
    return customer, lead


@transaction.atomic
def quote_create(
    *,
    vehicle: Vehicle,
    by: User,
    options: list[PaymentOption],
    customer: Customer | None = None,
    lead: Lead | None = None,
    contact: Contact = Contact(),
    tradein: TradeIn = TradeIn(),
    add_ons: list[AddOn] = (),
    now: datetime.datetime | None = None,
) -> Quote:
    """A draft quote with its options' figures. For the lead given, else the customer given,
    else a walk-in: the customer the contact details match (created only when nobody does,
    audited as entered by `by`) with a new walk-in lead. The lead is handed to `by` when it
    has nobody and moves to "negotiation". Raises ValidationError with nothing saved."""
    now = now or timezone.now()
    if vehicle.status not in (Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED):
        raise ValidationError({"vehicle": _("This car is no longer for sale.")})
    if not options:
        raise ValidationError(_("Give at least one way to pay."))
    if len(options) > MAX_OPTIONS:
        raise ValidationError(_("A quote compares at most %(n)s options.") % {"n": MAX_OPTIONS})
    if tradein.payoff and not tradein.value:
        raise ValidationError({"tradein_value": _("Give the trade-in's appraised value.")})
    if (tradein.value or tradein.payoff) and not (tradein.make and tradein.model):
        raise ValidationError({"tradein_make": _("Give the trade-in's make and model.")})
    add_ons = list(add_ons)
    if any(not a.is_active for a in add_ons):
        raise ValidationError({"add_ons": _("An add-on chosen is no longer on sale.")})
    rows = []
    for position, option in enumerate(options, start=1):
        if option.payment_type != Order.PaymentType.CASH and option.term_months <= 0:
            raise ValidationError(
                _("Option %(n)s: choose a term for finance or lease.") % {"n": position}
            )
        try:
            deal = option_breakdown(
                vehicle=vehicle, option=option, add_ons=add_ons, tradein=tradein
            )
        except ValueError as exc:
            raise ValidationError(
                _("Option %(n)s does not add up: %(error)s") % {"n": position, "error": exc}
            ) from exc
        rows.append((position, option, deal))
    customer, lead = _customer_and_lead(
        customer=customer, lead=lead, contact=contact, vehicle=vehicle, by=by
    )
    quote = Quote(
        customer=customer,
        lead=lead,
        vehicle=vehicle,
        consultant=by,
        location=vehicle.location,
        valid_until=now + datetime.timedelta(days=QUOTE_VALID_DAYS),
        tradein_year=tradein.year,
        tradein_make=tradein.make,
        tradein_model=tradein.model,
        tradein_mileage_km=tradein.mileage_km,
        tradein_vin=tradein.vin,
        tradein_value=tradein.value,
        tradein_payoff=tradein.payoff,
    )
    quote.full_clean()
    quote.save()
    quote.add_ons.set(add_ons)
    for position, _option, deal in rows:
        row = QuoteOption(
            quote=quote,
            position=position,
            payment_type=deal.payment_type,
            term_months=deal.term_months,
            apr=deal.apr,
            down_payment=deal.down_payment,
            total=deal.total,
            financed=deal.financed,
            monthly_payment=deal.monthly_payment,
            total_paid=deal.total_paid,
            breakdown=deal.as_dict(),
        )
        row.full_clean(exclude=["quote"])
        row.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        obj=quote,
        changes={"vehicle": vehicle.pk, "customer": customer.pk, "options": len(rows)},
    )
    return quote


def _locked(quote: Quote) -> Quote:
    return (
        Quote.objects.select_for_update(of=("self",))
        .select_related("customer", "vehicle", "location", "consultant")
        .get(pk=quote.pk)
    )


def _expired(quote: Quote, now: datetime.datetime) -> bool:
    return quote.status == Quote.Status.EXPIRED or (
        quote.status in (Quote.Status.DRAFT, Quote.Status.SENT) and quote.valid_until <= now
    )


def quote_context(quote: Quote) -> dict:
    """What the quote email shows (JSON-safe: the outbox stores it)."""
    customer = quote.customer
    location = quote.location
    return {
        "first_name": customer.first_name,
        "reference": quote.reference,
        "vehicle": quote.vehicle.title,
        "stock_number": quote.vehicle.stock_number,
        "valid_until": local_date(quote.valid_until, location, customer.language),
        "tradein": quote.tradein_description,
        "tradein_value": str(quote.tradein_value),
        "tradein_payoff": str(quote.tradein_payoff),
        "add_ons": [a.name for a in quote.add_ons.all()],
        "options": [
            {
                "position": o.position,
                "payment_type": o.payment_type,
                "label": str(o.get_payment_type_display()),
                "term_months": o.term_months,
                "apr": str(o.apr),
                "down_payment": str(o.down_payment),
                "total": str(o.total),
                "financed": str(o.financed),
                "monthly_payment": str(o.monthly_payment),
                "total_paid": str(o.total_paid),
            }
            for o in quote.options.all()
        ],
        "location": location.name,
        "location_phone": phone_local(location.phone, location),
        "consultant": quote.consultant.get_full_name() if quote.consultant else "",
    }


@transaction.atomic
def quote_send(*, quote: Quote, by: User, now: datetime.datetime | None = None) -> OutboxMessage:
    """Email the quote to the customer, who asked for it (transactional: no marketing
    consent needed, a suppressed address is still refused by the outbox). Once per quote:
    a second call returns the first message. A draft quote becomes "sent" when the message
    is queued. Refused, with nothing queued, without an email address or once expired."""
    now = now or timezone.now()
    quote = _locked(quote)
    if _expired(quote, now):
        raise ValidationError(_("This quote has expired; desk a new one."))
    if quote.status == Quote.Status.ACCEPTED:
        raise ValidationError(_("This quote is accepted already: the order is on its way."))
    customer = quote.customer
    if not customer.email:
        raise ValidationError(
            _("The customer has no email address: add one to their record, or print the quote.")
        )
    message = message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=customer.email,
        template_key="orders.quote",
        context=quote_context(quote),
        dedupe_key=f"quote:{quote.pk}:email",
        location=quote.location,
        customer_id=customer.pk,
        language=customer.language,
    )
    if message.status == OutboxMessage.Status.SUPPRESSED:
        return message
    if quote.status == Quote.Status.DRAFT:
        quote.status = Quote.Status.SENT
        quote.sent_at = now
        quote.save(update_fields=["status", "sent_at"])
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            obj=quote,
            changes={"status": [Quote.Status.DRAFT, Quote.Status.SENT], "message": message.pk},
        )
    return message


@transaction.atomic
def quote_accept(
    *, quote: Quote, option: QuoteOption, by: User, now: datetime.datetime | None = None
) -> Order:
    """The customer chooses an option: the checkout's draft order (`draft_order_create`),
    consultant and trade-in from the quote, version 1 accepted. Refused when the quote has
    expired or is accepted already, the car is no longer for sale, or today's figures are no
    longer the quoted ones (a price or an add-on changed): nothing is saved then."""
    now = now or timezone.now()
    quote = _locked(quote)
    if option.quote_id != quote.pk:
        raise ValidationError(_("That option belongs to another quote."))
    if quote.status == Quote.Status.ACCEPTED:
        raise ValidationError(_("This quote is accepted already: the order is on its way."))
    if _expired(quote, now):
        raise ValidationError(_("This quote has expired; desk a new one."))
    vehicle = Vehicle.objects.select_related("location").get(pk=quote.vehicle_id)
    if vehicle.status not in (Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED):
        raise ValidationError(_("This car is no longer for sale."))
    tradein = {}
    if quote.tradein_make:
        tradein = {
            "year": quote.tradein_year,
            "make": quote.tradein_make,
            "model": quote.tradein_model,
            "mileage_km": quote.tradein_mileage_km,
            "vin": quote.tradein_vin,
        }
    deal = DealChoice(
        payment_type=option.payment_type,
        down_payment=option.down_payment,
        term_months=option.term_months,
        add_on_ids=tuple(quote.add_ons.values_list("pk", flat=True)),
        tradein=tradein,
    )
    order = draft_order_create(
        customer=quote.customer,
        vehicle=vehicle,
        consultant=quote.consultant,
        deal=deal,
        apr=option.apr,
        reason=_("Deal desked in the showroom: quote %(reference)s, option %(n)s")
        % {"reference": quote.reference, "n": option.position},
        by=by,
        tradein_offer=quote.tradein_value if quote.has_trade_in else None,
        tradein_payoff=quote.tradein_payoff,
    )
    if order.versions.get().breakdown != option.breakdown:
        raise ValidationError(
            _("The figures changed since this quote (a price or an add-on); desk a new quote.")
        )
    previous = quote.status
    quote.status = Quote.Status.ACCEPTED
    quote.accepted_at = now
    quote.accepted_option = option
    quote.order = order
    quote.save(update_fields=["status", "accepted_at", "accepted_option", "order"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        obj=quote,
        changes={
            "status": [previous, Quote.Status.ACCEPTED],
            "option": option.position,
            "order": order.reference,
        },
    )
    return order


def quotes_expire(*, now: datetime.datetime | None = None) -> int:
    """Mark draft and sent quotes past their validity as expired. Safe to run twice."""
    now = now or timezone.now()
    return Quote.objects.filter(
        status__in=[Quote.Status.DRAFT, Quote.Status.SENT], valid_until__lte=now
    ).update(status=Quote.Status.EXPIRED)
