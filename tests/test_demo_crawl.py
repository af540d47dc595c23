"""The demo crawl: seed the demo dealership (`seed_demo`), then open every staff, customer and
admin page for every object the seed creates, as each kind of visitor, and expect no 5xx.

The URL list comes from the URL resolver (tests/security/routes.py, the route matrix's walk):
each pattern's parameters are filled with the demo objects of the right model (PARAMETERS,
by url name), the Django admin adds every registered ModelAdmin's changelist, add page and
the change pages of a few objects of each model, and the customer-facing pages are opened with
the signed links of the customers who own the orders, bookings and cars.

Only GETs. Every response >= 500 (or exception) is collected and reported at once with the URL,
the visitor and the exception. 403/404/405/302 are fine: who may open what is the route
matrix's business (tests/security/test_route_matrix.py), not this test's.

One test function, in the test's own transaction (rolled back at the end, nothing leaks into
the rest of the suite); each request runs in a savepoint that is rolled back too, so one page's
side effects (a view counter, a claimed token) cannot change what the next page sees.
"""

import time
import traceback
from collections.abc import Callable, Iterable

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.security.routes import all_routes

pytestmark = pytest.mark.django_db

# Detail pages: every demo object. Actions behind them (POST-only, a GET is 405): a few.
FEW = 3
ADMIN_OBJECTS = 3

# Never GET these during the crawl: they end the visitor's session.
SKIP = {"accounts:logout", "admin:logout"}


def _all(model, field="pk", **filters) -> list:
    return list(model.objects.filter(**filters).order_by("pk").values_list(field, flat=True))


def _few(model, field="pk") -> list:
    return _all(model, field)[:FEW]


def _kw(name: str, values: Iterable) -> list[dict]:
    return [{name: value} for value in values]


def _vehicle_sample() -> list[int]:
    """The demo has hundreds of cars: their pages all get opened (inventory:vehicle); the
    forms behind them (enquire, book, buy) for one car of each location and status, and the
    cars that have orders or test drives."""
    from inventory.models import Vehicle
    from orders.models import Order
    from testdrives.models import Booking

    first: dict[tuple, int] = {}
    for pk, location, status in Vehicle.objects.order_by("pk").values_list(
        "pk", "location_id", "status"
    ):
        first.setdefault((location, status), pk)
    busy = set(Order.objects.values_list("vehicle_id", flat=True)[:FEW])
    busy |= set(Booking.objects.values_list("vehicle_id", flat=True)[:FEW])
    return sorted(set(first.values()) | busy)


