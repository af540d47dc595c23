"""In a real browser, with the Content-Security-Policy on: the admin's JavaScript still works,
the two-factor login works, and no page reports a CSP violation."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from dealership.accounts.roles import Role
from tests.accounts.factories import LocationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def watched_page(page):
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.csp_console = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations") + page.csp_console


def log_in_with_second_factor(page, user, device):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/staff/accounts/login/\?next=/admin/$"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/staff/accounts/two-factor/verify/"))
    page.get_by_label("Authentication code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_admin_works_under_the_csp_after_a_two_factor_login(watched_page):
    page = watched_page
    LocationFactory(name="Showroom Motors Leipzig")
    admin = UserFactory(role=Role.ADMINISTRATOR, is_superuser=True, username="ada")
    device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)

    log_in_with_second_factor(page, admin, device)
    expect(page.get_by_role("heading", name="Dealership management")).to_be_visible()

    # The user form's group picker is built by admin JavaScript (SelectFilter2).
    page.goto(f"/admin/accounts/user/{admin.pk}/change/")
    expect(page.locator("#id_groups_from")).to_be_visible()
    expect(page.locator("#id_locations_filter")).to_be_visible()

    # The slug is filled in from the name by admin JavaScript (prepopulated fields), and the
    # inline's "Add another" link is added by script too.
    page.goto("/admin/accounts/location/add/")
    page.get_by_label("Name:").press_sequentially("Showroom Motors Porto")
    expect(page.get_by_label("Slug:")).to_have_value("showroom-motors-porto")
    page.get_by_role("button", name="Add another Opening hours").click()
    expect(page.locator("#id_opening_hours-0-weekday")).to_be_visible()

    page.goto("/admin/accounts/user/")
    expect(page.get_by_role("link", name="ada")).to_be_visible()
    page.goto("/admin/accounts/auditevent/")

    assert violations(page) == []


def test_showroom_and_staff_pages_report_no_csp_violation(watched_page):
    page = watched_page
    LocationFactory(name="Showroom Motors Leipzig", slug="leipzig")
    consultant = UserFactory(role=Role.CONSULTANT)

    page.goto("/")
    page.goto("/locations/leipzig/")
    page.goto("/staff/accounts/login/")
    page.get_by_label("Username").fill(consultant.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    page.goto("/staff/accounts/two-factor/")

    assert violations(page) == []


def test_an_inline_script_would_be_blocked_and_reported(watched_page):
    # Proves the watcher sees violations: inject an inline script into a served page.
    page = watched_page
    page.goto("/")
    page.evaluate(
        "const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s);"
    )
    page.wait_for_function("window.__cspViolations.length > 0")

    assert page.evaluate("window.ran") is None
    assert violations(page)[0].startswith("script-src-elem inline")


def test_a_manager_enrols_two_factor_in_the_browser(page):
    manager = UserFactory(role=Role.SALES_MANAGER, username="maren")

    page.goto("/staff/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    key = page.locator("code").inner_text().replace(" ", "")
    import base64

    code = f"{totp(base64.b32decode(key)):06d}"
    page.get_by_label("Code from the app").fill(code)
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
