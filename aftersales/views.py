"""Thin views: parse, call one service or selector, render."""

import datetime
import logging

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.public_forms import PublicFormView, RateLimit
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_public
from leads.models import Customer
from leads.selectors import customer_list_for_user, customer_search_for_user

from . import selectors, services
from .forms import (
    BookingForm,
    CheckInForm,
    ComplaintAssignForm,
    ComplaintLogForm,
    ComplaintPublicForm,
    ComplaintStatusForm,
    CompleteForm,
    CustomerSearchForm,
    RecallImportForm,
    StaffAppointmentForm,
    VehicleForm,
    WebsiteBookingForm,
)
from .models import Complaint, OdometerReading, OwnedVehicle, ServiceAppointment, ServiceItem
from .services.recalls import recall_parse_vins
from .tokens import (
    add_vehicle_token_load,
    appointment_token,
    appointment_token_load,
    booking_token,
    booking_token_load,
)

logger = logging.getLogger(__name__)


def _limit(scope: str) -> RateLimit:
    return RateLimit(scope, "AFTERSALES_FORM_RATE_LIMIT", "AFTERSALES_FORM_RATE_PERIOD")


TOO_MANY_ATTEMPTS = gettext_lazy("Too many attempts just now. Please wait a few minutes.")


# --- Customers (signed links) -----------------------------------------------------------------


def _booking_vehicle(token: str) -> OwnedVehicle:
    try:
        vehicle_id, customer_id = booking_token_load(token)
    except signing.BadSignature:
        raise Http404 from None
    return get_object_or_404(
        OwnedVehicle.objects.select_related("location", "customer"),
        pk=vehicle_id,
        customer_id=customer_id,
        status=OwnedVehicle.Status.ACTIVE,
    )


class BookView(PublicFormView):
    """A service appointment for the car of a signed link (a reminder's, or after
    book_website)."""

    form_class = BookingForm
    template_name = "aftersales/book.html"
    rate_limit = _limit("aftersales-book")
    limited_message = TOO_MANY_ATTEMPTS

    @cached_property
    def vehicle(self) -> OwnedVehicle:
        return _booking_vehicle(self.kwargs["token"])

    def get_form_kwargs(self):
        ov = self.vehicle
        location = ov.location
        today = location.localtime().date()
        slots = []
        for day, _free in services.appointment_days(
            location=location, start=today + datetime.timedelta(days=1)
        ):
            slots.extend(services.appointment_slots(location=location, day=day))
        return {
            "slots": slots,
            "items": list(ServiceItem.objects.filter(plan_id=ov.plan_id)),
            "initial": {"items": [str(ov.next_item_id)] if ov.next_item_id else []},
        }

    def get_context_data(self, **context):
        return {**context, "vehicle": self.vehicle, "location": self.vehicle.location}

    def submit(self, form):
        appt = services.appointment_book(
            owned_vehicle=self.vehicle,
            **form.cleaned_data,
            via=ServiceAppointment.BookedVia.REMINDER,
        )
        return redirect("aftersales:appointment", token=appointment_token(appointment=appt))


book = BookView.as_view()


def appointment(request, token):
    try:
        appointment_id, customer_id = appointment_token_load(token)
    except signing.BadSignature:
        raise Http404 from None
    appt = get_object_or_404(
        ServiceAppointment.objects.select_related("owned_vehicle", "location").prefetch_related(
            "items"
        ),
        pk=appointment_id,
        customer_id=customer_id,
    )
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            appt = services.appointment_cancel(appointment=appt)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("aftersales:appointment", token=token)
    return render(request, "aftersales/appointment.html", {"appointment": appt})


class ComplaintView(PublicFormView):
    form_class = ComplaintPublicForm
    template_name = "aftersales/complaint_new.html"
    rate_limit = _limit("aftersales-complaint")
    limited_message = gettext_lazy(
        "Too many messages from your network just now. Please wait a few minutes and send again: your text is still here."
    )
    spam_url = "aftersales:complaint_thanks"
    log_name = "complaint"

    def get_form_kwargs(self):
        return {"locations": location_list_public()}

    def submit(self, form):
        services.complaint_submit(**form.service_data(), language=self.language)
        return redirect("aftersales:complaint_thanks")


