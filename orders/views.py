"""Customer pages (by signed link), the payment provider endpoints and the staff desk."""

import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.client_ip import client_ip
from dealership.accounts.ratelimit import rate_limited
from dealership.accounts.selectors import location_list_for_user
from inventory import visitor

from . import selectors, services
from .forms import (
    AdjustForm,
    CancelForm,
    CustomerDetailsForm,
    DealForm,
    DecisionForm,
    DeliveryChoiceForm,
    FinanceApplicationForm,
    HandOverForm,
    ScheduleForm,
    SignForm,
    StaffCancelForm,
)
from .models import Order, Payment, PaymentEvent
from .payments import SIGNATURE_HEADER, TestPaymentBackend, get_payment_backend, signature_valid
from .services.contracts import contract_version, document_sha256
from .services.deals import CUSTOMER_EDITABLE, current_version
from .services.lifecycle import CUSTOMER_CANCELLABLE
from .tokens import order_token


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _too_many(request):
    return render(request, "orders/too_many_requests.html", status=429)


# --- Deal builder -----------------------------------------------------------------------------


def _deal_preview(vehicle, form: DealForm):
    """The breakdown for whatever the form holds (defaults where it is invalid)."""
    deal = form.deal() if form.is_valid() else services.DealChoice()
    add_ons = [a for a in form.fields["add_ons"].queryset if a.pk in deal.add_on_ids]
    try:
        return services.breakdown_for(
            vehicle=vehicle,
            location=vehicle.selling_location,
            payment_type=deal.payment_type,
            add_ons=add_ons,
            down_payment=deal.down_payment,
            term_months=deal.term_months,
            fulfilment=deal.fulfilment,
            distance_km=deal.delivery_distance_km,
        )
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def start(request, vehicle_id):
    """The deal builder ("Buy online"): deal, live breakdown, customer details."""
    vehicle = selectors.vehicle_for_purchase(pk=vehicle_id)
    add_ons = selectors.add_ons_on_sale()
    if request.method == "POST":
        if rate_limited(request, scope="orders-start", limit=settings.ORDERS_FORM_RATE_LIMIT):
            return _too_many(request)
        form = DealForm(request.POST, add_ons=add_ons)
        details = CustomerDetailsForm(request.POST)
        if form.is_valid() and details.is_valid():
            try:
                order = services.order_create(
                    vehicle=vehicle,
                    deal=form.deal(),
                    language=get_language() or "",
                    **details.cleaned_data,
                )
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                return redirect("orders:track", token=order_token(order))
    else:
        form = DealForm(initial={"term_months": 48}, add_ons=add_ons)
        details = CustomerDetailsForm()
    return render(
        request,
        "orders/start.html",
        {
            "vehicle": vehicle,
            "form": form,
            "details": details,
            "deal": _deal_preview(
                vehicle, form if form.is_bound else DealForm({}, add_ons=add_ons)
            ),
        },
    )


@require_GET
def breakdown(request, vehicle_id):
    """htmx: the live breakdown for the deal builder's current choices."""
    vehicle = selectors.vehicle_for_purchase(pk=vehicle_id)
    form = DealForm(request.GET, add_ons=selectors.add_ons_on_sale())
    return render(request, "orders/partials/breakdown.html", {"deal": _deal_preview(vehicle, form)})


# --- Tracking page (signed link) --------------------------------------------------------------


