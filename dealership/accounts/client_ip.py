"""Who is knocking: the client's address behind our reverse proxies, and the username tried.

Both feed django-axes (the login lockout). They must never fail, whatever a client sends.
"""

import ipaddress

from django.conf import settings

USERNAME_MAX_LENGTH = 150


def client_ip(request) -> str | None:
    """The address of the client, trusting exactly TRUSTED_PROXY_COUNT proxies in front of us.

    Each trusted proxy appends the address it was connected from to X-Forwarded-For, so the
    client is the entry TRUSTED_PROXY_COUNT places from the right; anything further left was
    written by the client and can be forged. With no trusted proxies (the default), or a
    header shorter than the chain, REMOTE_ADDR is the answer.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def login_username(request, credentials: dict | None = None) -> str:
    """The username a login attempt is about, made safe to store and compare.

    PostgreSQL refuses NUL characters in text, and the lockout check runs before the form
    validates anything, so a hostile username must be cleaned here rather than become a 500.
    """
    if credentials:
        value = credentials.get("username")
    else:
        data = getattr(request, "POST", None) or {}
        value = data.get("username")
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:USERNAME_MAX_LENGTH]