complaint_new = ComplaintView.as_view()


def complaint_thanks(request):
    return render(request, "aftersales/complaint_thanks.html")


# --- Staff ------------------------------------------------------------------------------------


@staff_required
def workshop(request):
    locations = list(selectors.workshop_locations(user=request.user))
    if not locations:
        raise Http404
    try:
        location = next(loc for loc in locations if str(loc.pk) == request.GET.get("location"))
    except StopIteration:
        location = locations[0]
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = location.localtime().date()
    appointments = selectors.workshop_day(user=request.user, location_id=location.pk, day=day)
    return render(
        request,
        "aftersales/workshop.html",
        {
            "locations": locations,
            "location": location,
            "day": day,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
            "appointments": appointments,
        },
    )


def _appointment_or_404(request, pk) -> ServiceAppointment:
    try:
        return selectors.appointment_for_user(user=request.user, pk=pk)
    except ServiceAppointment.DoesNotExist:
        raise Http404 from None


def _detail_context(appt, **forms) -> dict:
    items = list(ServiceItem.objects.filter(plan_id=appt.owned_vehicle.plan_id))
    return {
        "appointment": appt,
        "history": selectors.service_history(owned_vehicle=appt.owned_vehicle),
        "check_in_form": forms.get("check_in_form") or CheckInForm(),
        "complete_form": forms.get("complete_form")
        or CompleteForm(
            items=items,
            recalls=appt.owned_vehicle.open_recalls,
            initial={"items_done": [str(i.pk) for i in appt.items.all()]},
        ),
    }


@staff_required
def appointment_detail(request, pk):
    appt = _appointment_or_404(request, pk)
    return render(request, "aftersales/appointment_detail.html", _detail_context(appt))