def _track_context(order: Order, **extra) -> dict:
    version = current_version(order)
    payments = list(order.payments.all())
    deposit = next((p for p in reversed(payments) if p.kind == Payment.Kind.DEPOSIT), None)
    backend = get_payment_backend()
    finance = getattr(order, "finance", None)
    signature = next((s for s in order.signatures.all() if s.invalidated_at is None), None)
    context = {
        "order": order,
        "token": order_token(order),
        "version": version,
        "deal": version.deal if version else None,
        "transitions": list(order.transitions.all()),
        "payments": payments,
        "deposit": deposit,
        "bank_instructions": backend.start(payment=deposit, order=order).instructions
        if deposit and backend.staff_confirms and deposit.status == Payment.Status.PENDING
        else "",
        "finance": finance,
        "signature": signature,
        "needs_finance": order.is_financed
        and finance is None
        and order.status
        in (
            "draft",
            "submitted",
            "deposit_paid",
        ),
        "can_cancel": order.status in CUSTOMER_CANCELLABLE,
        "can_change_delivery": order.status in (*CUSTOMER_EDITABLE, "contract_sent"),
        "finance_form": FinanceApplicationForm(),
        "cancel_form": CancelForm(),
        "delivery_form": DeliveryChoiceForm(
            initial={
                "fulfilment": order.fulfilment,
                "street": order.delivery_street,
                "postal_code": order.delivery_postal_code,
                "city": order.delivery_city,
                "distance_km": order.delivery_distance_km,
            }
        ),
        "refund_policy": _(
            "Cancel before you sign the contract and the deposit comes back in "
            "full. After signing, the dealership keeps a cancellation fee of "
            "%(fee)s from it."
        )
        % {"fee": settings.ORDERS_CANCELLATION_FEE},
    }
    context.update(extra)
    return context


@require_GET
def track(request, token):
    order = selectors.order_for_customer(token=token)
    return render(request, "orders/track.html", _track_context(order))


def _customer_post(request, token):
    if rate_limited(request, scope="orders-customer", limit=settings.ORDERS_FORM_RATE_LIMIT * 3):
        return None, _too_many(request)
    return selectors.order_for_customer(token=token), None


def _back(order):
    return redirect("orders:track", token=order_token(order))


def _invalid(request, order, status=400, **forms):
    return render(request, "orders/track.html", _track_context(order, **forms), status=status)


def _refused(request, order, exc: ValidationError, **forms):
    """A service said no: the reasons as messages on the order page, a 400, nothing saved."""
    for message in _errors(exc):
        messages.error(request, message)
    return _invalid(request, order, **forms)


@require_POST
def finance_apply(request, token):
    order, refused = _customer_post(request, token)
    if refused:
        return refused
    form = FinanceApplicationForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order, finance_form=form)
    try:
        services.finance_application_submit(
            order=order,
            consent_wording=str(form.fields["consent"].label),
            **form.cleaned_data,
        )
    except ValidationError as exc:
        return _refused(request, order, exc, finance_form=form)
    messages.success(request, _("Thank you: your finance application is with us."))
    return _back(order)


@require_POST
def reserve(request, token):
    """Reserve the car and pay the deposit."""
    order, refused = _customer_post(request, token)
    if refused:
        return refused
    if order.is_financed and not hasattr(order, "finance"):
        messages.error(request, _("Fill in the finance application first."))
        return _back(order)
    try:
        order, payment = services.order_reserve(order=order)
    except services.VehicleUnavailable as exc:
        return render(
            request,
            "orders/just_reserved.html",
            {
                "vehicle": order.vehicle,
                "similar": exc.similar,
                "message": exc.messages[0],
                "compare_ids": visitor.visitor_ids(request, visitor.COMPARE),
                "favourite_ids": visitor.visitor_ids(request, visitor.FAVOURITES),
            },
            status=409,
        )
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return _back(order)
    if payment.status == Payment.Status.FAILED:
        payment = services.payment_retry(order=order)
    start = get_payment_backend().start(payment=payment, order=order)
    if start.redirect_url and payment.status == Payment.Status.PENDING:
        return redirect(start.redirect_url)
    return _back(order)


@require_POST
def accept_version(request, token):
    order, refused = _customer_post(request, token)
    if refused:
        return refused
    try:
        number = int(request.POST.get("version", ""))
        services.order_accept_version(order=order, number=number)
    except (ValueError, ValidationError) as exc:
        messages.error(
            request,
            _errors(exc)[0]
            if isinstance(exc, ValidationError)
            else _("Choose the version to accept."),
        )
        return _back(order)
    messages.success(request, _("You accepted the new deal."))
    return _back(order)


