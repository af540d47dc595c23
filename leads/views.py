"""Thin views: parse input, call one selector or service, render."""

import logging
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.client_ip import client_ip
from dealership.accounts.public_forms import MARKETING, PublicFormView, RateLimit
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_for_user, location_list_public
from inventory.selectors import vehicle_list_public

from . import selectors
from .forms import (
    ActivityForm,
    AssignForm,
    BulkAssignForm,
    CadenceReasonForm,
    EnquiryForm,
    HandBackForm,
    InboxFilterForm,
    MergeForm,
    StatusForm,
    TaskForm,
    TransferRefuseForm,
    TransferRequestForm,
)
from .models import Customer, Lead, Task, TransferRequest
from .services import (
    activity_log,
    cadence_may_manage,
    cadence_pause,
    cadence_resume,
    cadence_stop_by_staff,
    consultant_set_availability,
    customer_merge,
    enquiry_submit,
    lead_assign,
    lead_hand_back,
    lead_may_give_up,
    lead_transition,
    leads_bulk_assign,
    task_complete,
    task_create,
    transfer_request_approve,
    transfer_request_create,
    transfer_request_refuse,
)

logger = logging.getLogger(__name__)
INBOX_PAGE_SIZE = 50


# --- Public ---------------------------------------------------------------------------------


def _enquiry_initial(request) -> dict:
    initial = {"vehicle": request.GET.get("vehicle", "")[:40]}
    if request.GET.get("type") in dict(EnquiryForm.base_fields["type"].choices):
        initial["type"] = request.GET["type"]
    slug = request.GET.get("location")
    if slug:
        initial["location"] = location_list_public().filter(slug=slug).first()
    return initial


class EnquiryView(PublicFormView):
    """Enquiry, trade-in and contact: one form, `enquiry_submit`, then "thanks"."""

    form_class = EnquiryForm
    template_name = "leads/enquiry.html"
    default_type = Lead.Type.VEHICLE_ENQUIRY
    rate_limit = RateLimit("leads-enquiry", "LEADS_FORM_RATE_LIMIT", "LEADS_FORM_RATE_PERIOD")
    limited_message = gettext_lazy(
        "Too many enquiries from your network just now. Please wait a few minutes "
        "and send again: your message is still here."
    )
    spam_url = "leads:enquiry_thanks"
    log_name = "enquiry"

    @cached_property
    def vehicle(self):
        """The car of /enquiries/vehicle/<id>/ (404 if not public), else None."""
        if "vehicle_id" not in self.kwargs:
            return None
        return get_object_or_404(
            vehicle_list_public().select_related("location"), pk=self.kwargs["vehicle_id"]
        )

    def get_form_kwargs(self):
        initial = {"type": self.default_type, **_enquiry_initial(self.request)}
        if self.vehicle is not None:
            initial.update(vehicle=self.vehicle.stock_number, location=self.vehicle.location_id)
        return {"locations": location_list_public(), "initial": initial}

    def get_context_data(self, **context):
        return {**context, "vehicle": self.vehicle}

    def submit(self, form):
        data = form.service_data()
        stock_number = data.pop("vehicle")
        enquiry_submit(
            **data,
            stock_number=stock_number,
            marketing_consent=form.consent_given(MARKETING),
            consent_wording=form.consent_wording(MARKETING),
            language=self.language,
            utm={k: self.request.GET.get(f"utm_{k}", "") for k in ("source", "medium", "campaign")},
        )
        self.request.session["enquiry_name"] = data["first_name"]
        return redirect("leads:enquiry_thanks")


enquiry_new = EnquiryView.as_view()
# The enquiry form for one car, linked from its page: branch and car filled in.
vehicle_enquiry = EnquiryView.as_view()
contact = EnquiryView.as_view(template_name="leads/contact.html", default_type=Lead.Type.GENERAL)


