"""Desking (staff): a quote for a walk-in or a lead, compared side by side, printed or
emailed, and turned into the checkout's draft order."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.roles import Role
from dealership.accounts.selectors import location_list_for_user
from dealership.messaging.models import OutboxMessage
from leads.forms import CustomerVehicleSearchForm
from leads.selectors import customer_list_for_user, customer_search_for_user, lead_list_for_user

from . import selectors, services
from .forms_quotes import AcceptOptionForm, QuoteForm
from .models import Quote

# Who desks deals: the sales floor (service advisors do not).
DESKING_ROLES = (Role.CONSULTANT, Role.SALES_MANAGER, Role.ADMINISTRATOR)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _add_error(form, error: ValidationError) -> None:
    """A service's error on the form: on its field when the form has one, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _quote_forms(request):
    """The search (GET) and the quote form. Lists the customers found, the chosen location's
    cars matching the search; accepts any customer, lead and car the user may see."""
    locations = location_list_for_user(user=request.user)
    search = CustomerVehicleSearchForm(request.GET, locations=locations)
    query = search.cleaned_data if search.is_valid() else {}
    vehicles = selectors.vehicles_for_desking(locations=locations)
    leads = lead_list_for_user(user=request.user)
    customers = customer_list_for_user(user=request.user)
    source = request.POST if request.method == "POST" else request.GET
    lead = (
        leads.select_related("customer", "vehicle").filter(pk=_int(source.get("lead"))).first()
        if source.get("lead")
        else None
    )
    chosen_customer = (
        lead.customer
        if lead is not None
        else customers.filter(pk=_int(source.get("customer"))).first()
        if source.get("customer")
        else None
    )
    chosen_vehicle = None
    if source.get("vehicle"):
        chosen_vehicle = vehicles.filter(pk=_int(source.get("vehicle"))).first()
    elif lead is not None and lead.vehicle_id:
        chosen_vehicle = vehicles.filter(pk=lead.vehicle_id).first()
    location = query.get("location") or (
        chosen_vehicle.location
        if chosen_vehicle
        else lead.location
        if lead is not None
        else locations.first()
    )
    shown_customers = customer_search_for_user(user=request.user, q=query.get("customer_q", ""))
    if chosen_customer is not None and chosen_customer not in shown_customers:
        shown_customers.insert(0, chosen_customer)
    shown_vehicles = []
    if location is not None:
        shown_vehicles = list(
            selectors.vehicle_search(
                selectors.vehicles_for_desking(locations=[location.pk]), query.get("vehicle_q", "")
            )
        )
    if chosen_vehicle is not None and chosen_vehicle not in shown_vehicles:
        shown_vehicles.insert(0, chosen_vehicle)
    form = QuoteForm(
        request.POST or None,
        customers=customers,
        vehicles=vehicles,
        leads=leads,
        add_ons=selectors.add_ons_on_sale(),
        shown_customers=shown_customers,
        shown_vehicles=shown_vehicles,
        initial={
            "lead": lead.pk if lead else None,
            "customer": chosen_customer.pk if chosen_customer else None,
            "vehicle": chosen_vehicle.pk if chosen_vehicle else None,
        },
    )
    return search, form, location, lead


@staff_required(roles=DESKING_ROLES)
@require_GET
def quote_list(request):
    return render(
        request,
        "orders/quote_list.html",
        {"quotes": selectors.quote_recent_for_staff(user=request.user)},
    )


@staff_required(roles=DESKING_ROLES)
@require_http_methods(["GET", "POST"])
def quote_new(request):
    search, form, location, lead = _quote_forms(request)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                quote = services.quote_create(
                    vehicle=data["vehicle"],
                    by=request.user,
                    options=form.options(),
                    customer=data["customer"],
                    lead=data["lead"],
                    contact=form.contact(),
                    tradein=form.tradein(),
                    add_ons=list(data["add_ons"]),
                )
            except ValidationError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("Quote %(ref)s desked.") % {"ref": quote.reference})
                return redirect("orders:quote", pk=quote.pk)
    return render(
        request,
        "orders/quote_new.html",
        {
            "search": search,
            "form": form,
            "location": location,
            "lead": lead,
            "searched": bool(request.GET.get("customer_q", "").strip()),
        },
        status=status,
    )


def _detail(request, quote, *, accept_form=None, status=200):
    options = list(quote.options.all())
    return render(
        request,
        "orders/quote_detail.html",
        {
            "quote": quote,
            "options": options,
            "deals": [(option, option.deal) for option in options],
            "add_ons": list(quote.add_ons.all()),
            "accept_form": accept_form,
            "open": quote.status in (Quote.Status.DRAFT, Quote.Status.SENT)
            and quote.valid_until > timezone.now(),
        },
        status=status,
    )


@staff_required(roles=DESKING_ROLES)
@require_GET
def quote_detail(request, pk):
    quote = selectors.quote_detail_for_staff(user=request.user, pk=pk)
    return _detail(request, quote)


@staff_required(roles=DESKING_ROLES)
@require_GET
def quote_print(request, pk):
    quote = selectors.quote_detail_for_staff(user=request.user, pk=pk)
    options = list(quote.options.all())
    return render(
        request,
        "orders/quote_print.html",
        {
            "quote": quote,
            "options": options,
            "deals": [(option, option.deal) for option in options],
            "add_ons": list(quote.add_ons.all()),
        },
    )


@staff_required(roles=DESKING_ROLES)
@require_POST
def quote_send(request, pk):
    quote = selectors.quote_detail_for_staff(user=request.user, pk=pk)
    try:
        message = services.quote_send(quote=quote, by=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return _detail(request, quote, status=400)
    if message.status == OutboxMessage.Status.SUPPRESSED:
        messages.warning(
            request,
            _("Not sent: %(reason)s Print the quote instead.") % {"reason": message.last_error},
        )
    else:
        messages.success(
            request,
            _("The quote is emailed to %(to)s.") % {"to": message.to},
        )
    return redirect("orders:quote", pk=quote.pk)


@staff_required(roles=DESKING_ROLES)
@require_POST
def quote_accept(request, pk):
    quote = selectors.quote_detail_for_staff(user=request.user, pk=pk)
    form = AcceptOptionForm(request.POST, quote=quote)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return _detail(request, quote, accept_form=form, status=400)
    try:
        order = services.quote_accept(
            quote=quote, option=form.cleaned_data["option"], by=request.user
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return _detail(request, quote, status=400)
    messages.success(
        request,
        _("Option %(n)s accepted: draft order %(ref)s.")
        % {"n": form.cleaned_data["option"].position, "ref": order.reference},
    )
    return redirect("orders:detail", pk=order.pk)
