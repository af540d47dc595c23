"""The showroom on a phone (issue 19): at 360, 390 and 414 px every public page fits the screen
(no sideways scrolling), its images say how big they are, and its main controls are big enough
to tap; the search shows its results first with the filters in an off-canvas panel that opens,
counts and applies, with JavaScript and without it.

Lighthouse-style checks measured in the browser; screenshots would prove nothing."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from dealership.messaging.models import Channel
from dealership.messaging.tokens import unsubscribe_token
from inventory.models import Vehicle, VehiclePhoto
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory, jpeg_bytes
from tests.knowledge.factories import ArticleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTHS = (360, 390, 414)
EVERY_DAY = dict.fromkeys(range(7), ("06:00", "22:00"))

# The controls a thumb has to hit: buttons (the cards' compare and save too), the menu toggle,
# links in result cards, the result pages, filter and consent checkboxes (their labels).
TAP_TARGETS = (
    "main .btn, .navbar-toggler, .vehicle-card a, main nav a.btn, main .form-check-label, "
    ".search-filters-panel .btn-close"
)

_OVERFLOW_JS = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  wide: [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
      && getComputedStyle(el).position !== "fixed" && !el.closest(".table-responsive, .offcanvas-md, .visually-hidden, .visually-hidden-focusable, .hp-field, [aria-hidden=true], .d-none"))
    .slice(0, 5).map((el) => el.tagName + "." + el.className),
})"""

_IMAGES_JS = """() => [...document.images]
  .filter((img) => !img.hasAttribute("width") || !img.hasAttribute("height"))
  .map((img) => img.outerHTML.slice(0, 120))"""