def enquiry_form_partial(request):
    """The form alone, for the vehicle page to include (or fetch with htmx)."""
    form = EnquiryForm(
        locations=location_list_public(),
        initial={"type": Lead.Type.VEHICLE_ENQUIRY, **_enquiry_initial(request)},
    )
    return render(request, "leads/partials/enquiry_form.html", {"form": form})


def enquiry_thanks(request):
    return render(
        request, "leads/enquiry_thanks.html", {"name": request.session.get("enquiry_name", "")}
    )


@csrf_exempt  # machine-to-machine: authenticated by the provider's API key, not a cookie
@require_POST
def adf_receive(request):
    from .services.adf import AdfImportError, adf_import_document, provider_for_key

    key = request.headers.get("X-Api-Key") or ""
    auth = request.headers.get("Authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    provider = provider_for_key(key)
    if provider is None:
        logger.warning("ADF post refused: unknown or revoked key from %s", client_ip(request))
        return JsonResponse({"error": "unknown or revoked API key"}, status=401)
    body = request.body
    if len(body) > settings.LEADS_ADF_MAX_BYTES:
        return JsonResponse({"error": "document too large"}, status=413)
    try:
        result = adf_import_document(raw=body, channel="http", provider=provider)
    except AdfImportError as error:
        logger.warning("ADF document rejected from %s: %s", provider.name, error)
        return JsonResponse({"error": str(error), "document": error.document_id}, status=400)
    return JsonResponse(result.as_json(), status=201 if result.created else 200)


# --- Staff ----------------------------------------------------------------------------------


def _choice_labels() -> dict[str, dict[str, str]]:
    """The type, source and status labels, translated once per page: get_FOO_display()
    rebuilds and re-translates the whole choices table on every call (three per row)."""
    return {
        "type": {value: str(label) for value, label in Lead.Type.choices},
        "source": {value: str(label) for value, label in Lead.Source.choices},
        "status": {value: str(label) for value, label in Lead.Status.choices},
        "unassigned": _("Unassigned"),
        "select": _("Select lead of %(name)s"),
    }


_URL_SENTINEL = 2147483647


_CLOSED = (Lead.Status.WON, Lead.Status.LOST)


def _inbox_row(lead: dict, now, labels: dict[str, dict[str, str]], detail_url: str) -> dict:
    """What one inbox row shows, computed once here from the selector's plain values
    (selectors.INBOX_ROW_FIELDS): the busiest page renders plain strings."""
    from .templatetags.leads_tags import response_clock_values

    clock_state, clock_text = response_clock_values(
        first_response_at=lead["first_response_at"],
        response_due_at=lead["response_due_at"],
        is_open=lead["status"] not in _CLOSED,
        now=now,
    )
    # As Customer.__str__ and Lead.vehicle_label.
    email, mobile = lead["customer__email"], lead["customer__mobile_phone"]
    name = (
        f"{lead['customer__first_name']} {lead['customer__last_name']}".strip()
        or email
        or mobile
        or f"#{lead['customer_id']}"
    )
    vehicle = " ".join(
        str(p) for p in (lead["year"] or "", lead["make"], lead["model"], lead["trim"]) if p
    )
    if lead["assigned_to_id"]:
        assigned = (
            f"{lead['assigned_to__first_name']} {lead['assigned_to__last_name']}".strip()
            or lead["assigned_to__username"]
        )
    else:
        assigned = labels["unassigned"]
    # Wall-clock time at the lead's location with the zone's abbreviation, as at_location_short.
    local = lead["created_at"].astimezone(zoneinfo.ZoneInfo(lead["location__time_zone"]))
    received = formats.date_format(local.replace(tzinfo=None), "SHORT_DATETIME_FORMAT")
    return {
        "pk": lead["pk"],
        "url": detail_url.replace(str(_URL_SENTINEL), str(lead["pk"])),
        "customer": name,
        "select_label": labels["select"] % {"name": name},
        "contact": email or mobile,
        "needs_review": lead["needs_review"],
        "type": labels["type"].get(lead["type"], lead["type"]),
        "vehicle": vehicle or "—",
        "stock_number": lead["stock_number"],
        "source": labels["source"].get(lead["source"], lead["source"]),
        "status": labels["status"].get(lead["status"], lead["status"]),
        "assigned": assigned,
        "received": f"{received} {local.tzname()}",
        "received_iso": lead["created_at"].isoformat(),
        "clock_state": clock_state,
        "clock_text": clock_text,
        "score": lead["score"] if lead["status"] not in _CLOSED else None,
    }


def _consultant_options(consultants) -> str:
    """The bulk-reassign <option>s from four plain columns, no model instances or per-option
    template rendering."""
    rows = consultants.values_list("pk", "first_name", "last_name", "username")
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((pk, f"{first} {last}".strip() or username) for pk, first, last, username in rows),
    )


