"""Campaigns and segments in Django admin: listed with their counters; a campaign that has
gone out, and every recipient row, are read-only."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Recipient
from tests.campaigns.factories import campaign, cond, segment
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def sent_campaign():
    c = campaign(segment(cond("lead_status", status="won")), status=Campaign.Status.SENT)
    for status in ("queued", "queued", "excluded"):
        Recipient.objects.create(
            campaign=c, customer=CustomerFactory(), channel="email", status=status
        )
    return c


def test_campaign_list_shows_the_counters(admin_client):
    c = sent_campaign()

    html = admin_client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()

    assert c.name in html
    assert '<td class="field-queued_count">2</td>' in html
    assert '<td class="field-excluded_count">1</td>' in html


def test_a_sent_campaign_cannot_be_edited_or_deleted(admin_client):
    c = sent_campaign()
    url = reverse("admin:campaigns_campaign_change", args=[c.pk])

    html = admin_client.get(url).content.decode()
    admin_client.post(url, {"name": "Renamed", "channel": "sms"})

    assert 'name="name"' not in html
    assert 'name="messages-0-email_body"' not in html
    c.refresh_from_db()
    assert (c.name, c.channel) == ("Spring upgrade", "email")
    delete = admin_client.get(reverse("admin:campaigns_campaign_delete", args=[c.pk]))
    assert delete.status_code == 403


def test_a_draft_campaign_stays_editable(admin_client):
    c = campaign(segment(cond("lead_status", status="won")))

    html = admin_client.get(reverse("admin:campaigns_campaign_change", args=[c.pk])).content
    assert b'name="name"' in html


def test_recipients_are_read_only(admin_client):
    c = sent_campaign()
    row = c.recipients.first()

    assert admin_client.get(reverse("admin:campaigns_recipient_add")).status_code == 403
    page = admin_client.get(reverse("admin:campaigns_recipient_change", args=[row.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    deleted = admin_client.post(reverse("admin:campaigns_recipient_delete", args=[row.pk]))
    assert deleted.status_code == 403
    assert Recipient.objects.filter(pk=row.pk).exists()