# Staff and public routes: url name -> the kwargs of every demo object it shows.
def _staff_parameters() -> dict[str, Callable[[], list[dict]]]:
    from aftersales.models import Complaint, ServiceAppointment
    from dealership.accounts.models import Location
    from dealership.messaging.models import OutboxMessage
    from dealership.reports.panels import PANELS
    from inventory.models import Vehicle
    from leads.models import Customer, Lead, Task
    from orders.models import Order, Payment, Quote
    from testdrives.models import Booking

    vehicles = lambda: _kw("vehicle_id", _vehicle_sample())  # noqa: E731
    leads_few = lambda: _kw("pk", _few(Lead))  # noqa: E731
    bookings_few = lambda: _kw("pk", _few(Booking))  # noqa: E731
    appointments_few = lambda: _kw("pk", _few(ServiceAppointment))  # noqa: E731
    quotes_few = lambda: _kw("pk", _few(Quote))  # noqa: E731
    customers = lambda: _kw("pk", _all(Customer))  # noqa: E731
    return {
        "location-detail": lambda: _kw("slug", _all(Location, "slug")),
        "inventory:vehicle": lambda: _kw("slug", _all(Vehicle, "slug")),
        "inventory:vehicle-payment": lambda: _kw("slug", _few(Vehicle, "slug")),
        "leads:vehicle-enquiry": vehicles,
        "testdrives:book": vehicles,
        "orders:start": vehicles,
        "orders:breakdown": lambda: _kw("vehicle_id", _few(Vehicle)),
        "leads:lead_detail": lambda: _kw("pk", _all(Lead)),
        "leads:pipeline_move": leads_few,
        "leads:lead_activity": leads_few,
        "leads:lead_status": leads_few,
        "leads:lead_assign": leads_few,
        "leads:lead_task": leads_few,
        "leads:cadence_pause": leads_few,
        "leads:cadence_resume": leads_few,
        "leads:cadence_stop": leads_few,
        "leads:task_done": lambda: _kw("pk", _few(Task)),
        "leads:customer_detail": customers,
        "privacy:customer_export": customers,
        "privacy:customer_export_json": lambda: _kw("pk", _few(Customer)),
        "privacy:customer_erase": customers,
        "messaging:outbox-cancel": lambda: _kw("pk", _few(OutboxMessage)),
        "reports:panel": lambda: _kw("name", PANELS),
        "aftersales:appointment_detail": lambda: _kw("pk", _all(ServiceAppointment)),
        "aftersales:check_in": appointments_few,
        "aftersales:complete": appointments_few,
        "aftersales:complaint_detail": lambda: _kw("pk", _all(Complaint)),
        "testdrives:detail": lambda: _kw("pk", _all(Booking)),
        "testdrives:status": bookings_few,
        "testdrives:complete": bookings_few,
        "testdrives:assign": bookings_few,
        "testdrives:staff_reschedule": bookings_few,
        "orders:detail": lambda: _kw("pk", _all(Order)),
        "orders:action": lambda: [
            {"pk": pk, "action": action}
            for pk in _few(Order)
            for action in ("adjust", "decision", "schedule", "hand-over", "cancel")
        ],
        "orders:quote": lambda: _kw("pk", _all(Quote)),
        "orders:quote-print": lambda: _kw("pk", _all(Quote)),
        "orders:quote-send": quotes_few,
        "orders:quote-accept": quotes_few,
        "orders:test-checkout": lambda: _kw(
            "reference", _all(Payment, "provider_reference", provider="test")
        ),
    }


def _customer_links() -> dict[str, list[str]]:
    """Each demo customer's own signed links, by customer: their orders, test drives, cars,
    service visits, e-mail preferences, saved searches and surveys."""
    from aftersales.models import OwnedVehicle, ServiceAppointment
    from aftersales.tokens import add_vehicle_token, appointment_token, booking_token
    from dealership.messaging.tokens import unsubscribe_token
    from inventory.models import SavedSearch
    from leads.models import Customer
    from orders.models import Order
    from orders.tokens import order_token
    from surveys.models import Invitation
    from surveys.services import token_new
    from testdrives.models import Booking
    from testdrives.tokens import manage_token

    links: dict[str, list[str]] = {}

    def add(owner, name, **kwargs):
        links.setdefault(str(owner), []).append(reverse(name, kwargs=kwargs))

    for order in Order.objects.select_related("customer").order_by("pk"):
        token = order_token(order)
        for name in ("orders:track", "orders:contract", "orders:contract-pdf"):
            add(order.customer, name, token=token)
    for booking in Booking.objects.order_by("pk"):
        owner = getattr(booking, "customer", None) or getattr(booking, "email", "") or booking.pk
        add(owner, "testdrives:manage", token=manage_token(booking_id=booking.pk))
    for car in OwnedVehicle.objects.select_related("customer").order_by("pk"):
        add(car.customer, "aftersales:book", token=booking_token(owned_vehicle=car))
        add(car.customer, "aftersales:vehicle_add", token=add_vehicle_token(customer=car.customer))
    for appointment in ServiceAppointment.objects.select_related(
        "owned_vehicle__customer"
    ).order_by("pk"):
        add(
            appointment.owned_vehicle.customer,
            "aftersales:appointment",
            token=appointment_token(appointment=appointment),
        )
    for customer in Customer.objects.exclude(email="").order_by("pk"):
        add(
            customer,
            "messaging:preferences",
            token=unsubscribe_token(channel="email", address=customer.email),
        )
    for saved in SavedSearch.objects.order_by("pk"):
        add(saved.email, "inventory:saved-search-unsubscribe", token=saved.token)
    # Survey links are stored hashed: give each demo invitation a fresh link to open.
    for invitation in Invitation.objects.order_by("pk"):
        token, hashed = token_new()
        Invitation.objects.filter(pk=invitation.pk).update(token_hash=hashed)
        add(getattr(invitation, "customer", None) or invitation.pk, "surveys:answer", token=token)
    return links


