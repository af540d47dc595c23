"""The staff navigation. An entry whose URL does not exist yet is shown disabled, so each app
switches its own entry on simply by adding its URL."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from dealership.accounts.roles import MANAGER_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[Role, ...] = ()  # empty: every staff member
    # A URL name whose response is a small badge (an unread count), loaded by htmx after the
    # page, so no staff page pays a query for it.
    badge_url_name: str = ""

    @property
    def badge_url(self) -> str | None:
        if not self.badge_url_name:
            return None
        try:
            return reverse(self.badge_url_name)
        except NoReverseMatch:
            return None

    @property
    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


STAFF_NAV = (
    NavItem(_("Leads"), "leads:inbox"),
    NavItem(_("Conversations"), "conversations:list", badge_url_name="conversations:unread-count"),
    NavItem(_("Live chat"), "conversations:chats"),
    NavItem(_("Test drives"), "testdrives:calendar"),
    NavItem(_("Orders"), "orders:desk"),
    NavItem(_("Service"), "aftersales:workshop"),
    NavItem(_("Surveys"), "surveys:results"),
    NavItem(_("Outbox"), "messaging:outbox"),
    NavItem(_("Help"), "knowledge:staff-index"),
    NavItem(_("Stock"), "inventory:transfers", roles=MANAGER_ROLES),
    NavItem(_("Campaigns"), "campaigns:campaign_list", roles=MANAGER_ROLES),
    NavItem(_("Reports"), "reports:index", roles=MANAGER_ROLES),
    NavItem(_("Admin"), "admin:index", roles=MANAGER_ROLES),
)


def staff_nav_for(user) -> list[NavItem]:
    return [item for item in STAFF_NAV if not item.roles or user.has_role(*item.roles)]


def staff_navigation(request):
    """Context processor: the staff menu, computed only on pages that render it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"staff_nav": ()}
    return {"staff_nav": SimpleLazyObject(lambda: staff_nav_for(user))}
