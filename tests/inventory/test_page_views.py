"""Vehicle page views: counted in the cache (page-cache hits too) and stored by the flush job,
which is safe to run twice, after a crash and after a cache eviction."""

import datetime
import os
import threading
import uuid
from datetime import UTC

import pytest
import time_machine
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client

from inventory import page_views
from inventory.models import Vehicle, VehicleDailyViews
from inventory.page_views import vehicle_view_count, vehicle_views_flush, views_key
from inventory.tasks import views_flush
from tests.accounts.factories import LocationFactory, UserFactory

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=UTC)
TODAY = datetime.date(2026, 3, 16)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def counted(vehicle, day=TODAY):
    return cache.get(views_key(stock_number=vehicle.stock_number, day=day))


def stored(vehicle=None):
    rows = VehicleDailyViews.objects.order_by("vehicle_id", "day")
    if vehicle is not None:
        rows = rows.filter(vehicle=vehicle)
    return [(r.vehicle.stock_number, r.day, r.views) for r in rows.select_related("vehicle")]


def test_a_view_counts_on_a_page_cache_miss_and_hit_without_a_query(
    frozen, client, django_assert_num_queries
):
    # Given a car for sale, its page already rendered once (cache miss, counted)
    vehicle = VehicleFactory(stock_number="A100")
    first = client.get(vehicle.get_absolute_url(), HTTP_USER_AGENT=FIREFOX)

    # When two more visitors open it, served from the page cache
    with django_assert_num_queries(0):
        second = client.get(vehicle.get_absolute_url(), HTTP_USER_AGENT=FIREFOX)
        third = Client().get(vehicle.get_absolute_url(), HTTP_USER_AGENT=FIREFOX)

    # Then all three views are counted for today, and nothing is in the database yet
    assert (first["X-Page-Cache"], second["X-Page-Cache"], third["X-Page-Cache"]) == (
        "miss",
        "hit",
        "hit",
    )
    assert counted(vehicle) == 3
    assert VehicleDailyViews.objects.count() == 0


def test_a_sold_cars_page_counts_but_not_redirects_404_or_the_archived_410(frozen, client):
    # Given a sold car, an archived one and a car for sale
    sold = VehicleFactory(stock_number="SOLD1", status=Vehicle.Status.SOLD)
    archived = VehicleFactory(stock_number="ARCH1", status=Vehicle.Status.ARCHIVED)
    draft = VehicleFactory(stock_number="DRAFT1", status=Vehicle.Status.DRAFT)
    car = VehicleFactory(stock_number="CAR1")

    # When visitors open them, a draft, an unknown stock number and an outdated slug
    responses = [
        client.get(url, HTTP_USER_AGENT=FIREFOX).status_code
        for url in (
            sold.get_absolute_url(),
            archived.get_absolute_url(),
            draft.get_absolute_url(),
            "/vehicles/2022-volkswagen-golf-nope1/",
            "/vehicles/2019-skoda-octavia-car1/",
        )
    ]

    # Then only the sold car's page (200, interest in that car) counts
    assert responses == [200, 410, 404, 404, 301]
    assert counted(sold) == 1
    assert counted(archived) is None
    assert counted(draft) is None
    assert counted(car) is None
    assert cache.get(views_key(stock_number="NOPE1", day=TODAY)) is None


