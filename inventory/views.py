import json

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from dealership.accounts.public_forms import ALERT, PublicFormView, RateLimit
from dealership.core import caching

from . import visitor
from .cards import cards_attach
from .forms import SavedSearchForm, Sort, VehicleSearchForm
from .fragments import vehicle_body_key
from .models import SavedSearch, Vehicle
from .page_cache import anonymous_page_cache, hole_context
from .page_views import count_vehicle_views
from .pricing import payment_plan, price_breakdown
from .saved_searches import normalise_query, saved_search_cancel, saved_search_create
from .selectors import (
    vehicle_get_public,
    vehicle_list_by_ids,
    vehicle_search_facets,
    vehicle_search_page,
    vehicle_similar,
)

SAVED_SEARCH_RATE = (5, 3600)  # per client address: 5 saved searches an hour


def _search_context(request) -> dict:
    form = VehicleSearchForm(request.GET)
    filters = form.filters()
    page = vehicle_search_page(filters=filters)
    cards_attach(page.vehicles)
    facets = vehicle_search_facets(filters=filters)
    base = request.GET.copy()
    for key in ("after", "before"):
        base.pop(key, None)
    return {
        "form": form,
        "filters": filters,
        "active_filter_count": filters.active_count,
        "page": page,
        "facets": facets,
        "query": base.urlencode(),
        "search_query": normalise_query(base.urlencode()),
        # The filter column depends only on the filters (and the facets they select): cached
        # per facets key (caching.FILTERS), unless the form has errors to show.
        "filters_cache_key": ""
        if form.errors or not caching.enabled(caching.FILTERS.name)
        else f"{facets.cache_key}:{filters.sort}",
        "filters_cache_seconds": caching.FILTERS.seconds,
        "sort_choices": Sort.CHOICES,
        **_visitor_lists(request),
    }


def _visitor_lists(request) -> dict:
    return {**visitor.visitor_context(request), **hole_context(request)}


# Read-only: no transaction around the request (ATOMIC_REQUESTS would add two round trips to
# every page, a cache hit included).
@transaction.non_atomic_requests
@require_safe
@anonymous_page_cache
def vehicle_search(request):
    """The showroom search. All state lives in the query string; htmx swaps the results
    area, and the same URL renders the full page without JavaScript."""
    context = _search_context(request)
    if request.htmx and not request.htmx.boosted:
        return render(request, "inventory/partials/search_area.html", context)
    return render(request, "inventory/search.html", context)


def _breakdown(vehicle: Vehicle):
    location = vehicle.location
    return price_breakdown(
        price=vehicle.price,
        documentation_fee=location.documentation_fee,
        tax_rate=location.sales_tax_rate,
        registration=settings.VEHICLE_REGISTRATION_ESTIMATE,
        currency=settings.CURRENCY,
        tax_included=location.prices_include_tax,
        margin_scheme=vehicle.margin_scheme,
    )


def _calculator(request, vehicle: Vehicle, breakdown) -> dict:
    from .forms import PaymentCalculatorForm

    form = PaymentCalculatorForm(request.GET or None, initial={"term": 60})
    values = (
        PaymentCalculatorForm(request.GET).values()
        if request.GET
        else {
            **PaymentCalculatorForm.DEFAULTS,
            "term": 60,
        }
    )
    plan = payment_plan(
        total=breakdown.total,
        down_payment=values["down_payment"],
        trade_in=values["trade_in"],
        apr=values["apr"],
        term_months=values["term"],
    )
    return {"calculator_form": form, "plan": plan}


