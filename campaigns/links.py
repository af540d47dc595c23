"""The signed per-recipient redirect link (/c/<token>/) and the allow-list of its targets."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from dealership.core.urls import reverse_token
from dealership.route_access import Access, route_for

SALT = "campaigns.click"
MAX_AGE = 365 * 24 * 60 * 60
# Public, but not a page to send a customer to.
_NOT_TARGETS = {"accounts", "admin", "campaigns", "healthz"}


def click_token(recipient_id: int) -> str:
    return signing.dumps(recipient_id, salt=SALT, compress=True)


def click_token_recipient_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def click_url(recipient_id: int) -> str:
    path = reverse_token("campaigns:click", click_token(recipient_id))
    return settings.SITE_URL.rstrip("/") + path


def clean_link_path(value: str) -> str:
    """A path of a public showroom page (with its query), or ValidationError. Only those
    may be a campaign link's target: never another site, never a staff or token page."""
    value = (value or "").strip() or "/"
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or parts.scheme
        or parts.netloc
        or not url_has_allowed_host_and_scheme(value, allowed_hosts=set())
    ):
        raise ValidationError(_("The link must be a page of this showroom, starting with “/”."))
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise ValidationError(
            _("There is no showroom page at “%(path)s”.") % {"path": value}
        ) from None
    key = match.view_name if match.url_name else f"path:{match.route}"
    route = route_for(key)
    if (
        route is None
        or route.access != Access.PUBLIC
        or key.split(":")[0] in _NOT_TARGETS
        or key in _NOT_TARGETS
    ):
        raise ValidationError(_("The link must point to a public showroom page."))
    return value