@require_POST
def change_delivery(request, token):
    order, refused = _customer_post(request, token)
    if refused:
        return refused
    form = DeliveryChoiceForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order, delivery_form=form)
    data = form.cleaned_data
    try:
        services.order_change_delivery(
            order=order,
            fulfilment=data["fulfilment"],
            street=data["street"],
            postal_code=data["postal_code"],
            city=data["city"],
            distance_km=data["distance_km"] or 0,
        )
    except ValidationError as exc:
        return _refused(request, order, exc, delivery_form=form)
    messages.success(request, _("Your delivery choice is saved."))
    return _back(order)


@require_POST
def cancel(request, token):
    order, refused = _customer_post(request, token)
    if refused:
        return refused
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order, cancel_form=form)
    try:
        services.order_cancel(
            order=order, by=None, reason=form.cleaned_data["reason"], by_customer=True
        )
    except ValidationError as exc:
        return _refused(request, order, exc, cancel_form=form)
    messages.success(request, _("Your order is cancelled."))
    return _back(order)


def _contract(order: Order):
    try:
        version = contract_version(order)
    except ValidationError:
        return None, None
    document = services.contract_document(order=order, version=version)
    return version, document


@require_http_methods(["GET", "POST"])
def contract(request, token):
    order = selectors.order_for_customer(token=token)
    if order.status in (
        "draft",
        "submitted",
        "deposit_paid",
        "finance_pending",
        "finance_approved",
        "cancelled",
    ):
        raise Http404(_("The contract is not ready yet."))
    version, document = _contract(order)
    if document is None:
        raise Http404(_("The contract is not ready yet."))
    digest = document_sha256(document)
    signature = next((s for s in order.signatures.all() if s.invalidated_at is None), None)
    form = SignForm(initial={"document_hash": digest})
    status = 200
    if request.method == "POST":
        if rate_limited(request, scope="orders-sign", limit=settings.ORDERS_FORM_RATE_LIMIT):
            return _too_many(request)
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                services.contract_sign(
                    order=order,
                    full_name=form.cleaned_data["full_name"],
                    consent=form.cleaned_data["consent"],
                    ip_address=client_ip(request),
                    document_hash=form.cleaned_data["document_hash"],
                )
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, _("Thank you: the contract is signed."))
                return _back(order)
        status = 400
    return render(
        request,
        "orders/contract.html",
        {
            "order": order,
            "token": token,
            "document": document,
            "deal": version.deal,
            "digest": digest,
            "signature": signature,
            "form": form,
        },
        status=status,
    )


@require_GET
def contract_pdf(request, token):
    order = selectors.order_for_customer(token=token)
    version, document = _contract(order)
    if document is None or order.status in (
        "draft",
        "submitted",
        "deposit_paid",
        "finance_pending",
        "finance_approved",
    ):
        raise Http404
    signature = next(
        (
            s
            for s in order.signatures.all()
            if s.invalidated_at is None and s.version_id == version.pk
        ),
        None,
    )
    disposition = f'inline; filename="contract-{order.reference}.pdf"'
    stored = (
        services.contract_pdf_stored(signature=signature, order=order, version=version)
        if signature is not None
        else None
    )
    if stored:
        return _stored_pdf(stored, disposition)
    # Not signed yet (or signed before contracts were stored and changed since): drawn now
    # from the document on the page, and stored nowhere.
    pdf = services.contract_pdf(document=document, signature=signature)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_pdf(file, disposition: str) -> HttpResponse:
    """A stored contract from the media storage: on S3 a redirect to a signed URL that
    expires after CONTRACT_URL_EXPIRE_SECONDS (the bucket is private), else the bytes."""
    storage = file.storage
    if getattr(storage, "querystring_auth", False):
        url = storage.url(
            file.name,
            expire=settings.CONTRACT_URL_EXPIRE_SECONDS,
            parameters={
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": disposition,
            },
        )
        response = redirect(url)
    else:
        with file.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response


