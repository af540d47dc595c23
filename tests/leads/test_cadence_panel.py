"""The follow-up cadence panel on the staff lead page, and its pause / resume / stop buttons."""

import datetime
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from dealership.accounts.roles import Role
from leads.models import CadenceEvent, CadenceStep, Lead
from tests.accounts.factories import LocationFactory, UserFactory
from tests.leads.factories import CadenceStepFactory, CustomerFactory, LeadFactory
from tests.security.fuzz import fuzz_form, hostile_text, mostly

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=datetime.UTC)  # a Wednesday
NOW = CREATED + datetime.timedelta(minutes=30)
# Step 2 is due an hour after arrival: 09:00 UTC, 11:00 in Berlin (summer time).
DUE = CREATED + datetime.timedelta(minutes=60)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def steps():
    return [
        CadenceStepFactory(position=1, delay_minutes=0, action=CadenceStep.Action.EMAIL),
        CadenceStepFactory(
            position=2,
            delay_minutes=60,
            action=CadenceStep.Action.SMS,
            template_key="leads.follow_up_sms",
        ),
        CadenceStepFactory(
            position=3,
            delay_minutes=24 * 60,
            action=CadenceStep.Action.CALL_TASK,
            template_key="",
            task_title="Call the customer",
        ),
    ]


@pytest.fixture
def lead(location, consultant, steps):
    return LeadFactory(
        customer=CustomerFactory(location=location, first_name="Lena", last_name="Hoffmann"),
        assigned_to=consultant,
        created_at=CREATED,
        cadence_position=2,
        cadence_next_at=DUE,
    )


def _url(lead, action):
    return reverse(f"leads:cadence_{action}", args=[lead.pk])


