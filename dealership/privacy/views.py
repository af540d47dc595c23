import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dealership.accounts.access import staff_required
from dealership.accounts.models import AuditEvent
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.services import audit_record
from leads.models import Customer

from .forms import ErasureForm
from .models import Erasure
from .selectors import customer_export, customer_for_privacy
from .services import customer_erase


def _customer(request, pk: int) -> Customer:
    try:
        return customer_for_privacy(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


@staff_required(roles=MANAGER_ROLES)
def customer_export_page(request, pk):
    customer = _customer(request, pk)
    export = customer_export(customer=customer)
    audit_record(
        actor=request.user, action=AuditEvent.Action.EXPORT, obj=customer, changes={"as": "page"}
    )
    return render(request, "privacy/export.html", {"customer": customer, "export": export})


@staff_required(roles=MANAGER_ROLES)
def customer_export_json(request, pk):
    customer = _customer(request, pk)
    export = customer_export(customer=customer)
    audit_record(
        actor=request.user, action=AuditEvent.Action.EXPORT, obj=customer, changes={"as": "json"}
    )
    response = HttpResponse(
        json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@staff_required(roles=MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def customer_erase_confirm(request, pk):
    customer = _customer(request, pk)
    erasure = Erasure.objects.filter(customer=customer).first()
    if erasure is not None:
        return render(request, "privacy/erase.html", {"customer": customer, "erasure": erasure})
    form = ErasureForm(request.POST or None, customer_name=str(customer))
    if request.method == "POST" and form.is_valid():
        customer_erase(customer=customer, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("The customer's personal data has been erased."))
        return redirect("leads:customer_detail", pk=customer.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "privacy/erase.html", {"customer": customer, "form": form}, status=status
    )