# --- Payment provider ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def test_checkout(request, reference):
    """The simulated provider's checkout page (test provider only)."""
    if not isinstance(get_payment_backend(), TestPaymentBackend):
        raise Http404
    payment = (
        Payment.objects.select_related("order")
        .filter(provider="test", provider_reference=reference, kind=Payment.Kind.DEPOSIT)
        .first()
    )
    if payment is None:
        raise Http404
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in ("succeeded", "failed", "delayed"):
            return HttpResponseBadRequest(_("Choose an outcome."))
        if outcome != "delayed":
            body, _signature = TestPaymentBackend.webhook(
                reference=reference, outcome=outcome, amount=payment.amount
            )
            data = json.loads(body)
            services.payment_webhook_handle(
                provider="test",
                event_id=data["id"],
                kind=data["type"],
                reference=reference,
                amount=payment.amount,
                payload=data,
            )
        else:
            messages.info(
                request,
                _(
                    "Your bank is confirming the payment; we update this page "
                    "as soon as it arrives."
                ),
            )
        return _back(payment.order)
    return render(request, "orders/test_checkout.html", {"payment": payment})


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


@csrf_exempt  # called by the payment provider, authenticated by the HMAC signature
@require_POST
def payment_webhook(request, provider):
    backend = get_payment_backend()
    if backend.name != provider or backend.staff_confirms:
        raise Http404
    if not signature_valid(request.body, request.headers.get(SIGNATURE_HEADER, "")):
        return JsonResponse({"error": "bad signature"}, status=403)
    try:
        data = json.loads(request.body)
        event_id, kind, reference = str(data["id"]), str(data["type"]), str(data["payment"])
        amount = Decimal(str(data["amount"]))
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return JsonResponse({"error": "malformed event"}, status=400)
    # Whatever the columns cannot hold is refused here, not by the database with a 500: the
    # event id, type and payment reference within their lengths, a finite amount, and no NUL
    # character anywhere (PostgreSQL stores none, in text or in jsonb).
    if (
        not event_id
        or len(event_id) > PaymentEvent._meta.get_field("event_id").max_length
        or len(kind) > PaymentEvent._meta.get_field("kind").max_length
        or len(reference) > Payment._meta.get_field("provider_reference").max_length
        or not amount.is_finite()
        or _holds_nul(data)
    ):
        return JsonResponse({"error": "malformed event"}, status=400)
    outcome = services.payment_webhook_handle(
        provider=provider,
        event_id=event_id,
        kind=kind,
        reference=reference,
        amount=amount,
        payload=data,
    )
    return JsonResponse({"outcome": outcome})


# --- Staff desk ---------------------------------------------------------------------------------


@staff_required
@require_GET
def desk(request):
    status = request.GET.get("status", "")
    if status not in Order.Status.values:
        status = ""
    try:
        location_id = int(request.GET.get("location") or 0) or None
    except ValueError:
        location_id = None
    filters = selectors.DeskFilters(
        status=status,
        location_id=location_id,
        q=request.GET.get("q", "")[:100],
        overdue=request.GET.get("overdue") == "1",
    )
    return render(
        request,
        "orders/desk.html",
        {
            "orders": selectors.order_desk(user=request.user, filters=filters),
            "filters": filters,
            "statuses": [c for c in Order.Status.choices if c[0] != "draft"],
            "locations": list(location_list_for_user(user=request.user)),
        },
    )


def _detail_context(request, order, **forms):
    slots = selectors.delivery_slots_open(location_id=order.location_id)
    finance = getattr(order, "finance", None)
    if finance is not None:
        # The page shows the application: every staff view of it is logged.
        services.finance_application_view_log(application=finance, actor=request.user)
    # Every order gets version 1 when it is created (orders.services.order_create); should
    # one have none all the same (data from outside the services), say so instead of failing.
    version = current_version(order)
    return {
        "order": order,
        "version": version,
        "versions": list(order.versions.all()),
        "deal": version.deal if version else None,
        "transitions": list(order.transitions.all()),
        "payments": list(order.payments.all()),
        "signature": next((s for s in order.signatures.all() if s.invalidated_at is None), None),
        "finance": finance,
        "allowed": services.TRANSITIONS[order.status],
        "staff_confirms": get_payment_backend().staff_confirms,
        "customer_link": reverse("orders:track", kwargs={"token": order_token(order)}),
        "adjust_form": forms.get("adjust_form") or AdjustForm.for_order(order),
        "decision_form": forms.get("decision_form") or DecisionForm(prefix="decision"),
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(
            prefix="schedule",
            slots=slots,
            drivers=selectors.drivers_for(order=order),
            location=order.location,
        ),
        "handover_form": forms.get("handover_form")
        or HandOverForm(prefix="handover", initial={"odometer_km": order.vehicle.mileage}),
        "cancel_form": forms.get("cancel_form") or StaffCancelForm(prefix="cancel"),
    }