def test_head_post_htmx_partials_and_the_payment_calculator_do_not_count(frozen, client):
    vehicle = VehicleFactory(stock_number="P100")
    url = vehicle.get_absolute_url()

    head = client.head(url, HTTP_USER_AGENT=FIREFOX)
    post = client.post(url, HTTP_USER_AGENT=FIREFOX)
    partial = client.get(url, HTTP_USER_AGENT=FIREFOX, HTTP_HX_REQUEST="true")
    payment = client.get(
        url + "payment/", {"term": "48"}, HTTP_USER_AGENT=FIREFOX, HTTP_HX_REQUEST="true"
    )

    # (HEAD is answered, a link checker's or crawler's look, but is nobody reading the page)
    assert (head.status_code, post.status_code, partial.status_code) == (200, 405, 200)
    assert head.content == b""
    assert payment.status_code == 200
    assert counted(vehicle) is None
    # while a boosted htmx navigation is a real page view
    client.get(url, HTTP_USER_AGENT=FIREFOX, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    assert counted(vehicle) == 1


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36",
        "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
        "curl/8.5.0",
        "python-requests/2.32",
    ],
)
def test_robots_and_scripts_do_not_count(frozen, client, agent):
    vehicle = VehicleFactory(stock_number="R100")
    response = client.get(vehicle.get_absolute_url(), HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    assert counted(vehicle) is None


def test_logged_in_staff_do_not_count_but_a_visitor_with_a_session_does(frozen, client):
    # Given a car, a logged-in consultant and a customer whose session exists (not staff)
    vehicle = VehicleFactory(stock_number="L100")
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    customer = Client()
    customer.force_login(UserFactory(username="customer", is_staff=False))

    assert staff.get(vehicle.get_absolute_url(), HTTP_USER_AGENT=FIREFOX).status_code == 200
    assert counted(vehicle) is None
    assert customer.get(vehicle.get_absolute_url(), HTTP_USER_AGENT=FIREFOX).status_code == 200
    assert counted(vehicle) == 1


def test_the_day_is_the_utc_day_whatever_the_locations_time_zone(client):
    # Given a car in Los Angeles (UTC-7 in March: 16:59 and 17:01 local are the two sides of
    # midnight UTC)
    la = LocationFactory(slug="la", time_zone="America/Los_Angeles")
    vehicle = VehicleFactory(stock_number="T100", location=la)
    url = vehicle.get_absolute_url()

    # When it is viewed just before and just after midnight UTC
    with time_machine.travel(datetime.datetime(2026, 3, 16, 23, 59, 30, tzinfo=UTC), tick=False):
        client.get(url, HTTP_USER_AGENT=FIREFOX)
        client.get(url, HTTP_USER_AGENT=FIREFOX)
    with time_machine.travel(datetime.datetime(2026, 3, 17, 0, 0, 30, tzinfo=UTC), tick=False):
        client.get(url, HTTP_USER_AGENT=FIREFOX)
        # and flushed a minute later
        with time_machine.travel(datetime.datetime(2026, 3, 17, 0, 1, tzinfo=UTC), tick=False):
            written = views_flush.delay().get()

    # Then the views before midnight UTC are the 16th's, the one after the 17th's
    assert written == 2
    assert stored() == [
        ("T100", datetime.date(2026, 3, 16), 2),
        ("T100", datetime.date(2026, 3, 17), 1),
    ]


def test_flush_writes_today_and_yesterday_and_twice_changes_nothing(frozen):
    # Given views counted for two cars today and one yesterday, and a car with none
    a = VehicleFactory(stock_number="F1")
    b = VehicleFactory(stock_number="F2", status=Vehicle.Status.RESERVED)
    quiet = VehicleFactory(stock_number="F3")
    for _ in range(3):
        vehicle_view_count(stock_number="F1")
    vehicle_view_count(stock_number="F2")
    vehicle_view_count(stock_number="F2", now=NOW - datetime.timedelta(days=1))
    # and one from three days ago, which is no longer flushed
    cache.set(views_key(stock_number="F1", day=TODAY - datetime.timedelta(days=2)), 9)

    # When the job runs twice
    first = vehicle_views_flush()
    second = vehicle_views_flush()

    # Then the rows hold the day totals, and the second run wrote nothing
    expected = [
        ("F1", TODAY, 3),
        ("F2", TODAY - datetime.timedelta(days=1), 1),
        ("F2", TODAY, 1),
    ]
    assert (first, second) == (3, 0)
    assert stored() == expected
    assert stored(quiet) == []
    # and more views later raise today's figure to the new total
    vehicle_view_count(stock_number="F2")
    assert vehicle_views_flush() == 1
    assert stored(b) == [("F2", TODAY - datetime.timedelta(days=1), 1), ("F2", TODAY, 2)]
    assert stored(a) == [("F1", TODAY, 3)]


def test_flush_after_a_crash_halfway_completes_on_the_next_run(frozen, monkeypatch):
    # Given three cars with views, and a flush that writes one chunk (one car) then dies
    cars = [VehicleFactory(stock_number=f"C{n}") for n in range(3)]
    for n, car in enumerate(cars):
        for _ in range(n + 1):
            vehicle_view_count(stock_number=car.stock_number)
    monkeypatch.setattr(page_views, "FLUSH_CHUNK", 2)  # two keys: one car a chunk
    real_upsert, calls = page_views._upsert, []

    def dying_upsert(rows):
        calls.append(rows)
        if len(calls) == 2:
            raise ConnectionError("worker killed")
        return real_upsert(rows)

    monkeypatch.setattr(page_views, "_upsert", dying_upsert)
    with pytest.raises(ConnectionError):
        vehicle_views_flush()
    assert stored() == [("C0", TODAY, 1)]

    # When it runs again (the worker back)
    monkeypatch.setattr(page_views, "_upsert", real_upsert)
    written = vehicle_views_flush()

    # Then every car has its figure once, the one already written untouched
    assert written == 2
    assert stored() == [("C0", TODAY, 1), ("C1", TODAY, 2), ("C2", TODAY, 3)]


def test_a_cache_eviction_never_lowers_a_stored_figure(frozen):
    # Given 5 views stored for today
    car = VehicleFactory(stock_number="E1")
    for _ in range(5):
        vehicle_view_count(stock_number="E1")
    vehicle_views_flush()

    # When the counter is lost (eviction, Redis restart) and counting starts again at 1
    cache.clear()
    vehicle_view_count(stock_number="E1")
    written = vehicle_views_flush()

    # Then the stored figure stays 5 (GREATEST), nothing rewritten
    assert written == 0
    assert stored(car) == [("E1", TODAY, 5)]
    # and it rises again once the new counter passes it
    for _ in range(6):
        vehicle_view_count(stock_number="E1")
    vehicle_views_flush()
    assert stored(car) == [("E1", TODAY, 7)]


def test_sold_cars_are_flushed_until_the_day_after_their_sale(frozen):
    # Given a car sold yesterday, one sold three days ago and one archived, all viewed today
    yesterday = VehicleFactory(
        stock_number="S1", status=Vehicle.Status.SOLD, sold_at=NOW - datetime.timedelta(days=1)
    )
    VehicleFactory(
        stock_number="S2", status=Vehicle.Status.SOLD, sold_at=NOW - datetime.timedelta(days=3)
    )
    VehicleFactory(stock_number="S3", status=Vehicle.Status.ARCHIVED)
    for stock in ("S1", "S2", "S3"):
        vehicle_view_count(stock_number=stock)

    assert vehicle_views_flush() == 1
    assert stored() == [("S1", TODAY, 1)]
    assert stored(yesterday) == [("S1", TODAY, 1)]


@pytest.mark.redis
def test_on_redis_a_view_is_one_counter_with_an_expiry_read_by_the_flush(frozen, settings):
    # Given the real Redis as the cache (a key prefix of its own)
    settings.CACHES = {
        "default": {
            "BACKEND": "dealership.ops.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-views-{uuid.uuid4().hex}",
        }
    }
    backend = caches["default"]
    car = VehicleFactory(stock_number="RD1")
    try:
        # When the page is viewed three times
        for _ in range(3):
            vehicle_view_count(stock_number="RD1")

        # Then Redis holds 3 with a lifetime of three days at most, and the flush stores it
        key = backend.make_and_validate_key(views_key(stock_number="RD1", day=TODAY))
        client = backend._cache.get_client(key)
        assert backend.get(views_key(stock_number="RD1", day=TODAY)) == 3
        assert 0 < client.ttl(key) <= page_views.VIEWS_TTL_SECONDS
        assert vehicle_views_flush() == 1
        assert stored(car) == [("RD1", TODAY, 3)]
    finally:
        backend.clear()


def test_demo_views_are_the_same_every_run(frozen):
    # Given a demo car in stock for 10 days, one for 40 and a draft
    from inventory.demo import seed_views

    recent = VehicleFactory(stock_number="D001", in_stock_since=TODAY - datetime.timedelta(days=10))
    VehicleFactory(stock_number="D002", in_stock_since=TODAY - datetime.timedelta(days=40))
    VehicleFactory(stock_number="D003", status=Vehicle.Status.DRAFT)

    # When the demo views are seeded twice
    first = seed_views()
    figures = list(VehicleDailyViews.objects.order_by("pk").values_list("vehicle", "day", "views"))
    second = seed_views()

    # Then the first car has a row per day since it came in (11), the second 30, and the
    # second run changed nothing
    assert (first, second) == (41, 41)
    assert VehicleDailyViews.objects.filter(vehicle=recent).count() == 11
    assert (
        list(VehicleDailyViews.objects.order_by("pk").values_list("vehicle", "day", "views"))
        == figures
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_flushes_at_once_store_each_figure_once():
    # Given 300 cars viewed today (1 to 300 times each) and two beats' flushes starting
    # together, each on its own connection
    with time_machine.travel(NOW, tick=False):
        cars = VehicleFactory.create_batch(300)
        cache.set_many(
            {
                views_key(stock_number=car.stock_number, day=TODAY): n + 1
                for n, car in enumerate(cars)
            }
        )
        barrier = threading.Barrier(2)
        results, errors = [], []

        def flush():
            try:
                barrier.wait()
                results.append(vehicle_views_flush())
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=flush) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # Then neither failed, each car has one row with its figure, written once between them
    assert errors == []
    assert sum(results) == 300
    assert VehicleDailyViews.objects.count() == 300
    assert sorted(VehicleDailyViews.objects.values_list("views", flat=True)) == list(range(1, 301))


def test_the_upsert_skips_a_deleted_car_and_keeps_the_larger_figure(frozen):
    car = VehicleFactory(stock_number="R1")
    gone = VehicleFactory(stock_number="R2")
    gone_id = gone.pk
    gone.delete()
    rows = [(car.pk, TODAY, 5), (gone_id, TODAY, 3)]

    first = page_views._upsert(rows)
    again = page_views._upsert(rows)
    lower = page_views._upsert([(car.pk, TODAY, 1)])
    higher = page_views._upsert([(car.pk, TODAY, 7)])

    # a deleted car's figure is skipped, a rerun or a lower figure writes nothing
    assert (first, again, lower, higher) == (1, 0, 0, 1)
    assert stored(car) == [("R1", TODAY, 7)]
    assert VehicleDailyViews.objects.count() == 1
