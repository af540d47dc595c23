"""The visitor's chat cookie: the chat's random token, signed (Django's signed cookies), so
neither a page script nor a guessed value can claim somebody's chat. HttpOnly; a second,
unsigned cookie only tells the widget's script that there is a chat to resume."""

from django.conf import settings
from django.core import signing

COOKIE = "showroom_chat"
HINT_COOKIE = "showroom_chat_on"
SALT = "conversations.chat"


def token_from_cookies(cookies: dict) -> str:
    """The token in a valid, unexpired signed cookie, else ""."""
    value = cookies.get(COOKIE)
    if not value:
        return ""
    try:
        # The salt as HttpResponse.set_signed_cookie derives it (request.get_signed_cookie's
        # rule), read here from a WebSocket's cookies too.
        salt = signing._cookie_signer_salt(COOKIE, SALT)
        return signing.get_cookie_signer(salt=salt).unsign(
            value, max_age=settings.CHAT_COOKIE_MAX_AGE
        )
    except signing.BadSignature:
        return ""


def token_from_request(request) -> str:
    return token_from_cookies(request.COOKIES)


def set_cookie(response, token: str) -> None:
    options = {
        "max_age": settings.CHAT_COOKIE_MAX_AGE,
        "secure": settings.SESSION_COOKIE_SECURE,
        "samesite": "Lax",
    }
    response.set_signed_cookie(COOKIE, token, salt=SALT, httponly=True, **options)
    response.set_cookie(HINT_COOKIE, "1", httponly=False, **options)


def clear_cookie(response) -> None:
    response.delete_cookie(COOKIE, samesite="Lax")
    response.delete_cookie(HINT_COOKIE, samesite="Lax")
