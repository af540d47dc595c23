"""Two consultants click "Accept" at the same moment: exactly one owns the chat, the other is
told who took it. Real transactions, one thread and one database connection per click."""

import threading

import pytest
from django.db import connection

from conversations.chat import ChatTaken, chat_accept, chat_timeouts_run
from conversations.models import ChatSession
from tests.conversations.chat_helpers import consultant_at, open_location
from tests.conversations.factories import ChatSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_many_simultaneous_accepts_exactly_one_wins():
    location = open_location()
    consultants = [consultant_at(location, first_name=f"C{n}") for n in range(8)]
    session = ChatSessionFactory(location=location)
    barrier = threading.Barrier(len(consultants))
    won, lost = [], []

    def click(user):
        try:
            barrier.wait()
            try:
                chat_accept(session=session, by=user)
                won.append(user.pk)
            except ChatTaken as taken:
                lost.append(taken.session.accepted_by_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in consultants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    session.refresh_from_db()
    assert len(won) == 1
    assert len(lost) == len(consultants) - 1
    assert session.status == ChatSession.Status.ACTIVE
    assert session.accepted_by_id == won[0]
    assert set(lost) == {won[0]}  # every loser is told who has it


def test_the_timeout_job_racing_an_accept_changes_the_chat_once():
    import datetime

    from django.utils import timezone

    location = open_location()
    consultant = consultant_at(location)
    session = ChatSessionFactory(
        location=location, created_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    barrier = threading.Barrier(2)
    results = {}

    def accept():
        try:
            barrier.wait()
            try:
                chat_accept(session=session, by=consultant)
                results["accept"] = True
            except ChatTaken:
                results["accept"] = False
        finally:
            connection.close()

    def timeout():
        try:
            barrier.wait()
            results["offline"] = chat_timeouts_run()
        finally:
            connection.close()

    threads = [threading.Thread(target=accept), threading.Thread(target=timeout)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    session.refresh_from_db()
    assert results["accept"] != bool(results["offline"])  # one or the other, never both
    expected = ChatSession.Status.ACTIVE if results["accept"] else ChatSession.Status.OFFLINE
    assert session.status == expected
