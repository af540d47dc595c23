import datetime
import logging

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.public_forms import MARKETING, PublicFormView, RateLimit
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_for_user
from leads.forms import CustomerVehicleSearchForm
from leads.selectors import (
    consultants_for_locations,
    customer_list_for_user,
    customer_search_for_user,
)

from . import selectors
from .forms import (
    AssignForm,
    BlockForm,
    BookingForm,
    CalendarForm,
    CancelForm,
    CompleteForm,
    RescheduleForm,
    StaffBookingForm,
    StaffRescheduleForm,
    StatusForm,
    vehicles_for_booking,
)
from .models import ALLOWED_TRANSITIONS, OPEN_STATUSES, Booking
from .services import (
    SlotTaken,
    booking_assign,
    booking_cancel_by_customer,
    booking_complete,
    booking_create_by_staff,
    booking_create_from_web,
    booking_reschedule,
    booking_transition,
    vehicle_block,
)
from .tokens import booking_id_from_token, manage_token

logger = logging.getLogger(__name__)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _add_error(form, error: ValidationError) -> None:
    """A service's error on the form: on its field when the form has one, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Customers ------------------------------------------------------------------------------


@require_http_methods(["GET"])
def choose(request):
    """Book a test drive by model: pick the model, then one of its cars (and its branch)."""
    models = selectors.test_drive_models()
    chosen = request.GET.get("model", "")
    make, _sep, model = chosen.partition("|")
    cars = selectors.test_drive_cars(make=make, model=model) if chosen else []
    status = 404 if chosen and not cars else 200
    return render(
        request,
        "testdrives/choose.html",
        {"models": models, "chosen": chosen, "cars": cars},
        status=status,
    )


class BookView(PublicFormView):
    """Pick a slot and book it. A plain form with radio buttons: works without JavaScript."""

    http_method_names = ["get", "post"]
    form_class = BookingForm
    template_name = "testdrives/book.html"
    rate_limit = RateLimit(
        "testdrives-book", "TESTDRIVES_FORM_RATE_LIMIT", "TESTDRIVES_FORM_RATE_PERIOD"
    )
    limited_message = gettext_lazy(
        "Too many bookings from your network just now. Please wait a few minutes "
        "and try again: what you typed is still here."
    )
    log_name = "test-drive"

    @cached_property
    def vehicle(self):
        vehicle = selectors.vehicle_bookable(vehicle_id=self.kwargs["vehicle_id"])
        if vehicle is None:
            raise Http404(_("This car cannot be booked for a test drive."))
        return vehicle

    @property
    def spam_url(self):
        return self.vehicle.get_absolute_url()

    def get_form_kwargs(self):
        return {"region": self.vehicle.selling_location.country}

    def get_context_data(self, *, form, alternatives=(), **context):
        availability = selectors.vehicle_availability(vehicle=self.vehicle)
        chosen = form.cleaned_data.get("slot") if hasattr(form, "cleaned_data") else None
        return {
            "vehicle": self.vehicle,
            "location": self.vehicle.selling_location,
            "form": form,
            "days": availability.days(),
            "alternatives": list(alternatives),
            "chosen": chosen.isoformat() if chosen else "",
            "settings": availability.settings,
            **context,
        }

    def submit(self, form):
        data = form.service_data()
        try:
            booking = booking_create_from_web(
                vehicle=self.vehicle,
                start=data.pop("slot"),
                **data,
                marketing_consent=form.consent_given(MARKETING),
                consent_wording=form.consent_wording(MARKETING),
                language=self.language,
            )
        except SlotTaken as taken:
            form.add_error("slot", taken.message)
            return self.form_invalid(form, status=409, alternatives=taken.alternatives)
        url = reverse("testdrives:manage", args=[manage_token(booking_id=booking.pk)])
        return redirect(f"{url}?booked=1")

    def service_error(self, form, error):
        _add_error(form, error)
        return self.form_invalid(form)


book = BookView.as_view()


def _booking_from_token(request, token: str):
    """(booking, None) or (None, the error page): forged, expired, or gone."""
    try:
        booking_id = booking_id_from_token(token)
    except signing.SignatureExpired:
        return None, render(request, "testdrives/link_invalid.html", {"expired": True}, status=410)
    except signing.BadSignature:
        return None, render(request, "testdrives/link_invalid.html", {"expired": False}, status=400)
    booking = selectors.booking_for_customer(booking_id=booking_id)
    if booking is None:
        return None, render(request, "testdrives/link_invalid.html", {"gone": True}, status=404)
    return booking, None


def _manage_page(request, booking, token, *, form=None, alternatives=(), status=200):
    can_change = booking.status in (*OPEN_STATUSES, Booking.Status.NO_SHOW) and (
        booking.vehicle.is_public
    )
    days = []
    if can_change:
        days = selectors.vehicle_availability(
            vehicle=booking.vehicle, ignore_booking=booking
        ).days()
    context = {
        "booking": booking,
        "token": token,
        "days": days,
        "form": form or RescheduleForm(),
        "cancel_form": CancelForm(),
        "can_change": can_change,
        "can_cancel": booking.status in OPEN_STATUSES,
        "alternatives": alternatives,
        "booked": request.GET.get("booked") == "1",
        "chosen": "",
    }
    return render(request, "testdrives/manage.html", context, status=status)


@require_http_methods(["GET"])
def manage(request, token: str):
    booking, error = _booking_from_token(request, token)
    if error:
        return error
    return _manage_page(request, booking, token)


@require_POST
def reschedule(request, token: str):
    booking, error = _booking_from_token(request, token)
    if error:
        return error
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, booking, token, form=form, status=400)
    try:
        booking_reschedule(booking=booking, start=form.cleaned_data["slot"])
    except SlotTaken as taken:
        form.add_error("slot", taken.message)
        return _manage_page(
            request, booking, token, form=form, alternatives=taken.alternatives, status=409
        )
    except ValidationError as error:
        _add_error(form, error)
        return _manage_page(request, booking, token, form=form, status=400)
    messages.success(request, _("Your test drive has moved. We have sent you a new confirmation."))
    return redirect("testdrives:manage", token=token)


@require_POST
def cancel(request, token: str):
    booking, error = _booking_from_token(request, token)
    if error:
        return error
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, booking, token, status=400)
    try:
        booking_cancel_by_customer(
            booking=booking,
            reason=form.cleaned_data["reason"],
            lost_reason=form.cleaned_data["why"],
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _manage_page(request, booking, token, status=400)
    messages.success(request, _("Your test drive is cancelled."))
    return redirect("testdrives:manage", token=token)


# --- Staff ----------------------------------------------------------------------------------


@staff_required
def calendar(request):
    locations = location_list_for_user(user=request.user).prefetch_related("opening_hours")
    form = CalendarForm(request.GET or None, locations=locations)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    location = data.get("location") or locations.first()
    if location is None:
        return render(request, "testdrives/calendar.html", {"form": form, "location": None})
    view = data.get("view") or "week"
    by = data.get("by") or "vehicle"
    day = data.get("date") or location.localtime().date()
    first_day = day - datetime.timedelta(days=day.weekday()) if view == "week" else day
    days = 7 if view == "week" else 1
    grid = selectors.calendar(
        user=request.user, location=location, first_day=first_day, days=days, by=by
    )
    step = datetime.timedelta(days=days)
    context = {
        "form": form,
        "location": location,
        "view": view,
        "by": by,
        "first_day": first_day,
        "previous_day": first_day - step,
        "next_day": first_day + step,
        "today": location.localtime().date(),
        **grid,
    }
    return render(request, "testdrives/calendar.html", context)


def _staff_scope(request):
    locations = location_list_for_user(user=request.user)
    return locations, vehicles_for_booking(locations)


def _phone_booking_forms(request, locations, vehicles):
    """The search (GET) and the booking form, listing the customers found, the vehicles of
    the chosen location that match the search and the consultants who work there; the
    booking form accepts any customer, vehicle and consultant the staff member may see."""
    search = CustomerVehicleSearchForm(request.GET, locations=locations)
    query = search.cleaned_data if search.is_valid() else {}
    chosen_vehicle = vehicles.filter(
        pk=_int(request.POST.get("vehicle") or request.GET.get("vehicle"))
    ).first()
    location = query.get("location") or (
        chosen_vehicle.location if chosen_vehicle else locations.first()
    )
    customers = customer_list_for_user(user=request.user)
    shown_customers = customer_search_for_user(user=request.user, q=query.get("customer_q", ""))
    chosen_customer = customers.filter(
        pk=_int(request.POST.get("customer") or request.GET.get("customer"))
    ).first()
    if chosen_customer is not None and chosen_customer not in shown_customers:
        shown_customers.insert(0, chosen_customer)
    shown_vehicles = []
    if location is not None:
        shown_vehicles = list(
            selectors.vehicle_search(
                selectors.vehicles_for_staff_booking(location=location),
                query.get("vehicle_q", ""),
            )
        )
    if chosen_vehicle is not None and chosen_vehicle not in shown_vehicles:
        shown_vehicles.insert(0, chosen_vehicle)
    form = StaffBookingForm(
        request.POST or None,
        customers=customers,
        vehicles=vehicles,
        consultants=consultants_for_locations(user=request.user),
        shown_customers=shown_customers,
        shown_vehicles=shown_vehicles,
        shown_consultants=selectors.consultants_at(location_id=location.pk) if location else [],
        initial={
            "vehicle": chosen_vehicle.pk if chosen_vehicle else None,
            "customer": chosen_customer.pk if chosen_customer else None,
        },
    )
    return search, form, location


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@staff_required
@require_http_methods(["GET", "POST"])
def staff_book(request):
    locations, vehicles = _staff_scope(request)
    search, form, location = _phone_booking_forms(request, locations, vehicles)
    status = 200
    alternatives = []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = booking_create_by_staff(
                    vehicle=data["vehicle"],
                    start=data["start"],
                    by=request.user,
                    customer=data["customer"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone=data["phone"],
                    consultant=data["consultant"],
                    message=data["message"],
                    licence_confirmed=data["licence_confirmed"],
                )
            except SlotTaken as taken:
                form.add_error("start", taken.message)
                alternatives = taken.alternatives
                status = 409
            except ValidationError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("Test drive booked."))
                return redirect("testdrives:detail", pk=booking.pk)
    return render(
        request,
        "testdrives/staff_book.html",
        {
            "search": search,
            "form": form,
            "location": location,
            "searched": bool(request.GET.get("customer_q", "").strip()),
            "alternatives": alternatives,
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def block(request):
    _locations, vehicles = _staff_scope(request)
    form = BlockForm(
        request.POST or None, vehicles=vehicles, initial={"vehicle": request.GET.get("vehicle")}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                blocked = vehicle_block(
                    vehicle=data["vehicle"],
                    start=data["start"],
                    end=data["end"],
                    reason=data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("Vehicle blocked."))
                return redirect("testdrives:detail", pk=blocked.pk)
    return render(request, "testdrives/block.html", {"form": form}, status=status)


def _get_booking(request, pk: int) -> Booking:
    try:
        return selectors.booking_get_for_user(user=request.user, pk=pk)
    except Booking.DoesNotExist:
        raise Http404(_("No such booking.")) from None


def _detail(request, booking, *, status=200, **forms):
    consultants = selectors.consultants_at(location_id=booking.location_id)
    tz = booking.location.tzinfo
    context = {
        "booking": booking,
        "next_statuses": [
            Booking.Status(s)
            for s in sorted(ALLOWED_TRANSITIONS.get(booking.status, ()))
            if s != Booking.Status.COMPLETED
        ],
        "can_complete": booking.status == Booking.Status.CHECKED_IN
        and booking.kind == Booking.Kind.DRIVE,
        "status_form": forms.get("status_form") or StatusForm(),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(consultants=consultants, initial={"consultant": booking.consultant_id}),
        "reschedule_form": forms.get("reschedule_form") or StaffRescheduleForm(tz=tz),
        "manage_url": reverse("testdrives:manage", args=[manage_token(booking_id=booking.pk)]),
        "now": timezone.now(),
    }
    return render(request, "testdrives/detail.html", context, status=status)


# --- One tap from the staff home (Today) ---------------------------------------------------
# Today's rows post here with `from=today`: the booking must be the consultant's own (a
# manager may act on any of his locations'), an htmx post gets the row back to swap in place,
# and a plain post goes back to Today (or, refused, to the booking's page with the reason).


def _from_today(request) -> bool:
    return request.POST.get("from") == "today"


def _get_today_booking(request, pk: int) -> Booking:
    booking = _get_booking(request, pk)
    if booking.consultant_id != request.user.pk and not request.user.has_role(*MANAGER_ROLES):
        raise Http404(_("No such booking."))
    return booking


def _today_row(request, booking, *, error: str = "", status: int = 200):
    if request.htmx:
        booking = _get_booking(request, booking.pk)
        return render(
            request,
            "testdrives/partials/today_drive.html",
            {"booking": booking, "error": error},
            status=status,
        )
    messages.success(request, _("Test drive updated."))
    return redirect("staff-home")


@staff_required
def booking_detail(request, pk: int):
    return _detail(request, _get_booking(request, pk))


@staff_required
@require_POST
def booking_status(request, pk: int):
    today = _from_today(request)
    booking = _get_today_booking(request, pk) if today else _get_booking(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        if today and request.htmx:
            return _today_row(request, booking, error=_form_errors(form), status=400)
        return _detail(request, booking, status_form=form, status=400)
    data = form.cleaned_data
    try:
        booking_transition(
            booking=booking,
            to_status=data["to_status"],
            by=request.user,
            reason=data["reason"],
            cancelled_by=data["cancelled_by"],
            lost_reason=data["lost_reason"],
        )
    except ValidationError as error:
        if today and request.htmx:
            return _today_row(request, booking, error=_errors(error), status=400)
        _add_error(form, error)
        return _detail(request, booking, status_form=form, status=400)
    if today:
        return _today_row(request, booking)
    messages.success(request, _("Status changed."))
    return redirect("testdrives:detail", pk=pk)


@staff_required
@require_POST
def booking_complete_view(request, pk: int):
    today = _from_today(request)
    booking = _get_today_booking(request, pk) if today else _get_booking(request, pk)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        if today and request.htmx:
            return _today_row(request, booking, error=_form_errors(form), status=400)
        return _detail(request, booking, complete_form=form, status=400)
    try:
        booking_complete(
            booking=booking,
            outcome=form.cleaned_data["outcome"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        if today and request.htmx:
            return _today_row(request, booking, error=_errors(error), status=400)
        _add_error(form, error)
        return _detail(request, booking, complete_form=form, status=400)
    if today:
        return _today_row(request, booking)
    messages.success(request, _("Test drive completed; the next task is on the list."))
    return redirect("testdrives:detail", pk=pk)


@staff_required
@require_POST
def booking_assign_view(request, pk: int):
    booking = _get_booking(request, pk)
    form = AssignForm(
        request.POST, consultants=selectors.consultants_at(location_id=booking.location_id)
    )
    if not form.is_valid():
        return _detail(request, booking, assign_form=form, status=400)
    try:
        booking_assign(booking=booking, consultant=form.cleaned_data["consultant"], by=request.user)
    except ValidationError as error:
        _add_error(form, error)
        return _detail(request, booking, assign_form=form, status=400)
    messages.success(request, _("Consultant assigned."))
    return redirect("testdrives:detail", pk=pk)


@staff_required
@require_POST
def booking_reschedule_view(request, pk: int):
    booking = _get_booking(request, pk)
    form = StaffRescheduleForm(request.POST, tz=booking.location.tzinfo)
    if not form.is_valid():
        return _detail(request, booking, reschedule_form=form, status=400)
    try:
        booking_reschedule(booking=booking, start=form.cleaned_data["start"], by=request.user)
    except SlotTaken as taken:
        form.add_error("start", taken.message)
        return _detail(request, booking, reschedule_form=form, status=409)
    except ValidationError as error:
        _add_error(form, error)
        return _detail(request, booking, reschedule_form=form, status=400)
    messages.success(request, _("Test drive moved; the customer has a new confirmation."))
    return redirect("testdrives:detail", pk=pk)
