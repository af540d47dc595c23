"""Staff pages for moving cars between locations (managers): list, request, detail + actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_for_user

from . import transfers as svc
from .models import VehicleTransfer
from .transfer_forms import (
    TransferDispatchForm,
    TransferNoteForm,
    TransferRequestForm,
    TransferSearchForm,
)

TS = VehicleTransfer.Status


def _transfer_or_404(request, pk) -> VehicleTransfer:
    try:
        return svc.transfer_for_user(user=request.user, pk=pk)
    except VehicleTransfer.DoesNotExist:
        raise Http404 from None


def _request_form(request, data=None, initial=None, search=""):
    return TransferRequestForm(
        data,
        initial=initial,
        vehicles=svc.transfer_vehicle_choices(user=request.user, search=search),
        locations=location_list_for_user(user=request.user).order_by("name"),
    )


@staff_required(roles=MANAGER_ROLES)
def transfer_list(request):
    """Transfers from and to the manager's locations: open ones first, then the latest."""
    transfers = list(svc.transfer_list_for_user(user=request.user)[:200])
    open_ = [t for t in transfers if t.is_open]
    done = [t for t in transfers if not t.is_open]
    return render(
        request, "inventory/transfers/list.html", {"open_transfers": open_, "done_transfers": done}
    )


@staff_required(roles=MANAGER_ROLES)
def transfer_new(request):
    """A manager asks for a car of another location for one of theirs."""
    if request.method == "POST":
        form = _request_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer = svc.transfer_request(
                    vehicle=data["vehicle"],
                    to_location=data["to_location"],
                    by=request.user,
                    reason=data["reason"],
                    for_customer_id=data["for_customer_id"],
                    for_lead_id=data["for_lead_id"],
                    for_note=data["for_note"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            except PermissionDenied as error:
                form.add_error("to_location", str(error))
            else:
                messages.success(
                    request,
                    _("Transfer requested: a manager of %(location)s will decide.")
                    % {"location": transfer.from_location},
                )
                return redirect(transfer)
        status = 400
        search_form = TransferSearchForm()
    else:
        initial = {}
        vehicle_id = request.GET.get("vehicle", "").strip()
        if vehicle_id.isdigit():
            initial["vehicle"] = int(vehicle_id)
        search_form = TransferSearchForm(request.GET)
        # Too long a search is a 400 with the form's message, never a 500.
        status = 200 if search_form.is_valid() else 400
        search = search_form.cleaned_data.get("q", "") if status == 200 else ""
        form = _request_form(request, initial=initial, search=search)
    return render(
        request,
        "inventory/transfers/new.html",
        {"form": form, "search_form": search_form},
        status=status,
    )


def _detail(request, transfer, status=200, **forms):
    mine = svc.managed_location_ids(request.user)
    at_from = transfer.from_location_id in mine
    at_to = transfer.to_location_id in mine
    context = {
        "transfer": transfer,
        "events": transfer.events.select_related("by"),
        "may_decide": at_from and transfer.status == TS.REQUESTED,
        "may_dispatch": at_from and transfer.status == TS.APPROVED,
        "may_arrive": at_to and transfer.status == TS.IN_TRANSIT,
        "may_cancel": at_to and transfer.status in (TS.REQUESTED, TS.APPROVED),
        "approve_form": forms.get("approve_form") or TransferNoteForm(prefix_id="approve"),
        "reject_form": forms.get("reject_form")
        or TransferNoteForm(prefix_id="reject", required=True, label=_("Reason for rejecting")),
        "dispatch_form": forms.get("dispatch_form") or TransferDispatchForm(auto_id="dispatch-%s"),
        "error": forms.get("error", ""),
    }
    return render(request, "inventory/transfers/detail.html", context, status=status)


@staff_required(roles=MANAGER_ROLES)
def transfer_detail(request, pk):
    return _detail(request, _transfer_or_404(request, pk))


def _act(request, pk, action, success, form=None, form_name=""):
    transfer = _transfer_or_404(request, pk)
    if form is not None and not form.is_valid():
        return _detail(request, transfer, status=400, **{form_name: form})
    try:
        action(transfer, form.cleaned_data if form is not None else {})
    except PermissionDenied as error:
        return _detail(request, transfer, status=403, error=str(error))
    except ValidationError as error:
        return _detail(request, transfer, status=409, error=" ".join(error.messages))
    messages.success(request, success)
    return redirect(transfer)


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_approve(request, pk):
    return _act(
        request,
        pk,
        lambda t, d: svc.transfer_approve(transfer=t, by=request.user, note=d["note"]),
        _("Transfer approved: dispatch the car when it leaves."),
        TransferNoteForm(request.POST, prefix_id="approve"),
        "approve_form",
    )


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_reject(request, pk):
    return _act(
        request,
        pk,
        lambda t, d: svc.transfer_reject(transfer=t, by=request.user, note=d["note"]),
        _("Transfer rejected: the car stays."),
        TransferNoteForm(request.POST, prefix_id="reject", required=True),
        "reject_form",
    )


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_dispatch(request, pk):
    return _act(
        request,
        pk,
        lambda t, d: svc.transfer_dispatch(transfer=t, by=request.user, eta=d["eta"]),
        _("The car is on its way."),
        TransferDispatchForm(request.POST, auto_id="dispatch-%s"),
        "dispatch_form",
    )


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_arrive(request, pk):
    return _act(
        request,
        pk,
        lambda t, d: svc.transfer_arrive(transfer=t, by=request.user),
        _("Arrival confirmed: the car is now at this location."),
    )


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_cancel(request, pk):
    return _act(
        request,
        pk,
        lambda t, d: svc.transfer_cancel(transfer=t, by=request.user),
        _("Transfer cancelled."),
    )