@staff_required
def inbox(request):
    scopes = selectors.inbox_scopes_for(request.user)
    default_scope = selectors.inbox_default_scope(request.user)
    default_sort = selectors.inbox_default_sort(request.user)
    query = None
    if request.GET:
        # A filter link without a scope (or sort) shows and selects the default one.
        query = request.GET.copy()
        query.setdefault("scope", default_scope)
        if default_sort != "newest":
            query.setdefault("sort", default_sort)
    initial = {"scope": default_scope}
    if default_sort != "newest":  # newest is the list's first option, selected anyway
        initial["sort"] = default_sort
    form = InboxFilterForm(query, scopes=scopes, initial=initial)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.InboxFilters(
        scope=data.get("scope") or default_scope,
        status=data.get("status") or "",
        source=data.get("source") or "",
        type=data.get("type") or "",
        age=data.get("age") or "",
        overdue=bool(data.get("overdue")),
        q=data.get("q") or "",
        sort=data.get("sort") or default_sort,
    )
    now = timezone.now()
    qs = selectors.lead_inbox(user=request.user, filters=filters, now=now)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    # No COUNT(*) over a million rows: fetch one row more than a page to know if there is next.
    offset = (page_number - 1) * INBOX_PAGE_SIZE
    leads = selectors.lead_inbox_page(qs, offset=offset, limit=INBOX_PAGE_SIZE + 1)
    has_next = len(leads) > INBOX_PAGE_SIZE
    labels = _choice_labels()
    # One reverse() for the page, not one per row.
    detail_url = reverse("leads:lead_detail", args=[_URL_SENTINEL])
    rows = [_inbox_row(lead, now, labels, detail_url) for lead in leads[:INBOX_PAGE_SIZE]]
    # The running clocks tick without a reload: the page polls inbox_clocks for these.
    ticking = ",".join(str(row["pk"]) for row in rows if row["clock_state"] != "done")
    is_manager = request.user.has_role(*MANAGER_ROLES)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "controls": form.controls(),
        "leads": rows,
        "now": now,
        "page_number": page_number,
        "has_next": has_next,
        "query_string": params.urlencode(),
        "is_manager": is_manager,
        "consultant_options": (
            _consultant_options(selectors.consultants_for_locations(user=request.user))
            if is_manager and not request.htmx
            else ""
        ),
        "available": selectors.user_is_available(user=request.user),
        "ticking": ticking,
    }
    template = "leads/partials/inbox_rows.html" if request.htmx else "leads/inbox.html"
    return render(request, template, context)


_MAX_PK = 2**31 - 1


@staff_required
def inbox_clocks(request):
    """The inbox's response clocks, re-rendered for the page to swap in (htmx, every 30 s):
    `?ids=1,2,3`, at most a page of leads; leads the user may not see are left out."""
    parts = [part.strip() for part in request.GET.get("ids", "").split(",") if part.strip()]
    # Plain ASCII digits only (int() would also take "٣", "1_0" or "+3").
    if not all(part.isascii() and part.isdigit() and 0 < int(part) <= _MAX_PK for part in parts):
        return HttpResponseBadRequest(_("Give the leads as comma-separated numbers."))
    ids = sorted({int(part) for part in parts})
    if len(ids) > INBOX_PAGE_SIZE:
        return HttpResponseBadRequest(
            _("At most %(count)d leads at a time.") % {"count": INBOX_PAGE_SIZE}
        )
    from .templatetags.leads_tags import response_clock_values

    now = timezone.now()
    clocks = []
    for lead in selectors.lead_clocks_for_user(user=request.user, ids=ids) if ids else []:
        state, text = response_clock_values(
            first_response_at=lead["first_response_at"],
            response_due_at=lead["response_due_at"],
            is_open=lead["status"] not in _CLOSED,
            now=now,
        )
        clocks.append({"pk": lead["pk"], "clock_state": state, "clock_text": text})
    return render(request, "leads/partials/inbox_clocks.html", {"clocks": clocks})