CUSTOMER_ROUTES = {
    "orders:track",
    "orders:contract",
    "orders:contract-pdf",
    "testdrives:manage",
    "aftersales:book",
    "aftersales:vehicle_add",
    "aftersales:appointment",
    "messaging:preferences",
    "inventory:saved-search-unsubscribe",
    "surveys:answer",
}


def _admin_urls() -> list[str]:
    """Every registered ModelAdmin's changelist and add page, the change page of a few
    objects of each model, and each app's index."""
    urls = [reverse("admin:index")]
    app_labels = set()
    for model in admin.site._registry:
        opts = model._meta
        app_labels.add(opts.app_label)
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{base}_changelist"))
        urls.append(reverse(f"{base}_add"))
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[
            :ADMIN_OBJECTS
        ]:
            urls.append(reverse(f"{base}_change", args=[pk]))
    urls += [reverse("admin:app_list", kwargs={"app_label": label}) for label in sorted(app_labels)]
    return urls


def _site_urls() -> list[tuple[str, str]]:
    """(url name, url) of every public and staff page, for every demo object."""
    parameters = _staff_parameters()
    urls: list[tuple[str, str]] = []
    unfilled = []
    for route in all_routes():
        if route.url is None or route.key in SKIP or route.key.startswith("admin:"):
            continue
        if route.key in CUSTOMER_ROUTES:
            continue
        if route.key in parameters:
            for kwargs in parameters[route.key]():
                urls.append((route.key, reverse(route.key, kwargs=kwargs)))
        else:
            if "<" in route.pattern or "(?P<" in route.pattern:
                unfilled.append(route.key)
            # No parameters (or none the demo has objects for): the walk's own URL.
            urls.append((route.key, route.url))
    return urls, unfilled


DETAIL_PAGES = (
    "leads:lead_detail",
    "leads:customer_detail",
    "aftersales:appointment_detail",
    "aftersales:complaint_detail",
    "testdrives:detail",
    "orders:detail",
    "orders:quote",
    "reports:panel",
)


def _few_per_route(pages: list[tuple[str, str]], keep=()) -> list[tuple[str, str]]:
    shown: dict[str, int] = {}
    few = []
    for name, url in pages:
        shown[name] = shown.get(name, 0) + 1
        if shown[name] <= FEW or name in keep:
            few.append((name, url))
    return few


def _visit(client: Client, url: str) -> tuple[int | None, str]:
    """GET url in a savepoint that is rolled back; (status, exception text or "")."""
    sid = transaction.savepoint()
    try:
        response = client.get(url)
        status, error = response.status_code, ""
        if status >= 500:
            error = getattr(response, "content", b"")[:300].decode(errors="replace")
    except Exception as exc:  # the test client re-raises the view's exception
        status = None
        error = "".join(traceback.format_exception_only(exc)).strip()
        tb = traceback.extract_tb(exc.__traceback__)
        ours = [frame for frame in tb if "/.venv/" not in frame.filename]
        if ours:
            frame = ours[-1]
            error += f"  (at {frame.filename.split('/wt/')[-1]}:{frame.lineno})"
    finally:
        transaction.savepoint_rollback(sid)
    return status, error


def _staff_client(username: str) -> Client:
    from dealership.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.timeout(900)  # ~3 minutes on an idle machine; far more on a busy one
