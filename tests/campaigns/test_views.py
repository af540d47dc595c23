"""The staff pages: builder, live count, preview, CSV export (audited), campaign pages,
the click link; managers only, another location's records are 404."""

import csv
import io
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from campaigns.links import click_token
from campaigns.models import Campaign, Recipient, Segment
from campaigns.services import campaign_dispatch
from dealership.accounts.models import AuditEvent
from dealership.accounts.roles import Role
from dealership.messaging.models import OutboxMessage
from tests.accounts.factories import LocationFactory, UserFactory
from tests.campaigns.factories import campaign, cond, consent, segment
from tests.leads.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    manager.email = "manager@example.de"
    manager.save()
    client.force_login(manager)
    return client


def won(location, n=1, **kwargs):
    return [
        LeadFactory(customer=CustomerFactory(location=location, **kwargs), status="won").customer
        for _ in range(n)
    ]


def builder_post(**extra):
    data = {
        "name": "Won customers",
        "location": "",
        "top_op": "and",
        "groups": "1",
        "g0-op": "and",
        "g0-rows": "1",
        "g0-r0-type": "lead_status",
        "g0-r0-status": "won",
    }
    data.update(extra)
    return data


def test_a_manager_builds_and_saves_a_segment(manager_client, location):
    response = manager_client.post(reverse("campaigns:segment_new"), builder_post())

    segment = Segment.objects.get(name="Won customers")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:segment_edit", kwargs={"pk": segment.pk})
    assert segment.conditions == {
        "op": "and",
        "children": [
            {"op": "and", "children": [{"type": "lead_status", "params": {"status": "won"}}]}
        ],
    }
    page = manager_client.get(response["Location"])
    assert page.status_code == 200
    assert 'for="g0-r0-type"' in page.text
    assert 'id="g0-r0-type"' in page.text
    assert 'for="g0-r0-status"' in page.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"g0-r0-type": "horoscope"}, "Unknown condition “horoscope”."),
        ({"g0-r0-status": "sleeping"}, "“sleeping” is not a valid choice for Status."),
        (
            {"g0-r0-type": "owner_vehicle_age", "g0-r0-years": "old"},
            "Years must be a whole number.",
        ),
    ],
)
def test_an_invalid_condition_is_a_form_error_not_a_500(manager_client, change, message):
    response = manager_client.post(reverse("campaigns:segment_new"), builder_post(**change))

    assert response.status_code == 400
    assert message in response.text
    assert not Segment.objects.filter(builtin=False).exists()


def test_builder_adds_and_removes_rows_for_htmx(manager_client):
    url = reverse("campaigns:segment_builder")

    added = manager_client.post(url, builder_post(action="add_row:0"), HTTP_HX_REQUEST="true")
    removed = manager_client.post(
        url, builder_post(action="remove_row:0:0"), HTTP_HX_REQUEST="true"
    )

    assert added.status_code == 200
    assert added["HX-Trigger"] == "segment-changed"
    assert 'name="g0-rows" value="2"' in added.text
    assert 'id="g0-r1-type"' in added.text
    assert 'name="g0-rows" value="0"' in removed.text


