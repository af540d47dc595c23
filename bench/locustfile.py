"""The load scenario: visitors and consultants on the site at once (run by bench/bench_load.py).

    locust -f bench/locustfile.py --headless -u 24 -r 4 -t 3m --host http://127.0.0.1:8000

Visitors browse and filter the showroom, open vehicle pages, send enquiries and book test
drives; consultants log in and work the lead inbox (open leads, log notes, look at the
test-drive calendar); one load-balancer probe asks /healthz every second (the floor). Every user behaves like a browser: it finds links and forms on the
pages it fetched, GETs a form before posting it and posts the CSRF token with the fields'
own default values. Nothing here knows a database id.

Every visitor comes through the same proxy with its own address in X-Forwarded-For (bench_load
runs the site with TRUSTED_PROXY_COUNT=1 and the production rate limits); each enquiry and
each booking is a new person (a new address, no cookies). People take a few seconds to fill
in a form, and most pick one of the earliest times offered, so bookings race for slots.

A booking that loses the race for a slot ("That slot was just taken", 409) is a correct
answer, not an error: it counts as a success and is also recorded under the separate name
"test drive: slot just taken" (type OUTCOME), like "test drive: no free slot" when a car's
page offers no time at all. Everything else that is not the expected status is a failure.

Settings (environment):
    LOAD_CONSULTANTS    comma-separated usernames consultants log in with (anna,jonas,ines,mikko)
    LOAD_PASSWORD       their password (showroom-demo)
    LOAD_SMOKE=1        every user runs each of its tasks once, in order, without pauses,
                        then the run stops (tests/security/test_load_scenario.py keeps the
                        scenario from rotting)
"""

import itertools
import os
import random
import re
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from locust import HttpUser, between, constant, task
from locust.exception import StopUser

SMOKE = os.environ.get("LOAD_SMOKE") == "1"
CONSULTANTS = [
    name.strip()
    for name in os.environ.get("LOAD_CONSULTANTS", "anna,jonas,ines,mikko").split(",")
    if name.strip()
]
PASSWORD = os.environ.get("LOAD_PASSWORD", "showroom-demo")
# Seconds a person takes to fill in a form after the page arrived.
FORM_FILL_SECONDS = (0.0, 0.0) if SMOKE else (2.0, 6.0)
# Most people pick one of the first times offered.
EARLIEST_SLOTS = 3

# What visitors filter by (the search form's own parameters).
FILTERS = [
    {},
    {"sort": "price"},
    {"sort": "-price"},
    {"make": "Volkswagen"},
    {"make": "BMW", "sort": "price"},
    {"body_type": "suv"},
    {"fuel": "electric", "sort": "price"},
    {"price_min": "15000", "price_max": "30000"},
    {"year_min": "2020", "mileage_max": "50000", "sort": "mileage"},
    {"transmission": "automatic", "sort": "-year"},
    {"q": "golf"},
]
INBOX_FILTERS = [
    {"status": "open"},
    {"scope": "location"},
    {"scope": "location", "sort": "due"},
    {"age": "7d", "sort": "oldest"},
    {"type": "test_drive"},
    {"q": "Tester"},
]

VEHICLE_LINK = re.compile(r'href="(/vehicles/[a-z0-9-]+/)"')
NEXT_LINK = re.compile(r'href="(\?[^"]*after=[^"]+)"')
LEAD_LINK = re.compile(r'href="/staff/leads/(\d+)/"')
SLOT_TAKEN = "That slot was just taken"
FLOOR_NAME = "floor: healthz"
NOT_VEHICLE_PAGES = {"/vehicles/compare/", "/vehicles/favourites/", "/vehicles/saved-searches/"}


class FormParser(HTMLParser):
    """The fields a browser would submit for one form (found by its action), with their
    defaults: hidden and text inputs, checked boxes and radios, selected options, textareas.
    Radio groups' choices are kept apart in `choices` (the slot picker's times)."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("action") == self.action:
            self.inside = self.found = True
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind == "radio":
                self.choices.setdefault(name, []).append(attrs.get("value") or "")
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or ""
            elif kind == "checkbox":
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or "on"
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            if self._select_first is None:
                self._select_first = value
                self.fields.setdefault(self._select, value)
            if "selected" in attrs:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self.inside and self._textarea:
            self.fields[self._textarea] += data


def parse_form(html: str, action: str) -> FormParser:
    parser = FormParser(action)
    parser.feed(html)
    return parser


def unique_person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {
        "first_name": "Load",
        "last_name": f"Tester {tag}",
        "email": f"load+{tag}@example.com",
        "phone": f"+49151{random.randrange(10**8):08d}",
    }


def fresh_address() -> str:
    """A client address as the proxy would forward it (10.0.0.0/8, random)."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def fill_in_the_form() -> None:
    time.sleep(random.uniform(*FORM_FILL_SECONDS))  # cooperative: locust patches time.sleep