@staff_required
@require_POST
def check_in(request, pk):
    """Check a car in with its odometer. From the staff home's workshop board (`from=today`)
    an htmx post gets the board's row back to swap in place, a plain post goes back home."""
    appt = _appointment_or_404(request, pk)
    today = request.POST.get("from") == "today"
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            _appt, reading = services.appointment_check_in(
                appointment=appt, odometer_km=form.cleaned_data["odometer_km"], by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if today and request.htmx:
                return _today_row(request, pk, warning=reading.warning)
            if reading.warning:
                messages.warning(request, reading.warning)
            else:
                messages.success(request, _("Checked in."))
            if today:
                return redirect("staff-home")
            return redirect("aftersales:appointment_detail", pk=pk)
    if today and request.htmx:
        return _today_row(request, pk, form=form, status=400)
    return render(
        request,
        "aftersales/appointment_detail.html",
        _detail_context(appt, check_in_form=form),
        status=400,
    )


def _today_row(request, pk, *, form=None, warning: str = "", status: int = 200):
    appt = selectors.appointment_today_row(user=request.user, pk=pk)
    return render(
        request,
        "aftersales/partials/today_appointment.html",
        {"appointment": appt, "check_in_form": form, "warning": warning},
        status=status,
    )


@staff_required
@require_POST
def complete(request, pk):
    appt = _appointment_or_404(request, pk)
    items = list(ServiceItem.objects.filter(plan_id=appt.owned_vehicle.plan_id))
    form = CompleteForm(request.POST, items=items, recalls=appt.owned_vehicle.open_recalls)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.appointment_complete(
                appointment=appt,
                work_done=data["work_done"],
                price=data["price"],
                items_done=data["items_done"],
                recalls_remedied=data["recalls"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Visit completed and added to the service history."))
            return redirect("aftersales:appointment_detail", pk=pk)
    return render(
        request,
        "aftersales/appointment_detail.html",
        _detail_context(appt, complete_form=form),
        status=400,
    )


@staff_required
def recall_report(request):
    return render(
        request,
        "aftersales/recall_report.html",
        {"rows": selectors.recall_report_for_user(user=request.user)},
    )


@staff_required(roles=MANAGER_ROLES)
def recall_import(request):
    preview = None
    status = 200
    if request.method == "POST":
        form = RecallImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            preview = recall_parse_vins(data["vins"])
            if data["confirm"]:
                try:
                    campaign = services.recall_campaign_import(
                        code=data["code"],
                        title=data["title"],
                        description=data["description"],
                        remedy=data["remedy"],
                        vins=preview.vins,
                        by=request.user,
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                    status = 400
                else:
                    messages.success(
                        request,
                        _("Campaign %(code)s imported with %(count)d VINs.")
                        % {"code": campaign.code, "count": len(preview.vins)},
                    )
                    return redirect("aftersales:recall_report")
            else:
                # Show what would be imported; the next POST (with the text) confirms.
                form = RecallImportForm(
                    initial={
                        **{k: data[k] for k in ("code", "title", "description", "remedy", "vins")},
                        "confirm": True,
                    }
                )
        else:
            status = 400
    else:
        form = RecallImportForm()
    return render(
        request, "aftersales/recall_import.html", {"form": form, "preview": preview}, status=status
    )


@staff_required
def complaint_list(request):
    status = request.GET.get("status", "open")
    complaints = selectors.complaint_list_for_user(user=request.user, status=status)[:200]
    return render(
        request,
        "aftersales/complaints.html",
        {
            "complaints": complaints,
            "status": status,
            "statuses": Complaint.Status.choices,
            "now": timezone.now(),
        },
    )


@staff_required
def complaint_detail(request, pk):
    try:
        complaint = selectors.complaint_for_user(user=request.user, pk=pk)
    except Complaint.DoesNotExist:
        raise Http404 from None
    status = 200
    form = ComplaintStatusForm()
    assign_form = ComplaintAssignForm(complaint=complaint)
    if request.method == "POST" and request.POST.get("action") == "assign":
        assign_form = ComplaintAssignForm(request.POST, complaint=complaint)
        if assign_form.is_valid():
            try:
                services.complaint_assign(
                    complaint=complaint,
                    handler=assign_form.cleaned_data["handler"],
                    by=request.user,
                )
            except ValidationError as error:
                assign_form.add_error(None, error)
            else:
                messages.success(request, _("Handler changed."))
                return redirect("aftersales:complaint_detail", pk=pk)
        status = 400
    elif request.method == "POST":
        form = ComplaintStatusForm(request.POST)
        if form.is_valid():
            try:
                services.complaint_transition(
                    complaint=complaint,
                    to_status=form.cleaned_data["to_status"],
                    note=form.cleaned_data["note"],
                    notify_customer=form.cleaned_data["notify_customer"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("Complaint updated."))
                return redirect("aftersales:complaint_detail", pk=pk)
        else:
            status = 400
    return render(
        request,
        "aftersales/complaint_detail.html",
        {"complaint": complaint, "form": form, "assign_form": assign_form},
        status=status,
    )


class BookWebsiteView(PublicFormView):
    """Book from the website: we find (or register) the visitor's car, then the same booking
    page as the reminder link opens for it."""

    form_class = WebsiteBookingForm
    template_name = "aftersales/book_website.html"
    rate_limit = _limit("aftersales-book-website")
    limited_message = gettext_lazy(
        "Too many attempts from your network just now. Please wait a few minutes."
    )
    spam_url = "home"
    log_name = "booking"

    def get_form_kwargs(self):
        return {"locations": location_list_public()}

    def submit(self, form):
        ov = services.owned_vehicle_for_website_booking(
            **form.service_data(), language=self.language
        )
        return redirect("aftersales:book", token=booking_token(owned_vehicle=ov))


book_website = BookWebsiteView.as_view()


class VehicleAddView(PublicFormView):
    """A customer adds a car to their record from the signed link in a service email."""

    form_class = VehicleForm
    template_name = "aftersales/vehicle_add.html"
    rate_limit = _limit("aftersales-vehicle-add")
    limited_message = gettext_lazy("Too many attempts just now. Please wait a few minutes.")

    @cached_property
    def customer(self) -> Customer:
        try:
            customer_id = add_vehicle_token_load(self.kwargs["token"])
        except signing.BadSignature:
            raise Http404 from None
        return get_object_or_404(
            Customer.objects.select_related("location"), pk=customer_id, merged_into__isnull=True
        )

    def get_form_kwargs(self):
        self.customer  # noqa: B018 - a bad link is a 404 before the rate limit counts it
        return {}

    def get_context_data(self, **context):
        return {**context, "customer": self.customer}

    def submit(self, form):
        customer = self.customer
        ov = services.owned_vehicle_create(
            customer=customer,
            location=customer.location,
            origin=OwnedVehicle.Origin.ELSEWHERE,
            odometer_on=customer.location.localtime().date(),
            reading_source=OdometerReading.Source.CUSTOMER,
            **form.cleaned_data,
        )
        return redirect("aftersales:book", token=booking_token(owned_vehicle=ov))


vehicle_add = VehicleAddView.as_view()


def _customer_for_staff(request) -> Customer:
    try:
        return customer_list_for_user(user=request.user).get(
            pk=int(request.GET.get("customer", ""))
        )
    except (ValueError, Customer.DoesNotExist):
        raise Http404 from None


@staff_required
def vehicle_new(request):
    customer = _customer_for_staff(request)
    status = 200
    if request.method == "POST":
        form = VehicleForm(request.POST)
        if form.is_valid():
            try:
                services.owned_vehicle_create(
                    customer=customer,
                    location=customer.location,
                    origin=OwnedVehicle.Origin.ELSEWHERE,
                    odometer_on=customer.location.localtime().date(),
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                messages.success(request, _("Car added."))
                return redirect(customer.get_absolute_url())
        else:
            status = 400
    else:
        form = VehicleForm()
    return render(
        request, "aftersales/vehicle_new.html", {"form": form, "customer": customer}, status=status
    )


def _customer_chosen(request) -> Customer | None:
    """The customer a staff page is for (?customer=), None when not given; 404 when not
    visible to the user."""
    if not request.GET.get("customer"):
        return None
    return _customer_for_staff(request)


@staff_required
@require_http_methods(["GET", "POST"])
def appointment_new(request):
    """A service visit booked by staff, e.g. on the phone: find the customer (no new record
    is made), choose one of their cars, the workshop and the drop-off time."""
    customer = _customer_chosen(request)
    search = CustomerSearchForm(request.GET)
    query = search.cleaned_data.get("customer_q", "") if search.is_valid() else ""
    context = {
        "search": search,
        "customer": customer,
        "found": customer_search_for_user(user=request.user, q=query) if customer is None else [],
        "searched": bool(query),
    }
    if customer is None:
        if request.method == "POST":
            raise Http404
        return render(request, "aftersales/appointment_new.html", context)
    vehicles = selectors.owned_vehicles_for_booking(user=request.user, customer=customer)
    locations = selectors.workshop_locations(user=request.user)
    first = vehicles.first()
    form = StaffAppointmentForm(
        request.POST or None,
        vehicles=vehicles,
        locations=locations,
        items=selectors.service_items_for(vehicles=vehicles),
        initial={
            "owned_vehicle": first.pk if first else None,
            "location": first.location_id if first else None,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                appt = services.appointment_book(
                    owned_vehicle=data["owned_vehicle"],
                    drop_off_at=data["drop_off_at"],
                    items=list(data["items"]),
                    handover=data["handover"],
                    courtesy_car=data["courtesy_car"],
                    notes=data["notes"],
                    via=ServiceAppointment.BookedVia.STAFF,
                    location=data["location"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Service visit booked."))
                return redirect("aftersales:appointment_detail", pk=appt.pk)
    workshop = form["location"].value()
    location = next((loc for loc in locations if str(loc.pk) == str(workshop)), None)
    if location is not None:
        context["location"] = location
        context["free_days"] = services.appointment_days(
            location=location, start=location.localtime().date(), days=14
        )
    context.update(form=form, has_cars=first is not None)
    return render(request, "aftersales/appointment_new.html", context, status=status)


@staff_required
def complaint_log(request):
    customer = _customer_for_staff(request)
    status = 200
    if request.method == "POST":
        form = ComplaintLogForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                complaint = services.complaint_create(
                    customer=customer,
                    location=customer.location,
                    by=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                return redirect("aftersales:complaint_detail", pk=complaint.pk)
        else:
            status = 400
    else:
        form = ComplaintLogForm(customer=customer)
    return render(
        request,
        "aftersales/complaint_log.html",
        {"form": form, "customer": customer},
        status=status,
    )
