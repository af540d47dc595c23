"""dealership.core.states: the one status machine every stateful model moves through."""

import threading
import time

import pytest
from django.contrib import admin
from django.db import connection, transaction

from dealership.core.admin import StatusHistoryInline
from dealership.core.states import StatusHistory
from orders.models import ORDER_MACHINE, Order, OrderTransition, TransitionError
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import make_order

S = Order.Status


@pytest.fixture
def order(location):
    return make_order(VehicleFactory(location=location))


def test_a_move_the_table_does_not_allow_is_refused_with_the_apps_error(order):
    with pytest.raises(TransitionError) as refused:
        ORDER_MACHINE.transition(order, S.DELIVERED)

    assert refused.value.code == "illegal_transition"
    assert refused.value.messages == ["An order that is “Draft” cannot become “Delivered”."]
    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert not OrderTransition.objects.filter(order=order).exists()


def test_a_move_writes_one_history_row_with_who_when_from_to_and_note(order, consultant):
    before = OrderTransition.objects.filter(order=order).count()

    row, history = ORDER_MACHINE.transition(order, S.SUBMITTED, consultant, "x" * 400)

    assert row.status == S.SUBMITTED
    assert OrderTransition.objects.filter(order=order).count() == before + 1
    history.refresh_from_db()
    assert (history.order_id, history.from_status, history.to_status, history.by) == (
        order.pk,
        S.DRAFT,
        S.SUBMITTED,
        consultant,
    )
    assert history.note == "x" * 300  # the order's notes are cut where they always were
    assert history.at is not None
    assert history.at.tzinfo is not None
    assert (history.from_label, history.to_label) == ("Draft", "Reserved, deposit due")
    assert history.get_to_status_display() == "Reserved, deposit due"
    assert str(history) == f"{order.pk}: draft → submitted"


def test_only_the_status_and_the_apps_fields_are_saved(order):
    stale = Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(cancel_reason="set elsewhere")
    stale.cancel_reason = "stale in memory"

    ORDER_MACHINE.transition(stale, S.SUBMITTED)

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.SUBMITTED, "set elsewhere")


def test_an_app_check_refuses_after_the_lock_and_nothing_is_written(order):
    def check(row):
        raise TransitionError("not today")

    with pytest.raises(TransitionError, match="not today"):
        ORDER_MACHINE.transition(order, S.SUBMITTED, check=check)

    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert not OrderTransition.objects.filter(order=order, to_status=S.SUBMITTED).exists()


def test_notify_runs_only_after_commit(order, django_capture_on_commit_callbacks):
    told = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _row, history = ORDER_MACHINE.transition(
            order, S.SUBMITTED, notify=lambda row, h: told.append((row.status, h.pk))
        )
        assert told == []  # still inside the transaction
    assert len(callbacks) == 1
    assert told == [(S.SUBMITTED, history.pk)]


def test_a_rolled_back_move_notifies_nobody(order, django_capture_on_commit_callbacks):
    told = []

    def move_then_fail():
        with transaction.atomic():
            ORDER_MACHINE.transition(order, S.SUBMITTED, notify=lambda *a: told.append(a))
            raise RuntimeError("the caller fails later")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        move_then_fail()
    assert callbacks == []
    assert told == []
    order.refresh_from_db()
    assert order.status == S.DRAFT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_one_wins_the_other_sees_the_new_state_and_is_refused(location):
    order = make_order(VehicleFactory(location=location))
    first_holds_lock = threading.Event()
    outcomes: dict[str, str] = {}

    def first():
        try:
            with transaction.atomic():
                ORDER_MACHINE.transition(order, S.SUBMITTED)
                first_holds_lock.set()
                time.sleep(0.5)  # the second waits on the row lock meanwhile
            outcomes["first"] = "moved"
        finally:
            first_holds_lock.set()
            connection.close()

    def second():
        try:
            first_holds_lock.wait(timeout=20)
            ORDER_MACHINE.transition(order, S.SUBMITTED)
            outcomes["second"] = "moved"
        except TransitionError as exc:
            outcomes["second"] = exc.messages[0]
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == {
        "first": "moved",
        "second": "An order that is “Reserved, deposit due” cannot become “Reserved, deposit due”.",
    }
    assert OrderTransition.objects.filter(order=order, to_status=S.SUBMITTED).count() == 1


def test_every_status_history_is_shown_by_the_one_read_only_inline(rf, admin_user):
    histories = {m for m in StatusHistory.__subclasses__() if not m._meta.abstract}
    shown = {
        inline.model: inline
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
        if issubclass(inline.model, StatusHistory)
    }
    assert histories
    assert set(shown) == histories
    request = rf.get("/")
    request.user = admin_user
    for model, inline_class in shown.items():
        assert issubclass(inline_class, StatusHistoryInline), model
        inline = inline_class(model._meta.get_field(model.subject_field).related_model, admin.site)
        fields = inline.get_fields(request)
        assert fields[:4] == ["when", "who", "moved_from", "moved_to"]
        assert inline.get_readonly_fields(request) == fields
        assert not inline.has_add_permission(request)
        assert not inline.has_change_permission(request)


def test_a_leads_history_keeps_its_own_column_names(order, consultant):
    from leads.models import LEAD_MACHINE, Lead
    from tests.leads.factories import LeadFactory

    lead = LeadFactory()
    change = LEAD_MACHINE.record(lead, lead.status, by=consultant, reason="stayed")

    change.refresh_from_db()
    assert (change.changed_by, change.who, change.when) == (
        consultant,
        consultant,
        change.changed_at,
    )
    assert change.moved is False
    assert change.get_to_status_display() == Lead.Status(lead.status).label


def test_no_admin_edits_a_status_the_machine_owns(rf, admin_user):
    # Every model with a status history: its admin either cannot change a row at all, or
    # shows an existing row's status read-only (moves go through the app's service).
    stateful = {
        m._meta.get_field(m.subject_field).related_model
        for m in StatusHistory.__subclasses__()
        if not m._meta.abstract
    }
    request = rf.get("/")
    request.user = admin_user
    assert len(stateful) >= 6
    for model in stateful:
        model_admin = admin.site._registry[model]
        row = model()  # unsaved: the admins read only its fields
        row.pk = 1
        editable = model_admin.has_change_permission(request, row)
        readonly = model_admin.get_readonly_fields(request, row)
        assert not editable or "status" in readonly, model
        if model_admin.has_add_permission(request):  # a new row still gets its first status
            assert "status" not in model_admin.get_readonly_fields(request, None), model