def record_outcome(environment, name: str) -> None:
    """Count an expected, non-error outcome under its own name (type OUTCOME)."""
    environment.events.request.fire(
        request_type="OUTCOME",
        name=name,
        response_time=0,
        response_length=0,
        exception=None,
        context={},
    )


class SmokeMixin:
    """LOAD_SMOKE=1: run `smoke_sequence` once, then stop the run when every user is done."""

    finished: itertools.count = itertools.count(1)

    def smoke_done(self):
        expected = sum(cls.fixed_count for cls in (Visitor, Consultant, HealthProbe))
        if next(SmokeMixin.finished) >= expected:
            self.environment.runner.quit()
        raise StopUser


class Visitor(SmokeMixin, HttpUser):
    """Someone shopping for a car: search, filters, car pages, an enquiry, a test drive."""

    weight = 4
    fixed_count = 1 if SMOKE else 0
    wait_time = between(1, 3)

    def on_start(self):
        self.vehicle_pages: list[str] = []
        self.new_person()

    def new_person(self) -> None:
        """The next person at this screen: their own address, no cookies yet."""
        self.client.cookies.clear()
        self.client.headers["X-Forwarded-For"] = fresh_address()

    # --- Steps -----------------------------------------------------------------------------

    def browse(self, filters: dict | None = None) -> None:
        filters = random.choice(FILTERS) if filters is None else filters
        name = "search: " + ("filtered" if filters else "first page")
        url = "/vehicles/" + (f"?{urlencode(filters)}" if filters else "")
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"search answered {response.status_code}")
                return
            found = [u for u in VEHICLE_LINK.findall(response.text) if u not in NOT_VEHICLE_PAGES]
            if found:
                self.vehicle_pages = found
            following = NEXT_LINK.search(response.text)
        if following and random.random() < 0.3:
            next_url = "/vehicles/" + following.group(1).replace("&amp;", "&")
            self.client.get(next_url, name="search: next page")

    def vehicle_page(self) -> str | None:
        """Open one car's page; its HTML, or None."""
        if not self.vehicle_pages:
            self.browse({})
        if not self.vehicle_pages:
            return None
        url = random.choice(self.vehicle_pages)
        with self.client.get(url, name="vehicle page", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"vehicle page answered {response.status_code}")
                return None
            return response.text

    def enquire(self) -> None:
        self.new_person()
        page = self.vehicle_page()
        found = page and re.search(r'href="(/enquiries/vehicle/\d+/)"', page)
        if not found:
            return
        url = found.group(1)
        with self.client.get(url, name="enquiry: form", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"enquiry form answered {response.status_code}")
                return
            form = parse_form(response.text, url)
        data = {
            **form.fields,
            **unique_person(),
            "message": "Is this car still available? (load test)",
        }
        fill_in_the_form()
        with self.client.post(
            url, data=data, name="enquiry: send", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or "/enquiries/thanks/" not in response.headers.get(
                "Location", ""
            ):
                response.failure(f"enquiry answered {response.status_code}, no thank-you redirect")

    def book_test_drive(self) -> None:
        self.new_person()
        page = self.vehicle_page()
        found = page and re.search(r'href="(/test-drives/book/\d+/)"', page)
        if not found:
            return
        url = found.group(1)
        with self.client.get(url, name="test drive: slots", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"slot page answered {response.status_code}")
                return
            form = parse_form(response.text, url)
        slots = form.choices.get("slot", [])
        if not slots:
            record_outcome(self.environment, "test drive: no free slot")
            return
        data = {
            **form.fields,
            **unique_person(),
            "slot": random.choice(slots[:EARLIEST_SLOTS]),
            "licence_confirmed": "on",
        }
        fill_in_the_form()
        with self.client.post(
            url, data=data, name="test drive: book", allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and "/test-drives/manage/" in location:
                manage = urlsplit(location)
                booked_url = manage.path + (f"?{manage.query}" if manage.query else "")
            elif response.status_code == 409 and SLOT_TAKEN in response.text:
                response.success()  # the right answer to a lost race
                record_outcome(self.environment, "test drive: slot just taken")
                return
            else:
                response.failure(f"booking answered {response.status_code}")
                return
        self.client.get(booked_url, name="test drive: manage page")

    # --- Tasks -----------------------------------------------------------------------------

    @task(4)
    def search(self):
        self.browse()

    @task(4)
    def open_vehicle(self):
        self.vehicle_page()

    @task(1)
    def home(self):
        self.client.get("/", name="home")

    @task(1)
    def send_enquiry(self):
        self.enquire()

    @task(2)
    def test_drive(self):
        self.book_test_drive()

    def smoke_sequence(self):
        self.client.get("/", name="home")
        self.browse({})
        self.browse({"sort": "price"})
        self.vehicle_page()
        self.enquire()
        self.book_test_drive()
        self.smoke_done()


class Consultant(SmokeMixin, HttpUser):
    """A sales consultant logged in to the staff UI, working the lead inbox."""

    weight = 1
    fixed_count = 1 if SMOKE else 0
    wait_time = between(2, 5)
    accounts = itertools.cycle(CONSULTANTS)

    def on_start(self):
        self.lead_ids: list[str] = []
        self.client.headers["X-Forwarded-For"] = fresh_address()
        self.log_in(next(Consultant.accounts))

    def log_in(self, username: str) -> None:
        url = "/staff/accounts/login/"
        with self.client.get(url, name="login: form", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"login form answered {response.status_code}")
                raise StopUser
            token = _csrf_token(response.text)
        data = {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        with self.client.post(
            url, data=data, name="login", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or "/login/" in response.headers.get("Location", ""):
                response.failure(f"login as {username} answered {response.status_code}")
                raise StopUser

    def inbox(self, filters: dict | None = None) -> None:
        filters = random.choice([{}, *INBOX_FILTERS]) if filters is None else filters
        name = "inbox: " + ("filtered" if filters else "mine")
        url = "/staff/leads/" + (f"?{urlencode(filters)}" if filters else "")
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"inbox answered {response.status_code}")
                return
            found = LEAD_LINK.findall(response.text)
            if found:
                self.lead_ids = found

    def lead(self) -> tuple[str, str] | None:
        if not self.lead_ids:
            self.inbox({})
        if not self.lead_ids:
            return None
        pk = random.choice(self.lead_ids)
        with self.client.get(
            f"/staff/leads/{pk}/", name="lead: detail", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"lead page answered {response.status_code}")
                return None
            return pk, response.text

    def log_note(self) -> None:
        opened = self.lead()
        if opened is None:
            return
        pk, page = opened
        url = f"/staff/leads/{pk}/activity/"
        form = parse_form(page, url)
        data = {
            **form.fields,
            "kind": "note",
            "direction": "outbound",
            "body": f"Called back at {time.strftime('%H:%M:%S')} (load test).",
        }
        fill_in_the_form()
        with self.client.post(
            url, data=data, name="lead: log activity", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"logging an activity answered {response.status_code}")

    def calendar(self) -> None:
        self.client.get("/staff/test-drives/", name="test-drive calendar")

    @task(5)
    def work_inbox(self):
        self.inbox()

    @task(3)
    def open_lead(self):
        self.lead()

    @task(2)
    def note(self):
        self.log_note()

    @task(1)
    def look_at_calendar(self):
        self.calendar()

    def smoke_sequence(self):
        self.inbox({})
        self.inbox({"status": "open"})
        self.lead()
        self.log_note()
        self.calendar()
        self.smoke_done()


class HealthProbe(SmokeMixin, HttpUser):
    """The load balancer asking /healthz every second: the cheapest request through the same
    stack (gunicorn, the middleware, PostgreSQL, Redis), and so the floor the other requests'
    times are compared with."""

    fixed_count = 1
    wait_time = constant(1)

    @task
    def probe(self):
        self.client.get("/healthz", name=FLOOR_NAME)

    def smoke_sequence(self):
        self.probe()
        self.smoke_done()


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


if SMOKE:
    # One of each user, each running its whole sequence once.
    Visitor.tasks = [Visitor.smoke_sequence]
    Consultant.tasks = [Consultant.smoke_sequence]
    HealthProbe.tasks = [HealthProbe.smoke_sequence]
