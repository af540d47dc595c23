"""The staff notification sound: off by default, switched on with a button, remembered in
localStorage, and it plays when the navigation's unread count rises (not on every page)."""

import pytest
from playwright.sync_api import expect

from tests.conversations.factories import MessageFactory
from tests.leads.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFRESH_BADGE = """() => {
  const badge = document.querySelector("[data-unread-badge]");
  return htmx.ajax("GET", badge.getAttribute("hx-get"), {target: badge, swap: "innerHTML"});
}"""
COUNT_BEEPS = """() => {
  window.beeps = 0;
  document.addEventListener("showroom:notification-sound", () => { window.beeps += 1; });
}"""


def test_the_sound_toggle_is_remembered_and_beeps_when_unread_rises(
    page, staff_log_in, consultant, location
):
    customer = CustomerFactory(location=location, owner=consultant)
    MessageFactory(customer=customer, body="Hello?")
    staff_log_in(page, consultant, next="/staff/conversations/")
    toggle = page.get_by_role("button", name="Sound for new messages: off")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#conversations-unread")).to_have_attribute("data-unread", "1")

    toggle.click()
    on = page.get_by_role("button", name="Sound for new messages: on")
    expect(on).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("localStorage.getItem('showroom.notificationSound')") == "on"

    page.reload()
    expect(page.get_by_role("button", name="Sound for new messages: on")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#conversations-unread")).to_have_attribute("data-unread", "1")
    page.evaluate(COUNT_BEEPS)
    page.evaluate(REFRESH_BADGE)  # the same count: no sound
    expect(page.locator("#conversations-unread")).to_have_attribute("data-unread", "1")
    assert page.evaluate("window.beeps") == 0

    MessageFactory(customer=customer, body="Are you there?")
    page.evaluate(REFRESH_BADGE)
    expect(page.locator("#conversations-unread")).to_have_attribute("data-unread", "2")
    page.wait_for_function("window.beeps === 1")

    page.get_by_role("button", name="Sound for new messages: on").click()
    MessageFactory(customer=customer, body="Hello again")
    page.evaluate(REFRESH_BADGE)
    expect(page.locator("#conversations-unread")).to_have_attribute("data-unread", "3")
    assert page.evaluate("window.beeps") == 1  # switched off: silent