def _page(client, lead) -> str:
    response = client.get(lead.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _panel(html: str) -> str:
    start = html.index('id="cadence-panel"')
    return html[start : html.index("</section>", start)]


def test_the_panel_shows_the_cadence_its_next_step_and_when_it_is_due_locally(
    consultant_client, lead
):
    panel = _panel(_page(consultant_client, lead))

    assert "Vehicle enquiry follow-up" in panel
    assert "Running" in panel
    assert "Send SMS · <code>leads.follow_up_sms</code>" in panel
    assert '<time datetime="2026-06-10T11:00:00+02:00">10 Jun 2026, 11:00 CEST</time>' in panel
    # Paused, the cadence can be resumed; running, paused; both stopped. Each has a label.
    assert 'for="cadence-pause-reason"' in panel
    assert 'for="cadence-stop-reason"' in panel
    assert 'id="cadence-resume-reason"' not in panel
    assert f'action="{_url(lead, "pause")}"' in panel
    assert f'action="{_url(lead, "stop")}"' in panel


def test_a_call_task_step_shows_its_title(consultant_client, lead):
    Lead.objects.filter(pk=lead.pk).update(cadence_position=3)

    panel = _panel(_page(consultant_client, lead))

    assert "Create call task · Call the customer" in panel


def test_the_history_lists_pauses_resumptions_and_stops_with_their_reasons(
    consultant_client, consultant, lead
):
    CadenceEvent.objects.create(
        lead=lead,
        action=CadenceEvent.Action.PAUSED,
        reason="Customer on holiday",
        by=consultant,
        at=CREATED + datetime.timedelta(minutes=5),
    )
    CadenceEvent.objects.create(
        lead=lead,
        action=CadenceEvent.Action.RESUMED,
        reason="Back from holiday",
        by=consultant,
        at=CREATED + datetime.timedelta(minutes=10),
    )
    Lead.objects.filter(pk=lead.pk).update(
        cadence_paused_at=CREATED + datetime.timedelta(minutes=20)
    )

    panel = _panel(_page(consultant_client, lead))

    assert (
        'Paused</span> since <time datetime="2026-06-10T10:20:00+02:00">10 Jun 2026, 10:20 CEST</time> Europe/Berlin'
        in panel
    )
    history = panel[panel.index('id="cadence-history"') :]
    # Newest first, in the location's time, with who and why.
    resumed = history.index(
        '<strong>Resumed</strong> · <time datetime="2026-06-10T10:10:00+02:00">10 Jun 2026, 10:10 CEST</time>'
    )
    paused = history.index(
        '<strong>Paused</strong> · <time datetime="2026-06-10T10:05:00+02:00">10 Jun 2026, 10:05 CEST</time>'
    )
    assert resumed < paused
    assert "Back from holiday" in history
    assert "Customer on holiday" in history
    assert consultant.get_full_name() in history
    assert 'for="cadence-resume-reason"' in panel
    assert 'id="cadence-pause-reason"' not in panel


def test_a_cadence_the_system_stopped_says_why(consultant_client, lead):
    Lead.objects.filter(pk=lead.pk).update(cadence_next_at=None, cadence_stopped_reason="replied")
    CadenceEvent.objects.create(
        lead=lead, action=CadenceEvent.Action.STOPPED, reason="replied", by=None, at=NOW
    )

    panel = _panel(_page(consultant_client, lead))

    assert "Stopped</span> (the customer replied)" in panel
    assert "<strong>Stopped</strong>" in panel
    assert "System<br>the customer replied" in panel
    assert "<form" not in panel


def test_a_lead_type_without_steps_says_so(consultant_client, location, consultant):
    lead = LeadFactory(
        customer=CustomerFactory(location=location), assigned_to=consultant, type=Lead.Type.GENERAL
    )

    panel = _panel(_page(consultant_client, lead))

    assert "No follow-up cadence for this lead type." in panel
    assert "<form" not in panel


def test_the_consultant_pauses_with_a_reason(consultant_client, consultant, lead):
    response = consultant_client.post(_url(lead, "pause"), {"reason": "Customer on holiday"})

    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
    lead.refresh_from_db()
    assert lead.cadence_paused_at == NOW
    assert lead.cadence_next_at == DUE
    assert list(CadenceEvent.objects.values_list("action", "reason", "by")) == [
        ("paused", "Customer on holiday", consultant.pk)
    ]
    page = _page(consultant_client, lead)
    assert "Cadence paused." in page
    assert (
        'Paused</span> since <time datetime="2026-06-10T10:30:00+02:00">10 Jun 2026, 10:30 CEST</time> Europe/Berlin'
        in _panel(page)
    )


def test_the_consultant_resumes_with_a_reason_and_the_steps_move_later(
    consultant_client, consultant, lead
):
    Lead.objects.filter(pk=lead.pk).update(
        cadence_paused_at=CREATED + datetime.timedelta(minutes=10)
    )

    response = consultant_client.post(_url(lead, "resume"), {"reason": "Customer is back"})

    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
    lead.refresh_from_db()
    assert lead.cadence_paused_at is None
    assert lead.cadence_next_at == DUE + datetime.timedelta(minutes=20)
    assert list(CadenceEvent.objects.values_list("action", "reason", "by")) == [
        ("resumed", "Customer is back", consultant.pk)
    ]
    assert "Cadence resumed." in _page(consultant_client, lead)


def test_the_consultant_stops_with_a_reason(consultant_client, consultant, lead):
    response = consultant_client.post(_url(lead, "stop"), {"reason": "Bought elsewhere, by phone"})

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.cadence_next_at, lead.cadence_stopped_reason) == (None, "stopped_by_staff")
    assert list(CadenceEvent.objects.values_list("action", "reason", "by")) == [
        ("stopped", "Bought elsewhere, by phone", consultant.pk)
    ]
    page = _page(consultant_client, lead)
    assert "Cadence stopped." in page
    assert "Stopped</span> (stopped by staff)" in _panel(page)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("pause", "Say why the cadence is paused."),
        ("resume", "Say why the cadence is resumed."),
        ("stop", "Say why the cadence is stopped."),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_missing_reason_is_400_and_changes_nothing(
    consultant_client, lead, action, message, reason
):
    if action == "resume":
        Lead.objects.filter(pk=lead.pk).update(cadence_paused_at=CREATED)
    before = Lead.objects.values("cadence_next_at", "cadence_paused_at").get(pk=lead.pk)

    response = consultant_client.post(
        _url(lead, action), {} if reason is None else {"reason": reason}
    )

    assert response.status_code == 400
    panel = _panel(response.content.decode())
    assert message in panel
    assert f'for="cadence-{action}-reason"' in panel
    assert Lead.objects.values("cadence_next_at", "cadence_paused_at").get(pk=lead.pk) == before
    assert CadenceEvent.objects.count() == 0


def test_resuming_a_running_cadence_is_400_with_the_reason(consultant_client, lead):
    response = consultant_client.post(_url(lead, "resume"), {"reason": "Go on"})

    assert response.status_code == 400
    assert "The cadence is not paused." in _panel(response.content.decode())
    assert CadenceEvent.objects.count() == 0