_SMALL_TARGETS_JS = """(elements) => elements
  .filter((el) => {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) return false;  // not shown
    if (el.closest(".visually-hidden, [aria-hidden=true], .d-none, .hp-field, .offcanvas-md:not(.show):not(:target)")) return false;
    return box.width < 44 || box.height < 44;
  })
  .map((el) => {
    const box = el.getBoundingClientRect();
    return `${el.outerHTML.slice(0, 90)} ${Math.round(box.width)}x${Math.round(box.height)}`;
  })"""


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page factory: ``phone(390)``, ``phone(360, javascript=False)``."""
    contexts = []

    def make(width: int, *, javascript: bool = True, height: int = 844):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            is_mobile=True,
            has_touch=True,
            java_script_enabled=javascript,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def _photo(vehicle: Vehicle) -> VehiclePhoto:
    photo = VehiclePhoto(
        vehicle=vehicle,
        position=0,
        is_primary=True,
        alt_text=f"{vehicle.make} {vehicle.model}, side view",
        status=VehiclePhoto.Status.READY,
        width=1600,
        height=1200,
    )
    photo.gallery.save("gallery.jpg", ContentFile(jpeg_bytes((1600, 1200))), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(jpeg_bytes((480, 360))), save=False)
    photo.save()
    return photo


@pytest.fixture
def showroom(settings):
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"
    location = LocationFactory(
        name="Showroom Motors Leipzig", slug="leipzig", weekday_hours=EVERY_DAY
    )
    cars = []
    for n, (make, model, fuel, price) in enumerate(
        [
            ("BMW", "X1", Vehicle.Fuel.DIESEL, "21990"),
            ("BMW", "X3", Vehicle.Fuel.DIESEL, "31990"),
            ("BMW", "i4 eDrive40 Gran Coupé M Sport Pro", Vehicle.Fuel.ELECTRIC, "54990"),
            ("Audi", "A4 Avant", Vehicle.Fuel.PETROL, "25990"),
            ("Volkswagen", "Golf", Vehicle.Fuel.PETROL, "19990"),
            ("Skoda", "Octavia Combi", Vehicle.Fuel.DIESEL, "23990"),
        ]
    ):
        car = VehicleFactory(
            location=location,
            make=make,
            model=model,
            fuel=fuel,
            trim="Sport Line with a rather long trim name for a small screen",
            list_price=Decimal(price),
            published_at=datetime.datetime(2026, 1, 1 + n, tzinfo=datetime.UTC),
        )
        cars.append(car)
    # The newest (first in the results) and one more have photos; the rest show the placeholder.
    for car in (cars[-1], cars[2]):
        _photo(car)
    ArticleFactory(title="How do I book a test drive?", slug="book-a-test-drive")
    return {"location": location, "cars": cars}


def _public_pages(showroom) -> list[str]:
    location, cars = showroom["location"], showroom["cars"]
    with_photo, without_photo = cars[-1], cars[0]
    token = unsubscribe_token(channel=Channel.EMAIL, address="lena.hoffmann@example.de")
    return [
        "/",
        "/vehicles/",
        "/vehicles/?make=BMW&fuel=diesel",
        with_photo.get_absolute_url(),
        without_photo.get_absolute_url(),
        "/vehicles/compare/",
        "/vehicles/favourites/",
        location.get_absolute_url(),
        "/help/",
        "/help/book-a-test-drive/",
        f"/test-drives/book/{with_photo.pk}/",
        f"/orders/buy/{with_photo.pk}/",
        "/enquiries/new/",
        "/enquiries/contact/",
        "/service/book/",
        "/service/complaints/new/",
        f"/messages/preferences/{token}/",
    ]


def _compare_all(page, cars):
    """Put every car on the compare list the way a visitor does (the cards' buttons)."""
    page.goto("/vehicles/")
    for _car in cars[:4]:
        page.locator(".vehicle-card").get_by_role(
            "button", name="Compare", exact=True
        ).first.click()
        expect(page.locator(".htmx-request")).to_have_count(0)


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_every_public_page_fits_the_phone_with_sized_images_and_big_tap_targets(
    phone, showroom, width
):
    page = phone(width)
    _compare_all(page, showroom["cars"])
    problems = {}
    for url in _public_pages(showroom):
        response = page.goto(url)
        assert response.status == 200, url
        overflow = page.evaluate(_OVERFLOW_JS)
        unsized = page.evaluate(_IMAGES_JS)
        small = page.locator(TAP_TARGETS).evaluate_all(_SMALL_TARGETS_JS)
        if overflow["scrollWidth"] > width or unsized or small:
            problems[url] = {"overflow": overflow, "unsized images": unsized, "small": small}

    assert problems == {}


def test_the_first_result_is_on_the_first_screen_and_its_photo_loads_first(phone, showroom):
    page = phone(390)
    page.goto("/vehicles/")

    first = page.locator(".vehicle-card").first
    expect(first).to_contain_text("Skoda Octavia Combi")
    box = first.bounding_box()
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= 844  # the whole first card, photo and price, at once
    # The filters wait behind their button.
    expect(page.get_by_role("button", name="Filters")).to_be_visible()
    expect(page.get_by_label("Make")).to_be_hidden()
    # The largest paint loads at once; the other photos wait until they are scrolled to.
    photos = page.locator(".vehicle-card img")
    expect(photos).to_have_count(2)
    expect(photos.first).to_have_attribute("loading", "eager")
    expect(photos.first).to_have_attribute("fetchpriority", "high")
    expect(photos.nth(1)).to_have_attribute("loading", "lazy")


def test_a_car_without_photos_shows_a_sized_placeholder(phone, showroom):
    page = phone(390)
    page.goto("/vehicles/?make=BMW&fuel=diesel")

    placeholder = page.locator(".vehicle-card").first.get_by_role("img", name="Photo coming soon")
    expect(placeholder).to_be_visible()
    box = placeholder.bounding_box()
    # The card's width at 4:3, not a collapsed empty box.
    assert box["height"] == pytest.approx(box["width"] * 3 / 4, abs=2)
    icon = placeholder.locator("svg")
    expect(icon).to_have_attribute("width", "96")
    expect(icon).to_have_attribute("height", "48")


def test_the_vehicle_page_hero_photo_loads_first(phone, showroom):
    page = phone(390)
    page.goto(showroom["cars"][-1].get_absolute_url())

    hero = page.locator("#vehicle-gallery img").first
    expect(hero).to_have_attribute("loading", "eager")
    expect(hero).to_have_attribute("fetchpriority", "high")
    expect(hero).to_have_attribute("width", "1600")
    expect(hero).to_have_attribute("height", "1200")


def test_the_filters_panel_opens_counts_and_applies(phone, showroom):
    page = phone(390)
    page.goto("/vehicles/?make=BMW&fuel=diesel&price_max=60000")
    expect(page.get_by_text("2 cars found")).to_be_visible()

    button = page.get_by_role("button", name="Filters (3)")
    button.click()
    panel = page.get_by_role("dialog", name="Filters")
    expect(panel).to_be_visible()
    show = panel.get_by_role("button", name="Show 2 cars")
    expect(show).to_be_visible()
    # Sticky at the bottom of the panel, over the long list of filters.
    assert show.bounding_box()["y"] + show.bounding_box()["height"] <= 844

    # Ticking a filter counts again at once; the panel stays open.
    panel.get_by_label(re.compile(r"^Electric")).check()
    expect(panel.get_by_role("button", name="Show 3 cars")).to_be_visible()
    expect(panel).to_be_visible()

    panel.get_by_role("button", name="Show 3 cars").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_text("3 cars found")).to_be_visible()
    expect(page.get_by_role("button", name="Filters (4)")).to_be_visible()
    expect(page).to_have_url(re.compile(r"fuel=electric"))


def test_the_filters_work_without_javascript(phone, showroom):
    page = phone(390, javascript=False)
    page.goto("/vehicles/")
    expect(page.get_by_text("6 cars found")).to_be_visible()
    expect(page.get_by_label("Make")).to_be_hidden()

    page.get_by_role("button", name="Filters").click()
    expect(page.get_by_label("Make")).to_be_visible()
    page.get_by_label("Make").select_option("BMW")
    page.get_by_role("button", name=re.compile(r"^Show \d+ cars$")).click()

    expect(page.get_by_text("3 cars found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"make=BMW"))
    expect(page.get_by_role("button", name="Filters (1)")).to_be_visible()
    expect(page.get_by_label("Make")).to_be_hidden()


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_the_compare_table_scrolls_inside_its_card(phone, showroom, width):
    page = phone(width)
    _compare_all(page, showroom["cars"])
    page.goto("/vehicles/compare/")

    expect(page.locator(".compare-table thead .compare-col")).to_have_count(4)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    scroller = page.get_by_role("region", name="Vehicles side by side (scrolls sideways)")
    sizes = scroller.evaluate("(el) => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1]  # four cars do not fit: the table scrolls
    scroller.evaluate("(el) => { el.scrollLeft = 10000; }")
    assert scroller.evaluate("(el) => el.scrollLeft") > 0
    assert page.evaluate("() => window.scrollX") == 0