def _json_ld(request, vehicle: Vehicle, photos) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Car",
        "name": f"{vehicle.model_year} {vehicle.make} {vehicle.model} {vehicle.trim}".strip(),
        "brand": {"@type": "Brand", "name": vehicle.make},
        "model": vehicle.model,
        "vehicleIdentificationNumber": vehicle.vin,
        "sku": vehicle.stock_number,
        "vehicleModelDate": str(vehicle.model_year),
        "bodyType": vehicle.get_body_type_display(),
        "fuelType": vehicle.get_fuel_display(),
        "vehicleTransmission": vehicle.get_transmission_display(),
        "driveWheelConfiguration": vehicle.get_drivetrain_display(),
        "numberOfDoors": vehicle.doors,
        "seatingCapacity": vehicle.seats,
        "color": vehicle.exterior_colour_name or vehicle.get_exterior_colour_display(),
        "itemCondition": {
            Vehicle.Condition.NEW: "https://schema.org/NewCondition",
        }.get(vehicle.condition, "https://schema.org/UsedCondition"),
        "mileageFromOdometer": {
            "@type": "QuantitativeValue",
            "value": vehicle.mileage,
            "unitCode": "KMT",
        },
        "offers": {
            "@type": "Offer",
            "price": str(vehicle.price),
            "priceCurrency": settings.CURRENCY,
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "price": str(vehicle.price),
                "priceCurrency": settings.CURRENCY,
                "valueAddedTaxIncluded": vehicle.location.prices_include_tax,
            },
            "availability": "https://schema.org/InStock"
            if vehicle.status == Vehicle.Status.AVAILABLE
            else "https://schema.org/SoldOut",
            "url": request.build_absolute_uri(vehicle.get_absolute_url()),
        },
    }
    if photos:
        data["image"] = [request.build_absolute_uri(p.gallery_url) for p in photos[:5]]
    # Escape <, > and & so the data block can never close the script element.
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


# Read-only: no transaction around the request (ATOMIC_REQUESTS would add two round trips to
# every page, a cache hit included).
@transaction.non_atomic_requests
@require_safe
@count_vehicle_views
@anonymous_page_cache
def vehicle_detail(request, slug):
    vehicle = vehicle_get_public(slug_stock=slug)
    if vehicle is None or vehicle.status == Vehicle.Status.DRAFT:
        raise Http404(_("No vehicle with that stock number."))
    if vehicle.slug != slug:
        return HttpResponseRedirect(vehicle.get_absolute_url(), status=301)
    similar = vehicle_similar(vehicle=vehicle)
    cards_attach(similar)
    if vehicle.status in (Vehicle.Status.SOLD, Vehicle.Status.ARCHIVED):
        status = 410 if vehicle.status == Vehicle.Status.ARCHIVED else 200
        return render(
            request,
            "inventory/vehicle_gone.html",
            {"vehicle": vehicle, "similar": similar, **_visitor_lists(request)},
            status=status,
        )
    breakdown = _breakdown(vehicle)
    photos = vehicle.ready_photos
    context = {
        "vehicle": vehicle,
        "photos": photos,
        "breakdown": breakdown,
        "similar": similar,
        # Called by the template only when the page's head is rendered (not when it comes from
        # the fragment cache).
        "json_ld": lambda: _json_ld(request, vehicle, photos),
        "canonical_url": request.build_absolute_uri(vehicle.get_absolute_url()),
        "og_image": request.build_absolute_uri(photos[0].gallery_url) if photos else "",
        **_visitor_lists(request),
        **_calculator(request, vehicle, breakdown),
    }
    if getattr(request, "page_cache_holes", None) is not None:
        context["vehicle_body_key"] = vehicle_body_key(
            vehicle=vehicle,
            query=sorted(request.GET.lists()),
            site=(request.scheme, request.get_host()),
        )
    return render(request, "inventory/vehicle_detail.html", context)