@staff_required(roles=MANAGER_ROLES)
@require_POST
def bulk_assign(request):
    form = BulkAssignForm(
        request.POST,
        leads=selectors.lead_list_for_user(user=request.user),
        consultants=selectors.consultants_for_locations(user=request.user),
    )
    if not form.is_valid():
        messages.error(request, _("Choose leads and a consultant to assign them to."))
        return redirect("leads:inbox")
    try:
        count = leads_bulk_assign(
            leads=form.cleaned_data["leads"], to_user=form.cleaned_data["to_user"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(count)d leads reassigned.") % {"count": count})
    return redirect(_safe_next(request, reverse("leads:inbox")))


@staff_required
@require_POST
def availability(request):
    available = request.POST.get("available") == "1"
    consultant_set_availability(user=request.user, is_available=available)
    if available:
        messages.success(request, _("You are taking new leads."))
    else:
        messages.info(request, _("You are off duty: new leads go to your colleagues."))
    return redirect(_safe_next(request, reverse("leads:inbox")))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    # A printable path on this site only: redirect() would take a bare word for a URL name.
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return default


def _lead_or_404(request, pk: int) -> Lead:
    try:
        return selectors.lead_detail_for_user(user=request.user, pk=pk)
    except Lead.DoesNotExist:
        raise Http404 from None


CADENCE_ACTIONS = ("pause", "resume", "stop")


def _lead_context(request, lead: Lead, **forms) -> dict:
    cadence_forms = {
        action: forms.get(f"cadence_{action}_form") or CadenceReasonForm(action=action)
        for action in CADENCE_ACTIONS
    }
    is_manager = request.user.has_role(*MANAGER_ROLES)
    # Reassigning is a manager's right; the lead's own consultant may hand it back to the
    # pool or ask a manager to transfer it to a colleague.
    may_give_up = lead_may_give_up(user=request.user, lead=lead)
    pending_transfer = selectors.lead_transfer_pending(lead=lead)
    return {
        "lead": lead,
        "now": timezone.now(),
        "history": selectors.lead_history(lead=lead),
        "cadence": selectors.lead_cadence(lead=lead),
        "cadence_forms": cadence_forms,
        "cadence_error": forms.get("cadence_error", ""),
        "may_manage_cadence": cadence_may_manage(user=request.user, lead=lead),
        "activity_form": forms.get("activity_form") or ActivityForm(),
        "status_form": forms.get("status_form") or StatusForm(initial={"to_status": lead.status}),
        "assign_form": (
            forms.get("assign_form")
            or AssignForm(
                consultants=selectors.consultants_for_locations(user=request.user),
                initial={"to_user": lead.assigned_to_id},
            )
        )
        if is_manager
        else None,
        "may_give_up": may_give_up,
        "hand_back_form": (forms.get("hand_back_form") or HandBackForm()) if may_give_up else None,
        "transfer_form": (
            forms.get("transfer_form")
            or TransferRequestForm(
                colleagues=selectors.transfer_colleagues(lead=lead, user=request.user)
            )
        )
        if may_give_up and pending_transfer is None
        else None,
        "pending_transfer": pending_transfer,
        "refuse_form": (
            forms.get("refuse_form") or TransferRefuseForm(transfer_id=pending_transfer.pk)
        )
        if is_manager and pending_transfer is not None
        else None,
        "transfer_error": forms.get("transfer_error", ""),
        "task_form": forms.get("task_form") or TaskForm(tzinfo=lead.location.tzinfo),
        "is_manager": is_manager,
    }


@staff_required
def lead_detail(request, pk):
    lead = _lead_or_404(request, pk)
    return render(request, "leads/lead_detail.html", _lead_context(request, lead))


def _invalid(request, lead, status: int = 400, **forms):
    return render(
        request, "leads/lead_detail.html", _lead_context(request, lead, **forms), status=status
    )


CADENCE_SERVICES = {
    "pause": (cadence_pause, _("Cadence paused.")),
    "resume": (cadence_resume, _("Cadence resumed.")),
    "stop": (cadence_stop_by_staff, _("Cadence stopped.")),
}


def _cadence_change(request, pk, action: str):
    """Pause, resume or stop the lead's cadence with the reason typed: the lead's consultant
    or a manager of its location (another location's lead: 404)."""
    lead = _lead_or_404(request, pk)
    if not cadence_may_manage(user=request.user, lead=lead):
        return _invalid(
            request,
            lead,
            status=403,
            cadence_error=_("Only the lead's consultant or a manager may change its cadence."),
        )
    form = CadenceReasonForm(request.POST, action=action)
    if not form.is_valid():
        return _invalid(request, lead, **{f"cadence_{action}_form": form})
    service, done = CADENCE_SERVICES[action]
    try:
        service(lead=lead, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        # "No cadence running", "already paused": on the form; a reason refused: on the field.
        form.add_error(None, error)
        return _invalid(request, lead, **{f"cadence_{action}_form": form})
    messages.success(request, str(done))
    return redirect(lead)


@staff_required
@require_POST
def lead_cadence_pause(request, pk):
    return _cadence_change(request, pk, "pause")


@staff_required
@require_POST
def lead_cadence_resume(request, pk):
    return _cadence_change(request, pk, "resume")


@staff_required
@require_POST
def lead_cadence_stop(request, pk):
    return _cadence_change(request, pk, "stop")


@staff_required
@require_POST
def lead_activity(request, pk):
    lead = _lead_or_404(request, pk)
    form = ActivityForm(request.POST)
    if not form.is_valid():
        return _invalid(request, lead, activity_form=form)
    try:
        activity_log(customer=lead.customer, lead=lead, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return _invalid(request, lead, activity_form=form)
    messages.success(request, _("Activity logged."))
    return redirect(lead)


@staff_required
@require_POST
def lead_status(request, pk):
    lead = _lead_or_404(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, lead, status_form=form)
    try:
        lead = lead_transition(
            lead=lead,
            to_status=form.cleaned_data["to_status"],
            lost_reason=form.cleaned_data["lost_reason"],
            by=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _invalid(request, lead, status_form=form)
    messages.success(request, _("Moved to %(status)s.") % {"status": lead.get_status_display()})
    return redirect(_safe_next(request, lead.get_absolute_url()))


@staff_required(roles=MANAGER_ROLES)
@require_POST
def lead_reassign(request, pk):
    """A manager hands the lead to a consultant (consultants: 403; they hand back or ask)."""
    lead = _lead_or_404(request, pk)
    form = AssignForm(
        request.POST, consultants=selectors.consultants_for_locations(user=request.user)
    )
    if not form.is_valid():
        return _invalid(request, lead, assign_form=form)
    try:
        lead_assign(lead=lead, to_user=form.cleaned_data["to_user"], by=request.user)
    except ValidationError as error:
        form.add_error("to_user", error)
        return _invalid(request, lead, assign_form=form)
    messages.success(request, _("Lead reassigned."))
    return redirect(lead)


@staff_required
@require_POST
def lead_hand_back_view(request, pk):
    """The lead's consultant gives it back to the location's unassigned queue, with a reason
    (another location's lead: 404; a colleague's: 403; no reason: 400)."""
    lead = _lead_or_404(request, pk)
    if not lead_may_give_up(user=request.user, lead=lead):
        return _invalid(
            request,
            lead,
            status=403,
            transfer_error=_("Only the lead's consultant may hand it back."),
        )
    form = HandBackForm(request.POST)
    if not form.is_valid():
        return _invalid(request, lead, hand_back_form=form)
    try:
        lead_hand_back(lead=lead, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        form.add_error(None, error)
        return _invalid(request, lead, hand_back_form=form)
    messages.success(request, _("Lead handed back to the pool."))
    return redirect(lead)


@staff_required
@require_POST
def lead_transfer_request(request, pk):
    """The lead's consultant asks a manager to transfer it to a named colleague of its
    location (another location's lead: 404; a colleague's: 403; no reason: 400)."""
    lead = _lead_or_404(request, pk)
    if not lead_may_give_up(user=request.user, lead=lead):
        return _invalid(
            request,
            lead,
            status=403,
            transfer_error=_("Only the lead's consultant may ask for a transfer."),
        )
    form = TransferRequestForm(
        request.POST, colleagues=selectors.transfer_colleagues(lead=lead, user=request.user)
    )
    if not form.is_valid():
        return _invalid(request, lead, transfer_form=form)
    try:
        transfer_request_create(
            lead=lead,
            by=request.user,
            to_user=form.cleaned_data["to_user"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _invalid(request, lead, transfer_form=form)
    messages.success(request, _("Transfer requested: a manager will decide."))
    return redirect(lead)


@staff_required(roles=MANAGER_ROLES)
def transfer_list(request):
    """The pending transfer requests of the manager's locations, oldest first."""
    transfers = list(selectors.transfer_requests_pending(user=request.user)[:200])
    for transfer in transfers:
        transfer.refuse_form = TransferRefuseForm(transfer_id=transfer.pk)
    return render(request, "leads/transfers.html", {"transfers": transfers})


def _transfer_or_404(request, pk) -> TransferRequest:
    try:
        return selectors.transfer_request_for_user(user=request.user, pk=pk)
    except TransferRequest.DoesNotExist:
        raise Http404 from None


def _transfer_refused(request, transfer: TransferRequest, message: str, **forms):
    lead = _lead_or_404(request, transfer.lead_id)
    return _invalid(request, lead, transfer_error=message, **forms)


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_approve(request, pk):
    """A manager of the lead's location approves: the lead goes to the colleague."""
    transfer = _transfer_or_404(request, pk)
    try:
        transfer = transfer_request_approve(transfer=transfer, by=request.user)
    except ValidationError as error:
        return _transfer_refused(request, transfer, " ".join(error.messages))
    name = transfer.to_user.get_full_name() or transfer.to_user.username
    messages.success(request, _("Transfer approved: the lead is now %(name)s's.") % {"name": name})
    return redirect(_safe_next(request, transfer.lead.get_absolute_url()))


@staff_required(roles=MANAGER_ROLES)
@require_POST
def transfer_refuse(request, pk):
    """A manager of the lead's location refuses, with a reason (none: 400)."""
    transfer = _transfer_or_404(request, pk)
    form = TransferRefuseForm(request.POST, transfer_id=transfer.pk)
    if not form.is_valid():
        return _transfer_refused(
            request, transfer, _("Say why you refuse the transfer."), refuse_form=form
        )
    try:
        transfer_request_refuse(
            transfer=transfer, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        return _transfer_refused(request, transfer, " ".join(error.messages))
    messages.success(request, _("Transfer refused."))
    return redirect(_safe_next(request, transfer.lead.get_absolute_url()))


@staff_required
@require_POST
def lead_task(request, pk):
    lead = _lead_or_404(request, pk)
    form = TaskForm(request.POST, tzinfo=lead.location.tzinfo)
    if not form.is_valid():
        return _invalid(request, lead, task_form=form)
    task_create(
        owner=request.user,
        title=form.cleaned_data["title"],
        due_at=form.cleaned_data["due_at"],
        lead=lead,
        by=request.user,
    )
    messages.success(request, _("Task added."))
    return redirect(lead)


@staff_required
def task_list(request):
    tasks = list(selectors.task_list_for_owner(user=request.user)[:200])
    return render(request, "leads/tasks.html", {"tasks": tasks, "now": timezone.now()})


@staff_required
@require_POST
def task_done(request, pk):
    task = get_object_or_404(Task, pk=pk, owner=request.user)
    task = task_complete(task=task, by=request.user)
    if request.htmx:
        # The staff home's row, swapped in place (the list needs no reload).
        return render(request, "leads/partials/today_task.html", {"task": task})
    messages.success(request, _("Task done."))
    return redirect(_safe_next(request, reverse("leads:tasks")))


def _pipeline_response(request, *, status: int = 200, location: str | None = None):
    locations = list(location_list_for_user(user=request.user))
    if not locations:
        return render(request, "leads/pipeline.html", {"locations": [], "board": None})
    # The board opens on the user's own (first) location; managers may switch.
    own = request.user.locations.order_by("name", "pk").values_list("pk", flat=True)
    default = next(iter(own), None) or locations[0].pk
    try:
        location_id = int(location or request.GET.get("location", default))
    except ValueError:
        location_id = default
    location = next((loc for loc in locations if loc.pk == location_id), None)
    if location is None:
        raise Http404
    board = selectors.pipeline_board(user=request.user, location_id=location.pk)
    return render(
        request,
        "leads/pipeline.html",
        {"locations": locations, "location": location, "board": board, "now": timezone.now()},
        status=status,
    )


@staff_required
def pipeline(request):
    return _pipeline_response(request)


def _move_refused(request, message: str, status: int):
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return _pipeline_response(request, status=status, location=request.POST.get("location"))


@staff_required
@require_POST
def pipeline_move(request, pk):
    """A card dropped on (or sent by its "Move to" form to) another column: the one lead
    transition service moves it. JSON for the drag-and-drop script, a redirect otherwise."""
    lead = _lead_or_404(request, pk)
    board = request.POST.get("location", "")
    if board != str(lead.location_id):
        return _move_refused(request, _("This lead is on another location's board."), 403)
    may_move = request.user.has_role(*MANAGER_ROLES) or lead.assigned_to_id in (
        None,
        request.user.pk,
    )
    if not may_move:
        return _move_refused(
            request, _("Only the lead's consultant or a manager may move it."), 403
        )
    to_status = request.POST.get("to_status", "")
    try:
        lead = lead_transition(lead=lead, to_status=to_status, by=request.user)
    except ValidationError as error:
        return _move_refused(request, " ".join(error.messages), 400)
    done = _("Moved to %(status)s.") % {"status": lead.get_status_display()}
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"status": lead.status, "message": done})
    messages.success(request, done)
    return redirect(f"{reverse('leads:pipeline')}?location={lead.location_id}")


@staff_required
def customer_detail(request, pk):
    try:
        context = selectors.customer_360(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    if "merged_into" in context:
        return redirect("leads:customer_detail", pk=context["merged_into"])
    return render(request, "leads/customer_detail.html", context)


@staff_required
def duplicates(request):
    after = request.GET.get("after", "")[:254]
    groups, next_after = selectors.customer_duplicates(user=request.user, after=after)
    return render(
        request,
        "leads/duplicates.html",
        {"groups": groups, "after": after, "next_after": next_after},
    )


@staff_required
@require_POST
def merge(request):
    form = MergeForm(request.POST)
    visible = selectors.customer_list_for_user(user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose the two customers to merge."))
        return redirect("leads:duplicates")
    kept = get_object_or_404(visible, pk=form.cleaned_data["kept"])
    merged = get_object_or_404(visible, pk=form.cleaned_data["merged"])
    try:
        customer_merge(kept=kept, merged=merged, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("leads:duplicates")
    messages.success(
        request, _("%(merged)s was merged into %(kept)s.") % {"merged": merged, "kept": kept}
    )
    return redirect(kept)