def test_a_stopped_cadence_cannot_be_paused(consultant_client, lead):
    Lead.objects.filter(pk=lead.pk).update(cadence_next_at=None, cadence_stopped_reason="won")

    response = consultant_client.post(_url(lead, "pause"), {"reason": "Holiday"})

    assert response.status_code == 400
    assert "This lead has no cadence running." in _panel(response.content.decode())
    assert CadenceEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["pause", "resume", "stop"])
def test_another_locations_lead_is_404(consultant_client, steps, action):
    foreign = LeadFactory(
        customer=CustomerFactory(location=LocationFactory(name="Lisbon branch")),
        cadence_position=2,
        cadence_next_at=DUE,
        cadence_paused_at=CREATED if action == "resume" else None,
    )

    response = consultant_client.post(_url(foreign, action), {"reason": "Not mine"})

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.cadence_next_at == DUE
    assert CadenceEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["pause", "resume", "stop"])
def test_a_colleague_who_does_not_own_the_lead_is_403(client, location, lead, action):
    if action == "resume":
        Lead.objects.filter(pk=lead.pk).update(cadence_paused_at=CREATED)
    before = Lead.objects.values("cadence_next_at", "cadence_paused_at").get(pk=lead.pk)
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[location]))

    response = client.post(_url(lead, action), {"reason": "Not my lead"})

    assert response.status_code == 403
    assert "Only the lead's consultant or a manager may change its cadence." in unescape(
        _panel(response.content.decode())
    )
    assert Lead.objects.values("cadence_next_at", "cadence_paused_at").get(pk=lead.pk) == before
    assert CadenceEvent.objects.count() == 0


def test_a_colleague_sees_the_panel_without_the_buttons(client, location, lead):
    client.force_login(UserFactory(role=Role.CONSULTANT, locations=[location]))

    panel = _panel(_page(client, lead))

    assert "Vehicle enquiry follow-up" in panel
    assert "<form" not in panel
    assert "Only the lead's consultant or a manager may change its cadence." in panel


def test_a_manager_of_the_location_may_stop_a_consultants_cadence(client, manager, lead):
    client.force_login(manager)

    assert "<form" in _panel(_page(client, lead))
    response = client.post(_url(lead, "stop"), {"reason": "Duplicate of another lead"})

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.cadence_stopped_reason == "stopped_by_staff"
    assert list(CadenceEvent.objects.values_list("action", "by")) == [("stopped", manager.pk)]


def test_the_buttons_take_posts_only(consultant_client, lead):
    assert consultant_client.get(_url(lead, "pause")).status_code == 405
    assert CadenceEvent.objects.count() == 0


def test_the_pause_form_survives_hostile_input(consultant_client, consultant, lead):
    def one_event(response, added):
        assert added == {CadenceEvent: 1}

    result = fuzz_form(
        consultant_client,
        _url(lead, "pause"),
        {"reason": mostly("Customer on holiday", hostile=hostile_text(max_size=400))},
        models=[CadenceEvent],
        added=one_event,
        max_examples=60,
    )

    assert result.examples == 60
    assert set(result.statuses) <= {302, 400}
    # Paused once; every later pause is refused ("already paused") and changes nothing.
    assert result.accepted == 1
    assert CadenceEvent.objects.filter(by=consultant).count() == result.accepted


def _events(lead, by, count):
    for minute in range(count):
        CadenceEvent.objects.create(
            lead=lead,
            action=CadenceEvent.Action.PAUSED if minute % 2 else CadenceEvent.Action.RESUMED,
            reason=f"Reason {minute}",
            by=by,
            at=CREATED + datetime.timedelta(minutes=minute),
        )


def test_the_lead_page_query_count_is_fixed(client, consultant, lead, django_assert_num_queries):
    client.force_login(consultant)
    _events(lead, consultant, 1)

    # Session, user, savepoint, groups (role check), the lead (customer, location, assignee,
    # vehicle joined), the history (status changes, assignments, activities, tasks, photos),
    # the cadence's next step and its events (with who), the pending transfer request, the
    # colleagues for a transfer (the lead's consultant; a manager: the consultants to
    # reassign to), release; then the session save in its own savepoint (3).
    with django_assert_num_queries(LEAD_PAGE_QUERIES):
        first = client.get(lead.get_absolute_url())
    _events(lead, UserFactory(role=Role.CONSULTANT, locations=[lead.location]), 8)
    with django_assert_num_queries(LEAD_PAGE_QUERIES):
        second = client.get(lead.get_absolute_url())

    assert first.status_code == second.status_code == 200
    assert second.content.decode().count("Reason ") == 9


LEAD_PAGE_QUERIES = 18