@staff_required
@require_GET
def order_detail(request, pk):
    order = selectors.order_detail_for_staff(user=request.user, pk=pk)
    return render(request, "orders/order_detail.html", _detail_context(request, order))


def _run(request, order, action, success: str, form_name: str = "", form=None):
    try:
        action()
    except ValidationError as exc:
        if form is not None:
            for message in _errors(exc):
                form.add_error(None, message)
            return render(
                request,
                "orders/order_detail.html",
                _detail_context(request, order, **{form_name: form}),
                status=400,
            )
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("orders:detail", pk=order.pk)
    messages.success(request, success)
    return redirect("orders:detail", pk=order.pk)


def _form_invalid(request, order, form_name, form):
    return render(
        request,
        "orders/order_detail.html",
        _detail_context(request, order, **{form_name: form}),
        status=400,
    )


@staff_required
@require_POST
def order_action(request, pk, action):
    order = selectors.order_detail_for_staff(user=request.user, pk=pk)
    user = request.user
    if action == "adjust":
        form = AdjustForm.for_order(order, request.POST)
        if not form.is_valid():
            return _form_invalid(request, order, "adjust_form", form)
        return _run(
            request,
            order,
            lambda: services.order_adjust(
                order=order,
                by=user,
                reason=form.cleaned_data["reason"],
                changes=form.changes(order),
            ),
            _("The deal is updated; the customer is asked to accept it."),
            "adjust_form",
            form,
        )
    if action == "decision":
        form = DecisionForm(request.POST, prefix="decision")
        if not form.is_valid():
            return _form_invalid(request, order, "decision_form", form)
        finance = getattr(order, "finance", None)
        if finance is None:
            messages.error(request, _("There is no finance application on this order."))
            return redirect("orders:detail", pk=order.pk)
        return _run(
            request,
            order,
            lambda: services.finance_decision_record(
                application=finance, by=user, decision=form.decision()
            ),
            _("The lender's decision is recorded."),
            "decision_form",
            form,
        )
    if action == "schedule":
        form = ScheduleForm(
            request.POST,
            prefix="schedule",
            slots=selectors.delivery_slots_open(location_id=order.location_id),
            drivers=selectors.drivers_for(order=order),
            location=order.location,
        )
        if not form.is_valid():
            return _form_invalid(request, order, "schedule_form", form)
        return _run(
            request,
            order,
            lambda: services.order_schedule_delivery(order=order, by=user, **form.cleaned_data),
            _("The handover is scheduled."),
            "schedule_form",
            form,
        )
    if action == "hand-over":
        form = HandOverForm(request.POST, prefix="handover")
        if not form.is_valid():
            return _form_invalid(request, order, "handover_form", form)
        return _run(
            request,
            order,
            lambda: services.order_hand_over(
                order=order, by=user, odometer_km=form.cleaned_data["odometer_km"]
            ),
            _("Handed over. Congratulations!"),
            "handover_form",
            form,
        )
    if action == "cancel":
        form = StaffCancelForm(request.POST, prefix="cancel")
        if not form.is_valid():
            return _form_invalid(request, order, "cancel_form", form)
        return _run(
            request,
            order,
            lambda: services.order_cancel(order=order, by=user, reason=form.cleaned_data["reason"]),
            _("The order is cancelled."),
            "cancel_form",
            form,
        )
    simple = {
        "confirm-payment": (
            lambda: services.payment_confirm_offline(order=order, by=user),
            _("The deposit is confirmed."),
        ),
        "send-contract": (
            lambda: services.contract_send(order=order, by=user),
            _("The contract is sent to the customer."),
        ),
        "out-for-delivery": (
            lambda: services.order_out_for_delivery(order=order, by=user),
            _("The car is out for delivery."),
        ),
    }
    if action not in simple:
        raise Http404
    run, success = simple[action]
    return _run(request, order, run, success)
