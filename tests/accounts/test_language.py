"""The language of a request (dealership/accounts/language.py): URL prefix, stored choice,
cookie, Accept-Language, the location's default, English; the redirect to the prefixed URL,
unknown prefixes, the switcher, hreflang alternates, the sitemap and the page cache."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from dealership.accounts.location_cache import locations_invalidate
from dealership.accounts.models import Location
from dealership.accounts.roles import Role
from testdrives.tokens import manage_token
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.testdrives.factories import BookingFactory

pytestmark = pytest.mark.django_db

# What a browser sends when it follows a link (the test client sends neither by default).
BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    locations_invalidate()
    yield
    cache.clear()


def _vary(response) -> set[str]:
    return {part.strip() for part in response.get("Vary", "").split(",")}


def _browser(cookie: str | None = None) -> Client:
    client = Client()
    if cookie:
        client.cookies[COOKIE] = cookie
    return client


# --- the URL prefix ---------------------------------------------------------------------


def test_unprefixed_urls_stay_english_for_a_client_without_headers(client):
    vehicle = VehicleFactory()

    response = client.get(vehicle.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize("code", ["de", "pt", "fi", "zh-hans"])
def test_the_prefix_names_the_language(client, code):
    response = client.get(f"/{code}/vehicles/")

    assert response.status_code == 200
    assert response["Content-Language"] == code
    assert f'<html lang="{code}">' in response.content.decode()


def test_the_prefix_outranks_cookie_header_and_stored_language():
    staff = UserFactory(role=Role.CONSULTANT, language="fi")
    client = _browser("pt")
    client.force_login(staff)

    response = client.get("/de/vehicles/", HTTP_ACCEPT_LANGUAGE="zh-hans", **BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "de"


@pytest.mark.parametrize("path", ["/xx/vehicles/", "/en/vehicles/", "/de/no-such-page/", "/xx/"])
def test_an_unknown_prefix_or_page_is_a_404_never_a_500(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="de", **BROWSER)

    assert response.status_code == 404


def test_links_on_a_prefixed_page_keep_its_language(client):
    html = client.get("/fi/vehicles/").content.decode()

    assert 'href="/fi/vehicles/favourites/"' in html
    assert reverse("inventory:search") == "/vehicles/"


def test_webhooks_and_healthz_resolve_unprefixed(client):
    assert resolve("/messages/sms/inbound/").view_name == "messaging:sms-inbound"
    assert resolve("/orders/payments/webhook/test/").view_name == "orders:webhook"
    assert resolve("/enquiries/adf/").view_name == "leads:adf_receive"
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="de", **BROWSER)
    assert response.status_code in (200, 503)
    # A German browser hitting a webhook by GET is not sent elsewhere.
    inbound = client.get("/messages/sms/inbound/", HTTP_ACCEPT_LANGUAGE="de", **BROWSER)
    assert inbound.status_code != 302


# --- the order for unprefixed URLs ------------------------------------------------------


def test_a_browser_language_we_offer_redirects_to_the_prefixed_page_with_its_query(client):
    response = client.get("/vehicles/?sort=price", HTTP_ACCEPT_LANGUAGE="fr, fi;q=0.8", **BROWSER)

    assert response.status_code == 302
    assert response["Location"] == "/fi/vehicles/?sort=price"
    assert {"Accept-Language", "Cookie"} <= _vary(response)


def test_english_in_the_browser_stays_unprefixed(client):
    response = client.get("/vehicles/", HTTP_ACCEPT_LANGUAGE="en-GB,de;q=0.5", **BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert {"Accept-Language", "Cookie"} <= _vary(response)


def test_the_cookie_outranks_the_browser():
    response = _browser("pt").get("/vehicles/", HTTP_ACCEPT_LANGUAGE="de", **BROWSER)

    assert response.status_code == 302
    assert response["Location"] == "/pt/vehicles/"


def test_an_english_cookie_keeps_a_german_browser_on_english_pages():
    response = _browser("en").get("/vehicles/", HTTP_ACCEPT_LANGUAGE="de", **BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_a_staff_members_stored_language_outranks_the_cookie():
    staff = UserFactory(role=Role.CONSULTANT, language="fi")
    client = _browser("de")
    client.force_login(staff)

    # A staff page is shown in place (no redirect) in their language.
    staff_page = client.get("/staff/leads/", HTTP_ACCEPT_LANGUAGE="pt", **BROWSER)
    # A public page is sent to its Finnish URL.
    public = client.get("/vehicles/", HTTP_ACCEPT_LANGUAGE="pt", **BROWSER)

    assert staff_page.status_code == 200
    assert staff_page["Content-Language"] == "fi"
    assert public.status_code == 302
    assert public["Location"] == "/fi/vehicles/"


def test_a_known_customers_stored_language_outranks_the_browser(client):
    booking = BookingFactory(
        start_at=timezone.now() + datetime.timedelta(days=2),
        customer__language="de",
    )
    path = reverse("testdrives:manage", args=[manage_token(booking_id=booking.pk)])

    response = _browser().get(path, HTTP_ACCEPT_LANGUAGE="pt", **BROWSER)

    assert response.status_code == 302
    assert response["Location"] == f"/de{path}"


def test_the_switchers_cookie_outranks_a_known_customers_stored_language(client):
    """A German customer who picks English with the switcher on his booking page stays on
    the English page (the cookie is a choice made now; the stored language an old one)."""
    booking = BookingFactory(
        start_at=timezone.now() + datetime.timedelta(days=2),
        customer__language="de",
    )
    path = reverse("testdrives:manage", args=[manage_token(booking_id=booking.pk)])

    english = _browser("en").get(path, HTTP_ACCEPT_LANGUAGE="de", **BROWSER)
    finnish = _browser("fi").get(path, HTTP_ACCEPT_LANGUAGE="pt", **BROWSER)

    assert english.status_code == 200
    assert english["Content-Language"] == "en"
    assert finnish.status_code == 302
    assert finnish["Location"] == f"/fi{path}"


def test_an_unsupported_browser_language_gets_the_vehicles_location_default(client):
    LocationFactory(slug="leipzig", default_language="de")
    helsinki = LocationFactory(slug="helsinki", default_language="fi")
    vehicle = VehicleFactory(location=helsinki)
    locations_invalidate()

    response = client.get(vehicle.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja, ko", **BROWSER)

    assert response.status_code == 302
    assert response["Location"] == f"/fi{vehicle.get_absolute_url()}"


def test_an_unsupported_browser_language_elsewhere_gets_the_main_locations_default(
    client, settings
):
    LocationFactory(slug="leipzig", default_language="de")
    LocationFactory(slug="lisbon", default_language="pt")
    locations_invalidate()

    oldest = client.get("/vehicles/", HTTP_ACCEPT_LANGUAGE="ja", **BROWSER)
    settings.SHOWROOM_MAIN_LOCATION = "lisbon"
    named = client.get("/vehicles/", HTTP_ACCEPT_LANGUAGE="ja", **BROWSER)

    assert oldest["Location"] == "/de/vehicles/"
    assert named["Location"] == "/pt/vehicles/"


def test_a_location_page_uses_its_own_default(client):
    LocationFactory(slug="leipzig", default_language="de")
    LocationFactory(slug="lisbon", default_language="pt")
    locations_invalidate()

    response = client.get("/locations/lisbon/", HTTP_ACCEPT_LANGUAGE="ja", **BROWSER)

    assert response["Location"] == "/pt/locations/lisbon/"


def test_no_header_at_all_stays_english_even_where_the_location_speaks_german(client):
    vehicle = VehicleFactory(location=LocationFactory(default_language="de"))

    response = client.get(vehicle.get_absolute_url(), **BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("post", {}),
        ("get", {"HTTP_HX_REQUEST": "true"}),
        ("get", {"HTTP_ACCEPT": "application/json"}),
        ("get", {"HTTP_SEC_FETCH_MODE": "cors", "HTTP_ACCEPT": "text/html"}),
    ],
)
def test_only_page_navigations_are_redirected(client, method, headers):
    headers = {"HTTP_ACCEPT": "text/html", **headers}
    response = getattr(client, method)("/help/", HTTP_ACCEPT_LANGUAGE="de", **headers)

    assert response.status_code != 302
    assert response["Content-Language"] == "de"


def test_staff_pages_and_admin_are_not_redirected():
    staff = UserFactory(role=Role.CONSULTANT)
    client = _browser("de")
    client.force_login(staff)

    response = client.get("/staff/leads/", **BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "de"


# --- the switcher and the alternates ------------------------------------------------------


def test_every_showroom_page_has_the_switcher_with_a_label(client):
    html = client.get("/fi/vehicles/").content.decode()

    form = re.search(r'<form class="language-switcher.*?</form>', html, re.S).group(0)
    assert 'action="/i18n/setlang/"' in form
    assert 'method="post"' in form
    assert '<label class="small mb-0" for="language-switcher-select">Kieli</label>' in form
    assert 'name="next" value="/fi/vehicles/"' in form
    assert '<option value="fi" lang="fi" selected>suomi</option>' in form
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in form
    assert 'name="csrfmiddlewaretoken"' in form


def test_switching_language_moves_the_page_into_it_and_sets_the_cookie(client):
    response = client.post("/i18n/setlang/", {"language": "fi", "next": "/de/vehicles/?sort=price"})

    assert response.status_code == 302
    assert response["Location"] == "/fi/vehicles/?sort=price"
    assert response.cookies[COOKIE].value == "fi"


def test_switching_to_english_goes_to_the_unprefixed_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/zh-hans/help/"})

    assert response["Location"] == "/help/"
    assert response.cookies[COOKIE].value == "en"
    follow = client.get("/help/", HTTP_ACCEPT_LANGUAGE="de", **BROWSER)
    assert follow.status_code == 200
    assert follow["Content-Language"] == "en"


def test_a_staff_members_switch_is_stored_on_their_account(client):
    staff = UserFactory(role=Role.CONSULTANT, language="de")
    client.force_login(staff)

    client.post("/i18n/setlang/", {"language": "pt", "next": "/staff/"})

    staff.refresh_from_db()
    assert staff.language == "pt"


@pytest.mark.parametrize("language", ["xx", "", "de-xx-yy-zz" * 10])
def test_an_unknown_language_is_refused_with_a_clear_message(client, language):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/vehicles/"})

    assert response.status_code == 400
    assert response.content.decode() == "Choose one of the languages this site offers."
    assert COOKIE not in response.cookies


def test_a_foreign_next_is_not_followed(client):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "https://evil.example/de/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_switcher_is_refused_by_get(client):
    assert client.get("/i18n/setlang/?language=de").status_code == 405


def test_the_head_has_an_hreflang_alternate_for_every_language_and_x_default(client):
    vehicle = VehicleFactory()
    path = vehicle.get_absolute_url()

    html = client.get(f"/pt{path}").content.decode()

    alternates = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
    assert alternates == [
        ("en", f"http://testserver{path}"),
        ("de", f"http://testserver/de{path}"),
        ("pt", f"http://testserver/pt{path}"),
        ("fi", f"http://testserver/fi{path}"),
        ("zh-Hans", f"http://testserver/zh-hans{path}"),
        ("x-default", f"http://testserver{path}"),
    ]


def test_a_404_page_has_no_alternates(client):
    html = client.get("/xx/vehicles/").content.decode()

    assert 'hreflang="' not in html


def test_the_sitemap_lists_every_page_in_every_language_with_alternates(client):
    vehicle = VehicleFactory()
    path = vehicle.get_absolute_url()

    xml = client.get("/sitemap.xml").content.decode()

    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in xml
    for prefix in ("", "/de", "/pt", "/fi", "/zh-hans"):
        assert f"<loc>http://testserver{prefix}{path}</loc>" in xml
        assert f"<loc>http://testserver{prefix}/vehicles/</loc>" in xml
        assert f"<loc>http://testserver{prefix}/help/</loc>" in xml
    assert f'<xhtml:link rel="alternate" hreflang="de" href="http://testserver/de{path}"/>' in xml
    assert (
        f'<xhtml:link rel="alternate" hreflang="x-default" href="http://testserver{path}"/>' in xml
    )


# --- caches ---------------------------------------------------------------------------------


def test_a_german_page_is_never_served_to_an_english_visitor(client):
    vehicle = VehicleFactory()
    path = vehicle.get_absolute_url()

    german = Client().get(f"/de{path}")
    english = Client().get(path)
    german_again = Client().get(f"/de{path}")
    english_again = Client().get(path)

    assert german["X-Page-Cache"] == "miss"
    assert english["X-Page-Cache"] == "miss"
    assert (german_again["X-Page-Cache"], english_again["X-Page-Cache"]) == ("hit", "hit")
    assert '<html lang="de">' in german_again.content.decode()
    assert '<html lang="en">' in english_again.content.decode()
    assert "Fahrzeug" not in english_again.content.decode()
    assert english_again.content.decode().count('hreflang="') == 6


def test_the_same_unprefixed_url_is_cached_per_language(client):
    # A German fetch answered in place (not a navigation) and a visitor without headers.
    german = Client().get("/vehicles/", HTTP_ACCEPT_LANGUAGE="de")
    english = Client().get("/vehicles/")
    german_again = Client().get("/vehicles/", HTTP_ACCEPT_LANGUAGE="de")

    assert german["Content-Language"] == "de"
    assert english["X-Page-Cache"] == "miss"
    assert english["Content-Language"] == "en"
    assert '<html lang="en">' in english.content.decode()
    assert german_again["X-Page-Cache"] == "hit"
    assert '<html lang="de">' in german_again.content.decode()


def test_the_search_filter_fragment_is_kept_per_language(client):
    VehicleFactory()
    Client().get("/de/vehicles/")

    english = Client().get("/vehicles/").content.decode()
    finnish = Client().get("/fi/vehicles/").content.decode()

    assert '<html lang="en">' in english
    assert "Cars</a>" in english
    assert "Cars</a>" not in finnish


# --- the location's default language --------------------------------------------------------


def test_the_location_default_language_is_offered_in_admin_and_blank_means_english():
    field = Location._meta.get_field("default_language")

    assert [code for code, _name in field.choices] == [c for c, _n in settings.LANGUAGES]
    assert LocationFactory().default_language == "en"


def test_the_demo_locations_speak_their_countrys_language():
    from dealership.ops.demo import seed_locations

    languages = {location.slug: location.default_language for location in seed_locations()}

    assert languages == {"leipzig": "de", "lisbon": "pt", "helsinki": "fi"}
