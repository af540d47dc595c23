"""The live chat in two real browsers at once: a visitor on a phone chats, a consultant sees
the chat arrive without reloading, accepts and answers, and the visitor reads the answer
without reloading; outside opening hours the chat turns into a lead."""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import ChatSession
from leads.models import Lead
from tests.accounts.factories import LocationFactory
from tests.conversations.chat_helpers import consultant_at, open_location
from tests.e2e.asgi_server import asgi_live_server
from tests.knowledge.factories import ArticleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chat_server(transactional_db):
    with asgi_live_server() as url:
        yield url


def _context(browser, url, **kwargs):
    context = browser.new_context(base_url=url, **kwargs)
    context.set_default_timeout(15_000)
    return context


def test_visitor_and_consultant_chat_live(browser, chat_server, staff_log_in):
    location = open_location(name="Showroom Mitte")
    consultant = consultant_at(location, first_name="Anna", last_name="Berg")
    staff = _context(browser, chat_server, viewport={"width": 1280, "height": 900})
    visitor = _context(browser, chat_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        desk = staff.new_page()
        staff_log_in(desk, consultant, next="/staff/chats/")
        expect(desk.get_by_text("Nobody is waiting.")).to_be_visible()

        phone = visitor.new_page()
        phone.goto("/")
        phone.get_by_role("button", name="Chat with us").click()
        dialog = phone.get_by_role("dialog", name="Chat with us")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_label("Your message")).to_be_focused()
        dialog.get_by_label("Your message").fill("Is the <b>blue</b> Golf still for sale?")
        dialog.get_by_role("button", name="Start chat").click()
        expect(dialog.get_by_text("A consultant will be with you in a moment.")).to_be_visible()

        # The consultant's board shows it without a reload.
        waiting = desk.get_by_role("link", name="Is the <b>blue</b> Golf still for sale?")
        expect(waiting).to_be_visible()
        desk.get_by_role("button", name="Accept").click()
        desk.wait_for_url(re.compile(r"/staff/chats/\d+/$"))
        expect(dialog.get_by_text("Anna is answering you.")).to_be_visible()

        desk.get_by_label("Your answer").fill("Yes, it is here. Come by for a test drive!")
        desk.get_by_role("button", name="Send").click()

        log = dialog.get_by_role("log")
        expect(log.get_by_text("Yes, it is here. Come by for a test drive!")).to_be_visible()

        dialog.get_by_label("Message", exact=True).fill("Great, Saturday at ten?")
        dialog.get_by_role("button", name="Send", exact=True).click()
        expect(desk.get_by_role("log").get_by_text("Great, Saturday at ten?")).to_be_visible()

        # Another page load: the thread is still there (signed cookie).
        phone.goto("/cars/")
        phone.get_by_role("button", name="Chat with us").click()
        expect(phone.get_by_role("log").get_by_text("Great, Saturday at ten?")).to_be_visible()
        session = ChatSession.objects.get()
        assert session.accepted_by == consultant
        assert session.lines.count() == 3
    finally:
        staff.close()
        visitor.close()


def test_outside_opening_hours_the_chat_becomes_a_lead(browser, chat_server):
    location = LocationFactory(weekday_hours={}, name="Showroom Nord")  # closed all week
    consultant_at(location)
    ArticleFactory(title="Leasing a car", body="How leasing works: rates, mileage, return.")
    visitor = _context(browser, chat_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = visitor.new_page()
        phone.goto("/")
        phone.get_by_role("button", name="Chat with us").click()
        dialog = phone.get_by_role("dialog", name="Chat with us")
        dialog.get_by_label("Your message").fill("Leasing a car")
        # Help articles for what the visitor types, before anyone answers.
        expect(dialog.get_by_role("link", name="Leasing a car")).to_be_visible()
        dialog.get_by_role("button", name="Start chat").click()
        expect(dialog.get_by_text("Nobody can answer right now.")).to_be_visible()

        dialog.get_by_label("Your name").fill("Lena Hoffmann")
        dialog.get_by_label("Email", exact=True).fill("lena@example.de")
        dialog.get_by_role("button", name="Send my details").click()
        expect(dialog.get_by_text("We have your details")).to_be_visible()

        lead = Lead.objects.get()
        assert lead.source == Lead.Source.CHAT
        assert lead.location == location
        assert "Leasing a car" in lead.message
        assert lead.customer.email == "lena@example.de"
    finally:
        visitor.close()
