"""A German visitor: sent to the German pages by their browser's language, searches, reads the
VAT line of a Leipzig car in German, and switches to Finnish with the switcher (also on a
390 px phone, without the navigation's JavaScript)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cars():
    leipzig = LocationFactory(
        name="Showroom Motors Leipzig",
        slug="leipzig",
        tax_regime="inclusive",
        sales_tax_rate=Decimal("19.000"),
        default_language="de",
    )
    rav4 = VehicleFactory(
        location=leipzig, make="Toyota", model="RAV4", list_price=Decimal("41390")
    )
    VehicleFactory(location=leipzig, make="BMW", model="X1", list_price=Decimal("21990"))
    return rav4


@pytest.fixture
def german_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def german_phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_german_visitor_searches_sees_vat_included_and_switches_to_finnish(german_page):
    page = german_page
    rav4 = _cars()

    # The browser asks for German: the unprefixed search is sent to the German one.
    page.goto("/vehicles/")
    expect(page).to_have_url(re.compile(r"/de/vehicles/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_text("2 Fahrzeuge gefunden")).to_be_visible()

    page.get_by_label("Marke").select_option("Toyota")
    expect(page.get_by_text("1 Fahrzeug gefunden")).to_be_visible()
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)

    page.get_by_role("link", name=re.compile(r"Toyota RAV4")).first.click()
    expect(page).to_have_url(re.compile(re.escape(f"/de{rav4.get_absolute_url()}") + "$"))
    # The German catalogue's msgstr: "inkl. %(rate)s MwSt." with the rate "19 %".
    expect(page.locator(".price-vat").first).to_contain_text(re.compile(r"inkl\. 19\s%\sMwSt\."))

    # Switch to Finnish: the same car's Finnish page.
    page.get_by_label("Sprache").select_option("fi")
    page.get_by_role("button", name="Sprache ändern").click()
    expect(page).to_have_url(re.compile(re.escape(f"/fi{rav4.get_absolute_url()}") + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator(".price-vat").first).to_contain_text(re.compile(r"sis\. ALV 19\s%"))
    expect(page.get_by_label("Kieli")).to_have_value("fi")

    # The choice sticks: an unprefixed link now leads to the Finnish page.
    page.goto("/vehicles/")
    expect(page).to_have_url(re.compile(r"/fi/vehicles/$"))


def test_the_switcher_works_on_a_phone_without_javascript(german_phone):
    page = german_phone
    _cars()

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/de/$"))
    switcher = page.get_by_label("Sprache")
    expect(switcher).to_be_visible()
    box = switcher.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    switcher.select_option("pt")
    page.get_by_role("button", name="Sprache ändern").click()

    expect(page).to_have_url(re.compile(r"/pt/$"))
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    expect(page.get_by_role("button", name="Mudar idioma")).to_be_visible()


BROWSER_LOCALES = {"en": "en-GB", "de": "de-DE", "fi": "fi-FI", "pt": "pt-PT", "zh-hans": "zh-CN"}


@pytest.mark.parametrize("code", list(BROWSER_LOCALES))
def test_every_language_search_and_vehicle_page(browser, live_server, code):
    """Each offered language end to end: the browser's language picks the URL, the search
    counts in that language's plural, and the vehicle page says VAT is included in its words
    (the expected texts come from the catalogue, so this checks what a visitor reads)."""
    from django.utils import translation

    rav4 = _cars()
    prefix = "" if code == "en" else f"/{code}"
    with translation.override(code):
        found_two = translation.ngettext("%(counter)s car found", "%(counter)s cars found", 2) % {
            "counter": 2
        }
        vat = translation.gettext("incl. %(rate)s VAT").split("%(rate)s")[0].strip()
    if code != "en":
        assert found_two != "2 cars found"  # a translation, not the English fallback
    context = browser.new_context(
        base_url=live_server.url,
        locale=BROWSER_LOCALES[code],
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/vehicles/")
        expect(page).to_have_url(re.compile(re.escape(f"{prefix}/vehicles/") + "$"))
        expect(page.locator("html")).to_have_attribute("lang", code)
        expect(page.get_by_text(found_two)).to_be_visible()

        page.goto(f"{prefix}{rav4.get_absolute_url()}")
        expect(page.locator(".price-vat").first).to_contain_text(vat)
        expect(page.locator(".price-vat").first).to_contain_text(re.compile(r"19\s?%"))
    finally:
        context.close()
