"""The inbox renders its filter controls, bulk-reassign list and rows as ready HTML (no
per-option widget templates): the markup a user and a screen reader get is the same."""

import datetime

import pytest
from django.utils import timezone

from dealership.accounts.roles import Role
from leads.models import Lead
from tests.accounts.factories import UserFactory
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db


def test_bound_filters_keep_their_values_and_labels(consultant_client):
    # Given a consultant filtering the inbox
    # When the inbox is opened with every kind of control set
    html = consultant_client.get(
        "/staff/leads/",
        {"scope": "location", "status": "contacted", "overdue": "on", "q": "Hoff", "sort": "due"},
    ).content.decode()

    # Then every control has its label and shows the chosen value
    assert '<label class="form-label" for="id_status">Status</label>' in html
    assert '<select name="status" class="form-select" id="id_status">' in html
    assert '<option value="contacted" selected>Contacted</option>' in html
    # (the three left unset select their "any" option, as Django's Select does)
    assert html.count(" selected>") == 6
    assert html.count('<option value="" selected>') == 3
    assert '<option value="location" selected>My locations</option>' in html
    assert '<option value="due" selected>Response due</option>' in html
    assert '<option value="all"' not in html
    assert (
        '<input type="checkbox" name="overdue" class="form-check-input" id="id_overdue" checked>'
        ' <label class="form-check-label" for="id_overdue">Overdue only</label>'
    ) in html
    assert (
        '<input type="text" name="q" value="Hoff" maxlength="100" class="form-control" id="id_q">'
    ) in html


def test_unbound_filters_select_any_and_escape_the_search(consultant_client):
    # When the inbox is opened bare, and then with markup in the search
    bare = consultant_client.get("/staff/leads/").content.decode()
    hostile = consultant_client.get("/staff/leads/", {"q": '"><b>x'}).content.decode()

    # Then only the default scope and the "any" options are selected, nothing is checked, and
    # the search comes back escaped
    assert bare.count(" selected>") == 5
    assert '<option value="location" selected>My locations</option>' in bare
    assert '<option value="location" selected>My locations</option>' in hostile
    assert '<option value="" selected>Any</option>' in bare
    assert '<option value="" selected>Any time</option>' in bare
    assert '<input type="checkbox" name="overdue" class="form-check-input" id="id_overdue">' in bare
    assert '<input type="text" name="q" maxlength="100" class="form-control" id="id_q">' in bare
    assert 'value="&quot;&gt;&lt;b&gt;x"' in hostile
    assert '"><b>x' not in hostile


def test_manager_reassign_list_names_each_consultant_once(client, manager, location):
    # Given two consultants of the manager's location, one without a name, and one elsewhere
    named = UserFactory(
        role=Role.CONSULTANT, locations=[location], first_name="Jonas", last_name="Berg"
    )
    nameless = UserFactory(
        username="kfz-7", role=Role.CONSULTANT, locations=[location], first_name="", last_name=""
    )
    UserFactory(role=Role.CONSULTANT, first_name="Far", last_name="Away")
    client.force_login(manager)

    # When the manager opens the inbox
    html = client.get("/staff/leads/?scope=location").content.decode()

    # Then the reassign list offers exactly those two, by name or else username
    options = html.split('id="bulk-to-user"')[1].split("</select>")[0]
    assert options.count("<option") == 2
    assert f'<option value="{nameless.pk}">kfz-7</option>' in options
    assert f'<option value="{named.pk}">Jonas Berg</option>' in options


def test_rows_show_precomputed_values(client, manager, location):
    # Given an unassigned lead without a vehicle, answered, from a nameless customer, and an
    # assigned overdue one with a vehicle
    now = timezone.now()
    customer = CustomerFactory(
        location=location, first_name="", last_name="", email="nobody@example.de"
    )
    quiet = LeadFactory(
        customer=customer,
        assigned_to=None,
        year=None,
        make="",
        model="",
        trim="",
        status=Lead.Status.WON,
        first_response_at=now,
    )
    seller = UserFactory(role=Role.CONSULTANT, locations=[location], first_name="Mia")
    busy = LeadFactory(
        customer=CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann"),
        assigned_to=seller,
        year=2021,
        make="Volkswagen",
        model="Golf",
        trim="GTI",
        stock_number="S-17",
        response_due_at=now - datetime.timedelta(minutes=90),
    )
    client.force_login(manager)

    # When the manager opens the inbox
    html = client.get("/staff/leads/?scope=location").content.decode()

    # Then each row shows its values as the model would
    assert f'<a href="/staff/leads/{quiet.pk}/">nobody@example.de</a>' in html
    assert f'<a href="/staff/leads/{busy.pk}/">Lena Hoffmann</a>' in html
    assert 'aria-label="Select lead of Lena Hoffmann"' in html
    assert "<td>—</td>" in html
    assert '<td>2021 Volkswagen Golf GTI <span class="small text-muted">S-17</span></td>' in html
    assert "<td>Unassigned</td>" in html
    assert "<td>Mia Schmidt</td>" in html
    assert "overdue by 1 h 30 min" in html
    assert html.count("response-clock") == 1
