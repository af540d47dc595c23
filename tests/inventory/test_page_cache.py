"""The anonymous page cache of the search and vehicle pages: one visitor's page is never
another's, and a change the showroom shows is on the next request."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from dealership.accounts.location_cache import locations_invalidate
from dealership.accounts.models import Location
from inventory.models import Vehicle
from inventory.page_cache import page_cache_invalidate
from inventory.page_views import views_day, views_key
from tests.accounts.factories import LocationFactory, UserFactory

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

CSRF_META = re.compile(r'<meta name="csrf-token" content="(\w+)">')


def _token(html: str) -> str:
    return CSRF_META.search(html).group(1)


def _button(html: str, kind: str, vehicle_id: int) -> str:
    [form] = re.findall(
        rf'<form method="post" action="/vehicles/{kind}/"(?:(?!</form>).)*?'
        rf'name="vehicle" value="{vehicle_id}".*?</form>',
        html,
        flags=re.S,
    )
    return form


def _pressed(html: str, kind: str, vehicle_id: int) -> bool:
    form = _button(html, kind, vehicle_id)
    assert form.count("aria-pressed=") == 1
    return 'aria-pressed="true"' in form


def test_the_second_anonymous_request_is_served_from_the_cache_without_a_query(
    client, django_assert_num_queries
):
    # Given a car, and its page and a search shown once
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    first_page = client.get(vehicle.get_absolute_url())
    first_search = client.get("/vehicles/", {"sort": "price", "make": "Volkswagen"})

    # When they are asked for again (the search with its parameters in another order)
    with django_assert_num_queries(0):
        # (a browser's view: counted in the cache without a query)
        page = client.get(vehicle.get_absolute_url(), HTTP_USER_AGENT="Mozilla/5.0 Firefox/132.0")
        search = client.get("/vehicles/", {"make": "Volkswagen", "sort": "price"})

    # Then both come from the cache and show the same page, with a real token put in
    assert first_page["X-Page-Cache"] == "miss"
    assert first_search["X-Page-Cache"] == "miss"
    assert page["X-Page-Cache"] == "hit"
    assert search["X-Page-Cache"] == "hit"
    for response in (page, search):
        html = response.content.decode()
        assert response.status_code == 200
        assert len(_token(html)) == 64
        assert "hole" not in html
    first_html, html = first_page.content.decode(), page.content.decode()
    assert html.replace(_token(html), "TOKEN") == first_html.replace(_token(first_html), "TOKEN")
    assert "€24,990" in search.content.decode()
    assert cache.get(views_key(stock_number=vehicle.stock_number, day=views_day())) == 1


def test_two_visitors_each_see_their_own_lists_and_token_on_one_cached_page():
    # Given two cars, and two visitors with different compare and saved lists
    first, second = VehicleFactory.create_batch(2, body_type="suv", list_price=Decimal("20000"))
    alice = Client(enforce_csrf_checks=True)
    bob = Client(enforce_csrf_checks=True)
    for visitor, kind, vehicle in (
        (alice, "compare", first),
        (alice, "favourites", second),
        (bob, "compare", second),
    ):
        token = _token(visitor.get("/vehicles/compare/").content.decode())
        response = visitor.post(
            f"/vehicles/{kind}/", {"vehicle": vehicle.pk, "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302

    # When Alice's request fills the cache and Bob's is served from it
    alice_page = alice.get("/vehicles/", {"sort": "price"})
    bob_page = bob.get("/vehicles/", {"sort": "price"})

    # Then each sees their own buttons, count and token
    assert alice_page["X-Page-Cache"] == "miss"
    assert bob_page["X-Page-Cache"] == "hit"
    alice_html, bob_html = alice_page.content.decode(), bob_page.content.decode()
    assert _pressed(alice_html, "compare", first.pk) is True
    assert _pressed(alice_html, "compare", second.pk) is False
    assert _pressed(alice_html, "favourites", second.pk) is True
    assert _pressed(bob_html, "compare", first.pk) is False
    assert _pressed(bob_html, "compare", second.pk) is True
    assert _pressed(bob_html, "favourites", second.pk) is False
    assert "Compare (1)" in alice_html
    assert "Compare (1)" in bob_html
    assert _token(alice_html) != _token(bob_html)
    # … and the token on Bob's cached page posts (his CSRF cookie matches it).
    toggled = bob.post(
        "/vehicles/favourites/",
        {"vehicle": first.pk, "csrfmiddlewaretoken": _token(bob_html), "next": "/vehicles/"},
    )
    assert toggled.status_code == 302
    again = bob.get("/vehicles/", {"sort": "price"})
    assert again["X-Page-Cache"] == "hit"
    assert _pressed(again.content.decode(), "favourites", first.pk) is True


def test_a_new_visitor_gets_a_csrf_cookie_from_a_cached_page_and_private_headers():
    vehicle = VehicleFactory()
    Client().get(vehicle.get_absolute_url())

    response = Client().get(vehicle.get_absolute_url())

    assert response["X-Page-Cache"] == "hit"
    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "private, max-age=0"
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Cookie", "HX-Request"} <= vary


def test_the_vehicle_pages_compare_and_save_buttons_are_the_visitors_own(client):
    # Given a car on the visitor's compare list, and its page cached by another visitor
    vehicle = VehicleFactory()
    Client().get(vehicle.get_absolute_url())
    client.post("/vehicles/compare/", {"vehicle": vehicle.pk})

    response = client.get(vehicle.get_absolute_url())

    html = response.content.decode()
    assert response["X-Page-Cache"] == "hit"
    assert _pressed(html, "compare", vehicle.pk) is True
    assert _pressed(html, "favourites", vehicle.pk) is False
    assert 'name="next" value="' + vehicle.get_absolute_url() + '"' in html


def test_a_logged_in_user_bypasses_the_cache(client, consultant):
    vehicle = VehicleFactory()
    Client().get(vehicle.get_absolute_url())
    client.force_login(consultant)

    response = client.get(vehicle.get_absolute_url())

    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert response.context["vehicle"] == vehicle
    assert response["Cache-Control"] == "private, max-age=0"


def test_a_post_is_never_answered_from_the_cache(client):
    vehicle = VehicleFactory()
    client.get(vehicle.get_absolute_url())

    response = client.post(vehicle.get_absolute_url())

    assert response.status_code == 405
    assert "X-Page-Cache" not in response


def test_a_flash_message_is_shown_to_its_visitor_and_never_stored(client):
    # Given a search page in the cache
    VehicleFactory(make="Volkswagen")
    assert client.get("/vehicles/", {"make": "Volkswagen"})["X-Page-Cache"] == "miss"

    # When the visitor saves that search and comes back to it
    response = client.post(
        "/vehicles/saved-searches/",
        {"email": "anna@example.com", "consent": "on", "query": "make=Volkswagen"},
        follow=True,
    )

    # Then the page carrying the message is rendered for them, not taken from the cache …
    html = response.content.decode()
    assert "Search saved." in html
    assert "X-Page-Cache" not in response
    # … and the next visitor gets the cached page without it.
    other = Client().get("/vehicles/", {"make": "Volkswagen"})
    assert other["X-Page-Cache"] == "hit"
    assert "Search saved." not in other.content.decode()


def test_a_sale_through_the_inventory_services_shows_at_once(
    client, django_capture_on_commit_callbacks
):
    from inventory.services import vehicles_set_status

    # Given a car's page and a search listing it, both cached
    vehicle = VehicleFactory(body_type="suv")
    client.get(vehicle.get_absolute_url())
    assert client.get(vehicle.get_absolute_url())["X-Page-Cache"] == "hit"
    assert "1 car found" in client.get("/vehicles/", {"body_type": "suv"}).content.decode()

    # When it is sold
    with django_capture_on_commit_callbacks(execute=True):
        vehicles_set_status(vehicle_ids=[vehicle.pk], status=Vehicle.Status.SOLD)

    # Then its page says so and the search no longer lists it
    page = client.get(vehicle.get_absolute_url())
    assert page["X-Page-Cache"] == "miss"
    assert "This car has been sold." in page.content.decode()
    search = client.get("/vehicles/", {"body_type": "suv"}).content.decode()
    assert "No cars match all of these filters." in search


def test_a_price_change_shows_at_once(client, django_capture_on_commit_callbacks):
    from inventory.services import vehicle_update

    vehicle = VehicleFactory(list_price=Decimal("24990"))
    assert "€24,990" in client.get(vehicle.get_absolute_url()).content.decode()
    assert "€24,990" in client.get("/vehicles/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_update(vehicle=vehicle, list_price=Decimal("22990"))

    page = client.get(vehicle.get_absolute_url()).content.decode()
    search = client.get("/vehicles/").content.decode()
    assert "€22,990" in page
    assert "€24,990" not in page
    assert "€22,990" in search
    assert "€24,990" not in search


def test_an_htmx_request_and_a_full_page_are_cached_apart(client):
    VehicleFactory()
    client.get("/vehicles/", {"sort": "price"})

    partial = client.get("/vehicles/", {"sort": "price"}, HTTP_HX_REQUEST="true")
    full = client.get("/vehicles/", {"sort": "price"})

    assert partial["X-Page-Cache"] == "miss"
    assert partial.content.decode().lstrip().startswith('<div id="search-area"')
    assert full["X-Page-Cache"] == "hit"
    assert "<html" in full.content.decode()


def test_each_language_has_its_own_page(client):
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    client.get(vehicle.get_absolute_url())

    german = client.get(vehicle.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")

    assert german["X-Page-Cache"] == "miss"
    assert german["Content-Language"] == "de"
    assert "24.990\xa0€" in german.content.decode()


def test_a_location_edited_in_the_admin_shows_at_once(client, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group

    # Given a car's page cached with its location's name and opening hours
    location = LocationFactory(name="Showroom Leipzig", weekday_hours={})
    vehicle = VehicleFactory(location=location)
    html = client.get(vehicle.get_absolute_url()).content.decode()
    assert "Showroom Leipzig" in html
    assert "By appointment" in html
    assert client.get(vehicle.get_absolute_url())["X-Page-Cache"] == "hit"

    # When an administrator renames it and adds Monday's hours
    admin = UserFactory(locations=[location])
    admin.is_superuser = True
    admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    Group.objects.get(name="Administrator").user_set.add(admin)
    staff = Client()
    staff.force_login(admin)
    fields = {
        name: getattr(location, name)
        for name in (
            "slug",
            "street",
            "postal_code",
            "city",
            "country",
            "phone",
            "email",
            "time_zone",
            "tax_regime",
            "sales_tax_rate",
            "documentation_fee",
        )
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/accounts/location/{location.pk}/change/",
            {
                **fields,
                "name": "Autohaus Leipzig",
                "is_active": "on",
                "opening_hours-TOTAL_FORMS": "1",
                "opening_hours-INITIAL_FORMS": "0",
                "opening_hours-0-weekday": "0",
                "opening_hours-0-opens": "09:00",
                "opening_hours-0-closes": "18:00",
                "tax_rate_changes-TOTAL_FORMS": "0",
                "tax_rate_changes-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    # Then the page shows the new name and hours on the next request
    page = client.get(vehicle.get_absolute_url())
    html = page.content.decode()
    assert page["X-Page-Cache"] == "miss"
    assert "Autohaus Leipzig" in html
    assert "Showroom Leipzig" not in html
    assert "09:00–18:00" in html
    assert "By appointment" not in html


def test_the_version_functions_start_new_pages(client):
    vehicle = VehicleFactory()
    client.get(vehicle.get_absolute_url())

    page_cache_invalidate()
    after_photo = client.get(vehicle.get_absolute_url())
    Location.objects.filter(pk=vehicle.location_id).update(name="Renamed Branch")
    locations_invalidate()
    after_location = client.get(vehicle.get_absolute_url())

    assert after_photo["X-Page-Cache"] == "miss"
    assert after_location["X-Page-Cache"] == "miss"
    assert "Renamed Branch" in after_location.content.decode()


def test_similar_cars_follow_a_sale(client, django_capture_on_commit_callbacks):
    from inventory.services import vehicles_set_status

    # Given a car whose page offers two similar cars
    vehicle = VehicleFactory(body_type="suv", list_price=Decimal("30000"))
    kept = VehicleFactory(body_type="suv", list_price=Decimal("29000"))
    sold = VehicleFactory(body_type="suv", list_price=Decimal("31000"))
    first = client.get(vehicle.get_absolute_url())
    assert [v.pk for v in first.context["similar"]] == [kept.pk, sold.pk]

    # When one of them is sold
    with django_capture_on_commit_callbacks(execute=True):
        vehicles_set_status(vehicle_ids=[sold.pk], status=Vehicle.Status.SOLD)

    # Then the page (and its cached similar list) offers only the other
    response = client.get(vehicle.get_absolute_url())
    assert [v.pk for v in response.context["similar"]] == [kept.pk]
    assert sold.get_absolute_url() not in response.content.decode()


def test_a_photo_made_ready_by_the_worker_shows_at_once(client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from inventory.photos import photo_add

    from .factories import jpeg_bytes

    # Given a car's page cached while it has no photo yet
    vehicle = VehicleFactory()
    assert "Photos coming soon" in client.get(vehicle.get_absolute_url()).content.decode()
    assert client.get(vehicle.get_absolute_url())["X-Page-Cache"] == "hit"

    # When a photo is uploaded and the task (eager here) makes its sizes
    with django_capture_on_commit_callbacks(execute=True):
        photo = photo_add(
            vehicle=vehicle,
            upload=SimpleUploadedFile("front.jpg", jpeg_bytes(), content_type="image/jpeg"),
            alt_text="Front view",
        )

    # Then the page shows the gallery on the next request
    photo.refresh_from_db()
    page = client.get(vehicle.get_absolute_url())
    html = page.content.decode()
    assert photo.status == "ready"
    assert page["X-Page-Cache"] == "miss"
    assert "Photos coming soon" not in html
    assert 'alt="Front view"' in html


def test_the_page_cache_can_be_turned_off(client, settings, django_assert_num_queries):
    settings.SHOWROOM_PAGE_CACHE_SECONDS = 0
    vehicle = VehicleFactory()
    client.get(vehicle.get_absolute_url())

    # The vehicle row and the similar cars (cached) are read again: the page is rendered afresh.
    with django_assert_num_queries(1):
        response = client.get(vehicle.get_absolute_url())

    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert response.context["vehicle"] == vehicle


def test_a_url_with_parameters_the_pages_dont_read_is_rendered_afresh_and_never_stored(client):
    # Given a car, and a search and its page as an ad's tracking link and a made-up URL ask
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    urls = [
        ("/vehicles/", {"make": "Volkswagen", "utm_source": "newsletter", "gclid": "abc"}),
        (vehicle.get_absolute_url(), {"fbclid": "xyz"}),
        ("/vehicles/", {"x": "1"}),
    ]

    for path, params in urls:
        # When the same URL is asked for twice
        responses = [client.get(path, params) for _ in range(2)]

        # Then both are full pages rendered for this visitor, neither from nor into the cache
        for response in responses:
            assert response.status_code == 200
            assert "X-Page-Cache" not in response
            assert "private" in response["Cache-Control"]
            assert len(_token(response.content.decode())) == 64
            assert "hole" not in response.content.decode()

    # While the parameters the pages read are cached as before (the calculator's included)
    client.get(vehicle.get_absolute_url(), {"term": "36", "apr": "2.9"})
    again = client.get(vehicle.get_absolute_url(), {"apr": "2.9", "term": "36"})
    assert again["X-Page-Cache"] == "hit"
    assert "€24,990" in again.content.decode()


def test_a_head_request_is_answered_like_the_get_without_a_body(client):
    # Given a car whose page and a search were shown once
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    client.get(vehicle.get_absolute_url())
    client.get("/vehicles/", {"make": "Volkswagen"})

    # When a crawler or link checker asks with HEAD
    page = client.head(vehicle.get_absolute_url())
    search = client.head("/vehicles/", {"make": "Volkswagen"})
    health = client.head("/healthz")

    # Then each gets the GET's answer without a body
    for response in (page, search):
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit"
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response.content == b""
    assert health.status_code in (200, 503)
