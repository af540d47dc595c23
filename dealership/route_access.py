"""Who may open each URL of the project: the registry the route matrix test walks.

Every URL pattern needs an entry here, or tests/security/test_route_matrix.py fails and
names the route. Add one line per route when you add a URL:

    "leads:inbox": Route(Access.STAFF),
    "leads:inbox_clocks": Route(Access.STAFF),  # the inbox's clocks; only leads one may see
    "reports:index": Route(Access.STAFF, roles=MANAGER_ROLES),
    "testdrives:booking": Route(Access.CUSTOMER_TOKEN, scenario="tests.testdrives.routes:booking"),
    "messaging:sms-status": Route(Access.WEBHOOK),

Keys are "namespace:name" (a whole namespace as "namespace:*"), or "path:<pattern>" for an
unnamed pattern (inside a namespace: "namespace:path:<pattern>"). A `scenario` is "module:function" (usually under tests/) called as
f(location, other_location) and returning {"allowed": kwargs, "denied": kwargs}: for STAFF,
an object at `location` and one at `other_location` (a consultant of the first must get 404
on the second); for CUSTOMER_TOKEN, a URL with the customer's own valid token and one with
another customer's token (404).

Views that are `csrf_exempt` must be WEBHOOK routes (signed requests from a gateway); the test
checks that the exempt views are exactly those.
"""

from dataclasses import dataclass
from enum import StrEnum

from dealership.accounts.roles import MANAGER_ROLES, Role


class Access(StrEnum):
    PUBLIC = "public"  # anyone, no login (showroom pages, login, password reset, /healthz)
    CUSTOMER_TOKEN = "customer token"  # noqa: S105 - by signed, expiring token; foreign: 404
    STAFF = "staff"  # logged-in staff (optionally of `roles`), second factor passed
    TWO_FACTOR = "two-factor step"  # logged in, second factor not yet passed
    ADMIN = "admin"  # Django admin: staff with accounts.use_admin, second factor, model perms
    WEBHOOK = "webhook"  # machine-to-machine, CSRF-exempt, authenticated by a signature