def test_every_demo_page_answers_every_visitor_without_a_server_error(capsys):
    started = time.monotonic()
    call_command("seed_demo")
    seeded = time.monotonic()

    site_urls, unfilled = _site_urls()
    admin_urls = _admin_urls()
    customer_links = _customer_links()

    # The staff pages the brief names explicitly are in the list.
    from orders.models import Order

    urls = {url for _name, url in site_urls}
    assert "/staff/customers/duplicates/" in urls
    assert all(f"/staff/orders/{pk}/" in urls for pk in Order.objects.values_list("pk", flat=True))
    assert Order.objects.exists()
    assert customer_links

    failures: list[str] = []
    visits = 0
    seconds: dict[str, float] = {}
    statuses: dict[tuple[str, str], set] = {}

    def visit(role: str, client: Client, name: str, url: str) -> None:
        nonlocal visits
        began = time.monotonic()
        status, error = _visit(client, url)
        seconds[name] = seconds.get(name, 0.0) + time.monotonic() - began
        visits += 1
        statuses.setdefault((role.split()[0], name), set()).add(status)
        if status is None or status >= 500:
            failures.append(f"{role:<24} GET {url} -> {status}: {error}")

    staff_pages = [(n, u) for n, u in site_urls if u.startswith("/staff/")]
    public_pages = [(n, u) for n, u in site_urls if not u.startswith("/staff/")]
    # Logged-in staff see the showroom too (it may render differently for them): a few
    # objects of each public page.
    public_few = _few_per_route(public_pages)
    admin_pages = [("admin", url) for url in admin_urls]
    # The superuser opens every page of every object. The manager of every location: every
    # object's main page (the actions behind it, a few). Staff of one location, and visitors
    # who get no further than a login or a 403: a few objects of each page (every order's
    # page, though).
    staff_few = _few_per_route(staff_pages, keep=("orders:detail",))
    staff_main = _few_per_route(staff_pages, keep=DETAIL_PAGES)
    admin_lists = [("admin", url) for url in admin_urls if not url.endswith("/change/")]
    plan = {
        "anonymous": (Client(), public_pages + staff_few + admin_lists),
        "consultant": (_staff_client("anna"), public_few + staff_few + admin_lists),
        "service advisor": (_staff_client("advisor"), public_few + staff_few + admin_lists),
        "manager": (_staff_client("manager"), public_few + staff_main + admin_pages),
        "superuser": (_staff_client("admin"), public_few + staff_pages + admin_pages),
    }
    for role, (client, pages) in plan.items():
        for name, url in pages:
            visit(role, client, name, url)
    # A demo customer: a browser of their own, holding their own signed links.
    for owner, links in customer_links.items():
        client = Client()
        for url in links:
            visit(f"customer {owner}", client, url.split("/")[1], url)

    with capsys.disabled():
        print(
            f"\ndemo crawl: {len(site_urls)} site + {len(admin_urls)} admin URLs x "
            f"{len(plan)} roles (public pages: {FEW} per route for staff) + "
            f"{sum(len(v) for v in customer_links.values())} customer links of "
            f"{len(customer_links)} customers = {visits} visits; seed {seeded - started:.0f} s, "
            f"crawl {time.monotonic() - seeded:.0f} s; unfilled parameters: {unfilled}"
        )
        print(", ".join(f"{role}: {len(pages)} URLs" for role, (_c, pages) in plan.items()))
        slowest = sorted(seconds.items(), key=lambda item: -item[1])[:8]
        print("slowest routes (s):", ", ".join(f"{k} {v:.1f}" for k, v in slowest))
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
    # The crawl reached the pages, not only logins and refusals.
    assert statuses["superuser", "orders:detail"] == {200}
    assert statuses["manager", "leads:lead_detail"] == {200}
    assert statuses["superuser", "leads:duplicates"] == {200}
    assert statuses["anonymous", "inventory:vehicle"] <= {200, 404}
    assert 200 in statuses["customer", "orders"]
    assert 200 in statuses["superuser", "admin"]
    assert statuses["anonymous", "orders:detail"] == {302}
