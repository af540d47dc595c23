"""The suspected-duplicates page: SQL grouping on normalised email and phone, pages by key,
a fixed number of queries."""

import pytest
from django.urls import reverse

from dealership.accounts.roles import Role
from leads import selectors
from leads.models import Customer
from leads.selectors import customer_duplicates
from leads.services import customer_merge
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def shown(groups) -> list[tuple[list[str], list[int]]]:
    return [(group.keys, [c.pk for c in group.customers]) for group in groups]


def test_customers_are_grouped_by_email_ignoring_case_and_by_any_phone(consultant, location):
    a = CustomerFactory(location=location, email="lena@example.de", mobile_phone="+4915100000001")
    b = CustomerFactory(location=location, email="Lena@Example.DE", mobile_phone="+4915100000002")
    c = CustomerFactory(location=location, email="c@example.de", mobile_phone="+4915100000003")
    d = CustomerFactory(
        location=location, email="d@example.de", mobile_phone="", other_phone="+4915100000003"
    )
    CustomerFactory(location=location, email="alone@example.de", mobile_phone="+4915100000009")

    groups, next_after = customer_duplicates(user=consultant)

    assert shown(groups) == [
        (["+4915100000003"], [c.pk, d.pk]),
        (["lena@example.de"], [a.pk, b.pk]),
    ]
    assert next_after is None


def test_a_pair_sharing_email_and_phone_is_one_group_with_both_keys(consultant, location):
    a = CustomerFactory(location=location, email="same@example.de", mobile_phone="+4915100000001")
    b = CustomerFactory(location=location, email="same@example.de", mobile_phone="+4915100000001")

    groups, _next = customer_duplicates(user=consultant)

    assert shown(groups) == [(["+4915100000001", "same@example.de"], [a.pk, b.pk])]


def test_merged_customers_and_other_branches_are_left_out(consultant, location):
    kept = CustomerFactory(location=location, email="same@example.de")
    merged = CustomerFactory(location=location, email="same@example.de")
    customer_merge(kept=kept, merged=merged, by=None)
    CustomerFactory(location=LocationFactory(), email="same@example.de")
    elsewhere = LocationFactory()
    x = CustomerFactory(location=elsewhere, email="x@example.de")
    y = CustomerFactory(location=elsewhere, email="x@example.de")

    groups, _next = customer_duplicates(user=consultant)
    admin_groups, _next = customer_duplicates(
        user=UserFactory(role=Role.ADMINISTRATOR, locations=[])
    )

    assert groups == []
    assert [(keys, len(pks)) for keys, pks in shown(admin_groups)] == [
        (["same@example.de"], 2),
        (["x@example.de"], 2),
    ]
    assert shown(admin_groups)[1] == (["x@example.de"], [x.pk, y.pk])


def test_pages_follow_the_key_order(consultant, location):
    for n in range(7):
        CustomerFactory.create_batch(2, location=location, email=f"dup{n}@example.de")

    first, after = customer_duplicates(user=consultant, limit=3)
    second, after2 = customer_duplicates(user=consultant, after=after, limit=3)
    third, after3 = customer_duplicates(user=consultant, after=after2, limit=3)

    assert [g.keys for g in first] == [
        ["dup0@example.de"],
        ["dup1@example.de"],
        ["dup2@example.de"],
    ]
    assert after == "dup3@example.de"
    assert [g.keys for g in second] == [
        ["dup3@example.de"],
        ["dup4@example.de"],
        ["dup5@example.de"],
    ]
    assert [g.keys for g in third] == [["dup6@example.de"]]
    assert after3 is None


def test_the_page_has_a_fixed_number_of_queries(
    consultant_client, location, django_assert_num_queries
):
    CustomerFactory.create_batch(2, location=location, email="dup@example.de")
    url = reverse("leads:duplicates")
    consultant_client.get(url)

    # SAVEPOINT, session, user, groups (role check), the duplicate keys (one GROUP BY with
    # the user's locations as a subquery), their customers, RELEASE; then the session save
    # (SAVEPOINT, UPDATE, RELEASE).
    with django_assert_num_queries(10):
        small = consultant_client.get(url)
    for n in range(30):
        CustomerFactory.create_batch(3, location=location, mobile_phone=f"+49151200{n:05d}")
    with django_assert_num_queries(10):
        big = consultant_client.get(url)

    assert len(small.context["groups"]) == 1
    assert len(big.context["groups"]) == 25
    assert big.context["next_after"] == "+4915120000025"
    assert 'href="/staff/customers/duplicates/?after=%2B4915120000025"' in big.content.decode()


def test_the_next_page_and_a_junk_cursor_render(consultant_client, location):
    for n in range(27):
        CustomerFactory.create_batch(2, location=location, email=f"p{n:02d}@example.de")

    second = consultant_client.get(reverse("leads:duplicates"), {"after": "p25@example.de"})
    junk = consultant_client.get(reverse("leads:duplicates"), {"after": "\x7f" * 500})

    assert second.status_code == 200
    assert [g.keys for g in second.context["groups"]] == [["p25@example.de"], ["p26@example.de"]]
    assert second.context["next_after"] is None
    assert junk.status_code == 200
    assert junk.context["groups"] == []
    assert Customer.objects.count() == 54


def test_walking_the_pages_with_small_windows_finds_every_group_once(
    consultant, location, monkeypatch
):
    # Each source is read in windows of 3 rows: groups cut by a window's end must still be
    # found whole on the next page, and no group may show twice.
    monkeypatch.setattr(selectors, "DUPLICATES_WINDOW", 3)
    expected = {}
    for n in range(4):
        pair = CustomerFactory.create_batch(2, location=location, email=f"e{n}@example.de")
        expected[f"e{n}@example.de"] = [c.pk for c in pair]
    for n in range(3):
        one = CustomerFactory(location=location, mobile_phone=f"+4915130000{n}")
        two = CustomerFactory(location=location, mobile_phone="", other_phone=f"+4915130000{n}")
        expected[f"+4915130000{n}"] = [one.pk, two.pk]
    CustomerFactory.create_batch(5, location=location)  # no duplicates among these

    found, after, pages = [], "", 0
    while after is not None:
        groups, after = customer_duplicates(user=consultant, after=after, limit=2)
        found += shown(groups)
        pages += 1
        assert pages < 50

    assert found == [([key], pks) for key, pks in sorted(expected.items())]