# Who desks deals (orders' quotes): the sales floor, not the service advisors.
SALES_FLOOR = (Role.CONSULTANT, Role.SALES_MANAGER, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class Route:
    access: Access
    roles: tuple[Role, ...] = ()
    scenario: str = ""


ROUTES: dict[str, Route] = {
    # The showroom
    "home": Route(Access.PUBLIC),
    "location-detail": Route(Access.PUBLIC),
    "healthz": Route(Access.PUBLIC),
    "set_language": Route(Access.PUBLIC),  # the language switcher (POST, CSRF-protected)
    "path:^media/(?P<path>.*)$": Route(Access.PUBLIC),  # DEBUG only: uploaded photos
    # Staff
    "staff-home": Route(Access.STAFF),
    "accounts:login": Route(Access.PUBLIC),
    "accounts:logout": Route(Access.PUBLIC),
    "accounts:password_reset": Route(Access.PUBLIC),
    "accounts:password_reset_done": Route(Access.PUBLIC),
    "accounts:password_reset_confirm": Route(Access.PUBLIC),
    "accounts:password_reset_complete": Route(Access.PUBLIC),
    "accounts:two_factor_verify": Route(Access.TWO_FACTOR),
    "accounts:two_factor_setup": Route(Access.TWO_FACTOR),
    "accounts:two_factor": Route(Access.STAFF),
    "accounts:two_factor_recovery_codes": Route(Access.STAFF),
    # The showroom (inventory)
    "inventory:search": Route(Access.PUBLIC),
    "inventory:compare": Route(Access.PUBLIC),
    "inventory:favourites": Route(Access.PUBLIC),
    "inventory:saved-search-new": Route(Access.PUBLIC),
    "inventory:saved-search-unsubscribe": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:saved_search"
    ),
    "inventory:vehicle": Route(Access.PUBLIC),
    "inventory:vehicle-payment": Route(Access.PUBLIC),
    "inventory:sitemap": Route(Access.PUBLIC),
    # Marketplace feeds: anyone holding the feed's secret token (Google, Meta); wrong: 404
    "inventory:feed": Route(Access.PUBLIC),
    # Transfers between locations: managers (another location's transfer: 404; the wrong end
    # of one, e.g. the destination approving: 403; tests/inventory/test_transfers.py)
    "inventory:transfers": Route(Access.STAFF, roles=MANAGER_ROLES),
    "inventory:transfer-new": Route(Access.STAFF, roles=MANAGER_ROLES),
    "inventory:transfer": Route(Access.STAFF, roles=MANAGER_ROLES),
    "inventory:transfer-approve": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST
    "inventory:transfer-reject": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST
    "inventory:transfer-dispatch": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST
    "inventory:transfer-arrive": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST
    "inventory:transfer-cancel": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST
    # Leads: public enquiry forms, the ADF feed, the staff CRM
    "leads:enquiry": Route(Access.PUBLIC),
    "leads:vehicle-enquiry": Route(Access.PUBLIC),
    "leads:contact": Route(Access.PUBLIC),
    "leads:enquiry_form": Route(Access.PUBLIC),
    "leads:enquiry_thanks": Route(Access.PUBLIC),
    "leads:adf_receive": Route(Access.WEBHOOK),  # per-provider API key
    "leads:inbox": Route(Access.STAFF),
    "leads:inbox_clocks": Route(Access.STAFF),  # the inbox's clocks; only leads one may see
    "leads:bulk_assign": Route(Access.STAFF, roles=MANAGER_ROLES),
    "leads:availability": Route(Access.STAFF),
    "leads:pipeline": Route(Access.STAFF),
    "leads:pipeline_move": Route(Access.STAFF),
    "leads:tasks": Route(Access.STAFF),
    "leads:task_done": Route(Access.STAFF),
    "leads:lead_detail": Route(Access.STAFF, scenario="tests.security.scenarios:lead"),
    "leads:lead_activity": Route(Access.STAFF),
    "leads:lead_status": Route(Access.STAFF),
    # Reassigning is a manager's right; the lead's own consultant hands it back to the pool
    # or asks for a transfer, which a manager of the location approves or refuses
    # (a colleague's lead: 403, another location's: 404; tests/leads/test_transfers.py).
    "leads:lead_assign": Route(Access.STAFF, roles=MANAGER_ROLES),
    "leads:lead_hand_back": Route(Access.STAFF),
    "leads:lead_transfer": Route(Access.STAFF),
    "leads:transfers": Route(Access.STAFF, roles=MANAGER_ROLES),
    "leads:transfer_approve": Route(Access.STAFF, roles=MANAGER_ROLES),
    "leads:transfer_refuse": Route(Access.STAFF, roles=MANAGER_ROLES),
    "leads:lead_task": Route(Access.STAFF),
    # POSTs behind the lead page: the lead's consultant or a manager (others of the location:
    # 403, another location's lead: 404; tests/leads/test_cadence_panel.py)
    "leads:cadence_pause": Route(Access.STAFF),
    "leads:cadence_resume": Route(Access.STAFF),
    "leads:cadence_stop": Route(Access.STAFF),
    "leads:duplicates": Route(Access.STAFF),
    "leads:merge": Route(Access.STAFF),
    "leads:customer_detail": Route(Access.STAFF, scenario="tests.security.scenarios:customer"),
    # Conversations: a customer's thread (page, and the fragment the lead and customer pages
    # load), the composer's POST, the list and the navigation's unread badge
    "conversations:list": Route(Access.STAFF),
    "conversations:unread-count": Route(Access.STAFF),
    "conversations:thread": Route(Access.STAFF, scenario="tests.security.scenarios:conversation"),
    "conversations:thread-fragment": Route(
        Access.STAFF, scenario="tests.security.scenarios:conversation"
    ),
    "conversations:send": Route(Access.STAFF),  # POST; another location's customer: 404
    "conversations:mark-read": Route(Access.STAFF),  # POST; another location's customer: 404
    # An attachment of a customer's email (download), and the mail provider's inbound webhook
    "conversations:attachment": Route(
        Access.STAFF, scenario="tests.security.scenarios:conversation_attachment"
    ),
    "conversations:email-inbound": Route(Access.WEBHOOK),
    # Live chat: the visitor's widget (JSON; their chat only through the signed chat cookie),
    # the staff chat board and a chat (another location's chat: 404)
    "conversations:chat-state": Route(Access.PUBLIC),
    "conversations:chat-start": Route(Access.PUBLIC),  # POST, honeypot, rate-limited
    "conversations:chat-send": Route(Access.PUBLIC),  # POST, signed cookie, rate-limited
    "conversations:chat-details": Route(Access.PUBLIC),  # POST, signed cookie
    "conversations:chat-transcript": Route(Access.PUBLIC),  # POST, signed cookie, rate-limited
    "conversations:chats": Route(Access.STAFF),
    "conversations:chat": Route(Access.STAFF, scenario="tests.security.scenarios:chat"),
    "conversations:chat-accept": Route(Access.STAFF),  # POST; another location's chat: 404
    "conversations:chat-reply": Route(Access.STAFF),  # POST; only the chat's owner: else 403
    "conversations:chat-close": Route(Access.STAFF),  # POST; only the chat's owner: else 403
    # Messaging: the staff outbox, the customer's preferences, the SMS gateway's webhooks
    "messaging:outbox": Route(Access.STAFF),
    "messaging:outbox-cancel": Route(Access.STAFF, roles=MANAGER_ROLES),
    "messaging:preferences": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:email_preferences"
    ),
    "messaging:unsubscribe-one-click": Route(Access.WEBHOOK),  # RFC 8058, signed token in URL
    "messaging:sms-inbound": Route(Access.WEBHOOK),
    "messaging:sms-receipt": Route(Access.WEBHOOK),
    # Help / FAQ: public articles and their search for the chat; staff-only articles
    "knowledge:index": Route(Access.PUBLIC),
    "knowledge:suggest": Route(Access.PUBLIC),
    "knowledge:article": Route(Access.PUBLIC),
    "knowledge:staff-index": Route(Access.STAFF),
    "knowledge:staff-article": Route(Access.STAFF),
    # Privacy: a customer's data export and erasure, for managers
    "privacy:customer_export": Route(Access.STAFF, roles=MANAGER_ROLES),
    "privacy:customer_export_json": Route(Access.STAFF, roles=MANAGER_ROLES),
    "privacy:customer_erase": Route(Access.STAFF, roles=MANAGER_ROLES),
    # After-sales: customers' signed service links, public complaint form, the workshop
    "aftersales:book": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:service_booking"
    ),
    "aftersales:appointment": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:service_appointment"
    ),
    "aftersales:vehicle_add": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:service_vehicle_add"
    ),
    "aftersales:book_website": Route(Access.PUBLIC),
    "aftersales:complaint_new": Route(Access.PUBLIC),
    "aftersales:complaint_thanks": Route(Access.PUBLIC),
    "aftersales:workshop": Route(Access.STAFF),
    "aftersales:appointment_new": Route(Access.STAFF),  # staff book a visit (on the phone)
    "aftersales:appointment_detail": Route(
        Access.STAFF, scenario="tests.security.scenarios:service_appointment_staff"
    ),
    "aftersales:check_in": Route(Access.STAFF),
    "aftersales:complete": Route(Access.STAFF),
    "aftersales:recall_report": Route(Access.STAFF),
    "aftersales:recall_import": Route(Access.STAFF, roles=MANAGER_ROLES),
    "aftersales:vehicle_new": Route(Access.STAFF),
    "aftersales:complaint_log": Route(Access.STAFF),
    "aftersales:complaints": Route(Access.STAFF),
    "aftersales:complaint_detail": Route(
        Access.STAFF, scenario="tests.security.scenarios:complaint"
    ),
    # Test drives: booking pages, the customer's signed manage link, the staff calendar
    "testdrives:choose": Route(Access.PUBLIC),
    "testdrives:book": Route(Access.PUBLIC),
    "testdrives:manage": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:test_drive_manage"
    ),
    "testdrives:reschedule": Route(Access.CUSTOMER_TOKEN),  # POST behind the manage page
    "testdrives:cancel": Route(Access.CUSTOMER_TOKEN),  # POST behind the manage page
    "testdrives:calendar": Route(Access.STAFF),
    "testdrives:staff_book": Route(Access.STAFF),
    "testdrives:block": Route(Access.STAFF),
    "testdrives:detail": Route(Access.STAFF, scenario="tests.security.scenarios:test_drive_staff"),
    "testdrives:status": Route(Access.STAFF),
    "testdrives:complete": Route(Access.STAFF),
    "testdrives:assign": Route(Access.STAFF),
    "testdrives:staff_reschedule": Route(Access.STAFF),
    # Orders: the deal builder, the customer's signed order link, payments, the order desk
    "orders:start": Route(Access.PUBLIC),
    "orders:breakdown": Route(Access.PUBLIC),
    "orders:track": Route(Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:order_track"),
    "orders:finance": Route(Access.CUSTOMER_TOKEN),  # POST behind the order page
    "orders:reserve": Route(Access.CUSTOMER_TOKEN),  # POST behind the order page
    "orders:accept": Route(Access.CUSTOMER_TOKEN),  # POST behind the order page
    "orders:delivery": Route(Access.CUSTOMER_TOKEN),  # POST behind the order page
    "orders:cancel": Route(Access.CUSTOMER_TOKEN),  # POST behind the order page
    "orders:contract": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:order_contract"
    ),
    "orders:contract-pdf": Route(
        Access.CUSTOMER_TOKEN, scenario="tests.security.scenarios:order_contract"
    ),
    "orders:test-checkout": Route(Access.PUBLIC),  # the test payment provider's own page
    "orders:webhook": Route(Access.WEBHOOK),
    "orders:desk": Route(Access.STAFF),
    "orders:detail": Route(Access.STAFF, scenario="tests.security.scenarios:order_staff"),
    "orders:action": Route(Access.STAFF),
    "orders:quotes": Route(Access.STAFF, roles=SALES_FLOOR),
    "orders:quote-new": Route(Access.STAFF, roles=SALES_FLOOR),
    "orders:quote": Route(Access.STAFF, roles=SALES_FLOOR, scenario="tests.orders.routes:quote"),
    "orders:quote-print": Route(
        Access.STAFF, roles=SALES_FLOOR, scenario="tests.orders.routes:quote"
    ),
    "orders:quote-send": Route(Access.STAFF, roles=SALES_FLOOR),  # POST behind the quote
    "orders:quote-accept": Route(Access.STAFF, roles=SALES_FLOOR),  # POST behind the quote
    # Surveys: the customer's (or colleague's) answer page by its link, the staff results
    "surveys:answer": Route(Access.CUSTOMER_TOKEN, scenario="tests.surveys.routes:answer"),
    "surveys:results": Route(Access.STAFF),
    "surveys:results_csv": Route(Access.STAFF, roles=MANAGER_ROLES),
    # Reports: managers' dashboards (their locations; administrators all)
    "reports:index": Route(Access.STAFF, roles=MANAGER_ROLES),
    # Campaigns and segments: managers (another location's: 404, tests/campaigns/test_views.py);
    # group messages: any staff, to customers they may see
    "campaigns:campaign_list": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:campaign_new": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:campaign_detail": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:campaign_edit": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:campaign_progress": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:campaign_action": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST only
    "campaigns:segment_list": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:segment_new": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:segment_builder": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST only
    "campaigns:segment_count": Route(Access.STAFF, roles=MANAGER_ROLES),  # POST only
    "campaigns:segment_edit": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:segment_preview": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:segment_export": Route(Access.STAFF, roles=MANAGER_ROLES),
    "campaigns:group_message": Route(Access.STAFF),
    # The customer page's upgrade opportunity (htmx): staff who may see the customer (else 404)
    "campaigns:customer_upgrade": Route(Access.STAFF),
    # The signed per-recipient redirect of a campaign link: a bad token is a 404.
    "campaigns:click": Route(Access.PUBLIC),
    "reports:panel": Route(Access.STAFF, roles=MANAGER_ROLES),
    # Inventory demand per location (reports' layer: it reads leads and test drives)
    "inventory-demand": Route(Access.STAFF, roles=MANAGER_ROLES),
    # Django admin
    "admin-login": Route(Access.PUBLIC),  # redirects to the staff login
    "admin:*": Route(Access.ADMIN),
}

# Route keys whose views are csrf_exempt: signed webhooks only.
CSRF_EXEMPT: frozenset[str] = frozenset(
    key for key, route in ROUTES.items() if route.access == Access.WEBHOOK
)


class SocketAccess(StrEnum):
    VISITOR = "visitor cookie"  # the visitor's signed chat cookie; without it: closed
    STAFF = "staff session"  # a staff session, second factor passed; else closed


# Every WebSocket path (conversations/routing.py), by name: tests/security/test_route_matrix_
# websockets.py connects to each without credentials (closed) and with them (accepted), and a
# staff socket asking for another location's chat is closed.
WEBSOCKET_ROUTES: dict[str, SocketAccess] = {
    "chat-visitor-socket": SocketAccess.VISITOR,
    "chat-staff-socket": SocketAccess.STAFF,
}


def route_for(key: str) -> Route | None:
    if key in ROUTES:
        return ROUTES[key]
    if key.startswith("path:") or ":" not in key:
        return None
    namespace = key.split(":path:", 1)[0] if ":path:" in key else key.rpartition(":")[0]
    return ROUTES.get(f"{namespace}:*")