def test_live_count(manager_client, location, django_assert_num_queries):
    won(location, 3)
    won(LocationFactory())  # another location: not the manager's
    url = reverse("campaigns:segment_count")

    # session, user, 2FA device, groups, locations, the count; savepoints; the session save
    with django_assert_num_queries(11):
        response = manager_client.post(url, builder_post(), HTTP_HX_REQUEST="true")
    bad = manager_client.post(url, builder_post(**{"g0-r0-status": "x"}), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "3 customers" in response.text
    assert "“x” is not a valid choice for Status." in bad.text


def test_preview_shows_the_first_50_with_a_fixed_number_of_queries(
    manager_client, location, django_assert_num_queries
):
    won(location, 55)
    seg = segment(cond("lead_status", status="won"), location=location)
    url = reverse("campaigns:segment_preview", kwargs={"pk": seg.pk})

    # Whatever the segment's size: the page's fixed queries, the count and one page of 50.
    with django_assert_num_queries(12):
        response = manager_client.get(url)

    assert response.status_code == 200
    assert "55 customers match now." in response.text
    assert "The first 50 are shown." in response.text
    assert response.text.count("/staff/customers/") == 50


def test_csv_export_is_audited_and_for_managers_only(manager_client, consultant, location, manager):
    a, b = won(location, 2)
    seg = segment(cond("lead_status", status="won"), location=location)
    url = reverse("campaigns:segment_export", kwargs={"pk": seg.pk})

    response = manager_client.get(url)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows[0][:3] == ["Customer number", "First name", "Last name"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([a.pk, b.pk])
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.target_id, event.changes) == (
        manager,
        str(seg.pk),
        {"format": "csv", "rows": 2},
    )
    other = Client()
    other.force_login(consultant)
    assert other.get(url).status_code == 403


def test_another_locations_segment_and_campaign_are_404(manager_client):
    elsewhere = LocationFactory()
    seg = segment(cond("lead_status", status="won"), location=elsewhere)
    c = campaign(seg)

    for name, pk in (
        ("segment_edit", seg.pk),
        ("segment_preview", seg.pk),
        ("segment_export", seg.pk),
        ("campaign_detail", c.pk),
    ):
        assert (
            manager_client.get(reverse(f"campaigns:{name}", kwargs={"pk": pk})).status_code == 404
        )


def test_create_test_and_launch_a_campaign(
    manager_client, location, django_capture_on_commit_callbacks
):
    customer = won(location)[0]
    consent(customer)
    won(location)  # no consent
    seg = segment(cond("lead_status", status="won"), location=location)
    data = {
        "name": "Summer",
        "segment": seg.pk,
        "channel": "email",
        "send_at": "",
        "control_percent": "0",
        "link_path": "/vehicles/",
        "text-default-subject": "Hi {first_name}",
        "text-default-email_body": "Hello {first_name}: {booking_link}",
        "text-default-sms_body": "",
    }
    bad = manager_client.post(
        reverse("campaigns:campaign_new"), {**data, "link_path": "https://evil.example/"}
    )
    assert bad.status_code == 400
    assert "The link must be a page of this showroom" in bad.text

    response = manager_client.post(reverse("campaigns:campaign_new"), data)
    c = Campaign.objects.get(name="Summer")
    assert response.status_code == 302
    detail = manager_client.get(c.get_absolute_url())
    assert "Excluded: no marketing consent" in detail.text
    assert detail.context["summary"]["send"] == 1
    assert detail.context["summary"]["no_consent"] == 1

    refused = manager_client.post(
        reverse("campaigns:campaign_action", kwargs={"pk": c.pk, "action": "launch"})
    )
    assert refused.status_code == 400
    assert "Send yourself a test first." in refused.text

    manager_client.post(reverse("campaigns:campaign_action", kwargs={"pk": c.pk, "action": "test"}))
    assert (
        OutboxMessage.objects.get(to="manager@example.de").subject
        == f"[Test] Hi {customer.first_name}"
    )

    with django_capture_on_commit_callbacks() as callbacks:
        manager_client.post(
            reverse("campaigns:campaign_action", kwargs={"pk": c.pk, "action": "launch"})
        )
    c.refresh_from_db()
    assert c.status == "scheduled"
    assert len(callbacks) == 1
    campaign_dispatch(campaign_id=c.pk)
    progress = manager_client.get(reverse("campaigns:campaign_progress", kwargs={"pk": c.pk}))
    assert "1 of 1 messages handed to the outbox" in progress.text
    page = manager_client.get(c.get_absolute_url())
    assert page.context["results"]["counts"]["handed"] == 1


def test_click_link_counts_and_redirects_to_the_allowed_page_only(client, location):
    customer = won(location)[0]
    consent(customer)
    seg = segment(cond("lead_status", status="won"), location=location)
    c = campaign(seg, status="scheduled")
    Campaign.objects.filter(pk=c.pk).update(link_path="/vehicles/?make=Skoda")
    campaign_dispatch(campaign_id=c.pk)
    recipient = Recipient.objects.get(campaign=c)
    body = OutboxMessage.objects.get(customer_id=customer.pk).body
    link = re.search(r"https?://[^/\s]+(/c/[^/\s]+/)", body).group(1)

    first = client.get(link)
    client.get(reverse("campaigns:click", kwargs={"token": click_token(recipient.pk)}))
    forged = signing.dumps(recipient.pk, salt="another.salt")
    tampered = client.get(reverse("campaigns:click", kwargs={"token": forged}))

    assert (first.status_code, first["Location"]) == (302, "/vehicles/?make=Skoda")
    recipient.refresh_from_db()
    assert recipient.clicks == 2
    assert recipient.clicked_at is not None
    assert tampered.status_code == 404
    # A target changed behind the form's back (admin, SQL) still cannot leave the site.
    Campaign.objects.filter(pk=c.pk).update(link_path="//evil.example/")
    assert (
        client.get(reverse("campaigns:click", kwargs={"token": click_token(recipient.pk)}))[
            "Location"
        ]
        == "/"
    )


def test_consultant_sends_a_group_message_from_a_segment_preview(client, location):
    consultant = UserFactory(role=Role.CONSULTANT, locations=[location])
    client.force_login(consultant)
    yes, no = won(location, 2)
    consent(yes)
    seg = segment(cond("lead_status", status="won"), location=location)
    url = reverse("campaigns:group_message")

    page = client.get(url, {"segment": seg.pk})
    too_few = client.post(
        url, {"segment": seg.pk, "channel": "email", "subject": "Hi", "email_body": "Hello"}
    )
    response = client.post(
        url,
        {
            "segment": seg.pk,
            "channel": "email",
            "subject": "Hi",
            "email_body": "Hello {first_name}",
            "customers": [yes.pk, no.pk],
        },
    )

    assert f'for="customer-{yes.pk}"' in page.text
    assert too_few.status_code == 400
    assert response.status_code == 302
    group = Campaign.objects.get(kind="group")
    campaign_dispatch(campaign_id=group.pk)
    assert list(
        OutboxMessage.objects.filter(dedupe_key__startswith=f"camp:{group.pk}:").values_list(
            "to", flat=True
        )
    ) == [yes.email]


def test_builtin_segments_exist_and_show_translated_names(manager_client):
    names = set(Segment.objects.filter(builtin=True).values_list("name", flat=True))

    assert names == {
        "Owners: car 4+ years or 80,000+ km",
        "Finance ends within 6 months",
        "Service visit this week, car 5+ years",
    }
    page = manager_client.get(reverse("campaigns:segment_list"), HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 200


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("status", ["draft", "sent"])
def test_campaign_page_queries_do_not_grow_with_the_audience(manager_client, location, status):
    seg = segment(cond("lead_status", status="won"), location=location)
    small = won(location, 2)
    for customer in small:
        consent(customer)
    c = campaign(seg, status="scheduled" if status == "sent" else "draft")
    if status == "sent":
        Campaign.objects.filter(pk=c.pk).update(launched_at=c.created_at, send_at=c.created_at)
        campaign_dispatch(campaign_id=c.pk)
    first = _queries(manager_client, c.get_absolute_url())

    for customer in won(location, 12):
        consent(customer)
    if status == "sent":
        Campaign.objects.filter(pk=c.pk).update(status="sending", materialised=False)
        campaign_dispatch(campaign_id=c.pk)
        assert c.recipients.count() == 14

    assert _queries(manager_client, c.get_absolute_url()) == first