@require_safe
def vehicle_payment(request, slug):
    """The payment calculator alone (htmx swaps it in as the inputs change)."""
    vehicle = get_object_or_404(
        Vehicle.objects.select_related("location").filter(
            status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED]
        ),
        slug=slug,
    )
    breakdown = _breakdown(vehicle)
    context = {
        "vehicle": vehicle,
        "breakdown": breakdown,
        **_calculator(request, vehicle, breakdown),
    }
    if request.htmx:
        return render(request, "inventory/partials/payment_result.html", context)
    return redirect(f"{vehicle.get_absolute_url()}?{request.GET.urlencode()}#payment")


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: a bare word would be taken for a URL name by redirect() (a
    # 500), a control character has no place in a Location header.
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def _toggle(request, name: str):
    try:
        vehicle_id = int(request.POST.get("vehicle", ""))
    except ValueError:
        vehicle_id = None
    vehicle = (
        Vehicle.objects.filter(
            pk=vehicle_id, status__in=[Vehicle.Status.AVAILABLE, Vehicle.Status.RESERVED]
        )
        .only("pk", "make", "model", "model_year", "slug")
        .first()
        if vehicle_id
        else None
    )
    ids = visitor.visitor_ids(request, name)
    error = ""
    active = vehicle is not None and vehicle.pk in ids
    if vehicle is None:
        error = _("That vehicle is no longer available.")
    else:
        try:
            ids, active = visitor.toggled(ids, vehicle.pk, name)
        except visitor.ListFull:
            error = _("You can compare up to 4 vehicles. Remove one to add another.")
    if request.htmx:
        response = render(
            request,
            f"inventory/partials/{name}_button.html",
            {
                "vehicle": vehicle,
                "vehicle_id": vehicle_id,
                "active": active,
                "error": error,
                "count": len(ids),
                "next": _back(request, ""),
                **_visitor_lists(request),
            },
            status=404 if vehicle is None else 200,
        )
    else:
        if error:
            messages.error(request, error)
        response = redirect(_back(request, reverse(f"inventory:{name}")))
    if not error:
        visitor.store_visitor_ids(response, name, ids)
    return response


@require_http_methods(["GET", "POST"])
def compare(request):
    if request.method == "POST":
        return _toggle(request, visitor.COMPARE)
    vehicles = vehicle_list_by_ids(ids=visitor.visitor_ids(request, visitor.COMPARE))
    rows = [
        (_("Price"), "price"),
        (_("Year"), "model_year"),
        (_("Mileage"), "mileage"),
        (_("Condition"), "get_condition_display"),
        (_("Body type"), "get_body_type_display"),
        (_("Fuel"), "get_fuel_display"),
        (_("Transmission"), "get_transmission_display"),
        (_("Drivetrain"), "get_drivetrain_display"),
        (_("Engine / battery"), "engine"),
        (_("Colour"), "get_exterior_colour_display"),
        (_("Seats"), "seats"),
        (_("Doors"), "doors"),
        (_("Location"), "location"),
    ]
    return render(
        request,
        "inventory/compare.html",
        {
            "vehicles": vehicles,
            "rows": rows,
            **_visitor_lists(request),
            "compare_ids": [v.pk for v in vehicles],
        },
    )


@require_http_methods(["GET", "POST"])
def favourites(request):
    if request.method == "POST":
        return _toggle(request, visitor.FAVOURITES)
    vehicles = vehicle_list_by_ids(ids=visitor.visitor_ids(request, visitor.FAVOURITES))
    return render(
        request,
        "inventory/favourites.html",
        {
            "vehicles": vehicles,
            **_visitor_lists(request),
            "favourite_ids": [v.pk for v in vehicles],
        },
    )


class SavedSearchView(PublicFormView):
    """Save the search shown with an email alert; back to the search with a message."""

    http_method_names = ["post"]
    template_name = "inventory/saved_search_result.html"
    rate_limit = RateLimit("saved-search", *SAVED_SEARCH_RATE)
    log_name = "saved search"

    form_class = SavedSearchForm

    @cached_property
    def query(self) -> str:
        return normalise_query(self.request.POST.get("query", ""))

    @cached_property
    def back(self) -> str:
        search_url = reverse("inventory:search")
        return f"{search_url}?{self.query}" if self.query else search_url

    def get_form_kwargs(self):
        return {"query": self.query}

    def get_context_data(self, **context):
        return {**context, "back": self.back}

    def form_limited(self, form):
        return self.render_form(form, status=429, limited=True)

    def form_spam(self, form):
        form.is_valid()
        return self.form_invalid(form)  # refused openly: it sends nothing anyway

    def service_error(self, form, error):
        # What the form let through but the row cannot hold (a search longer than 1000
        # characters once normalised): refused whole, nothing saved.
        form.add_error(None, _("This search is too long to save. Remove a few filters."))
        return self.form_invalid(form)

    def submit(self, form):
        saved, created = saved_search_create(
            email=form.cleaned_data["email"],
            query=self.query,
            language=self.language,
            consent_wording=form.consent_wording(ALERT),
        )
        if created:
            messages.success(
                self.request,
                _("Search saved. We will email %(email)s when new cars match, at most once a day.")
                % {"email": escape(saved.email)},
            )
        else:
            messages.info(self.request, _("You already saved this search; the alert stays on."))
        return redirect(self.back)


saved_search_new = SavedSearchView.as_view()


@require_http_methods(["GET", "POST"])
def saved_search_unsubscribe(request, token):
    saved = get_object_or_404(SavedSearch, token=token)
    if request.method == "POST":
        saved_search_cancel(token=token)
        saved.refresh_from_db()
    return render(request, "inventory/saved_search_unsubscribe.html", {"saved": saved})
