import re

import pytest
from django.core import mail

from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_roles_exist_from_the_migration():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Consultant",
        "Sales manager",
        "Service advisor",
        "Administrator",
    }


def test_anonymous_visitor_is_sent_to_the_staff_login(client):
    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/login/?next=/staff/"


def test_login_page_has_labelled_fields(client):
    response = client.get("/staff/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<label\s+for="id_username"[^>]*>\s*Username', html)
    assert re.search(r'<label\s+for="id_password"[^>]*>\s*Password', html)


def test_staff_logs_in_and_sees_the_staff_navigation(client, consultant):
    response = client.post(
        "/staff/accounts/login/",
        {"username": consultant.username, "password": "correct horse battery", "next": "/staff/"},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain == [("/staff/", 302)]
    html = response.content.decode()
    for label in ("Leads", "Test drives", "Orders", "Service", "Surveys"):
        assert f">{label}<" in html
    # Reports and Admin are for managers only.
    assert ">Reports<" not in html
    assert ">Admin<" not in html


def test_manager_sees_reports_and_admin_in_the_navigation(client, manager):
    client.force_login(manager)

    html = client.get("/staff/").content.decode()

    assert ">Reports<" in html
    assert ">Admin<" in html


def test_wrong_password_shows_an_error_and_logs_nobody_in(client, consultant):
    response = client.post(
        "/staff/accounts/login/", {"username": consultant.username, "password": "wrong"}
    )

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_non_staff_user_gets_403(client):
    user = UserFactory(is_staff=False)
    client.force_login(user)

    assert client.get("/staff/").status_code == 403


def test_login_refuses_an_offsite_next(client, consultant):
    response = client.post(
        "/staff/accounts/login/",
        {
            "username": consultant.username,
            "password": "correct horse battery",
            "next": "//evil.example/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_staff_home_lists_only_the_users_locations(client):
    mine = LocationFactory(name="Leipzig branch")
    LocationFactory(name="Lisbon branch")
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[mine]))

    html = client.get("/staff/").content.decode()

    assert "Leipzig branch" in html
    assert "Lisbon branch" not in html


def test_staff_home_query_count_is_fixed(client, consultant, django_assert_num_queries):
    client.force_login(consultant)
    LocationFactory.create_batch(5)

    # Savepoint, session, user, groups, locations, release; then savepoint, session save
    # (inactivity expiry), release: the same whatever the number of locations. Plus the
    # consultant's Today page, whose own count (its sections share one customer scope, a
    # UNION) is fixed in tests/test_today.py.
    with django_assert_num_queries(16):
        response = client.get("/staff/")
    assert response.status_code == 200


def test_password_reset_sends_a_link(client, consultant):
    response = client.post("/staff/accounts/password-reset/", {"email": consultant.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/staff/accounts/reset/" in mail.outbox[0].body
    assert mail.outbox[0].to == [consultant.email]


def test_password_reset_is_rate_limited_per_address(client, consultant, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = 3
    for _ in range(3):
        assert (
            client.post("/staff/accounts/password-reset/", {"email": consultant.email}).status_code
            == 302
        )

    refused = client.post("/staff/accounts/password-reset/", {"email": consultant.email})
    elsewhere = client.post(
        "/staff/accounts/password-reset/", {"email": consultant.email}, REMOTE_ADDR="192.0.2.9"
    )

    assert refused.status_code == 429
    assert "Too many reset requests from your network. Try again in an hour." in (
        refused.content.decode()
    )
    assert elsewhere.status_code == 302
    assert len(mail.outbox) == 4  # three, then none for the refused one, then the other address
