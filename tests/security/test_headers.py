"""Security headers on every kind of page, and the cookies' flags."""

import pytest

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


@pytest.mark.parametrize("url", ["/", "/staff/accounts/login/", "/healthz", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)

    assert set(response["Content-Security-Policy"].split("; ")) == set(CSP.split("; "))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"].startswith("accelerometer=(), camera=()")
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_policy_allows_no_inline_script():
    from django.conf import settings

    scripts = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
    assert scripts == ["'self'"]


def test_no_template_has_inline_script_or_event_handler_attributes():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        # Data blocks (JSON-LD) are never executed, so the policy allows them; any other inline
        # script would be blocked in the browser.
        inline = re.search(
            r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", text
        )
        if inline or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(path.relative_to(root)))

    assert offenders == []


def test_hsts_and_secure_cookies_in_production():
    import secrets
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "dealership.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "showroom.example",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.stdout.split() == ["31536000", "True", "True", "True", "True", "True", "True"]


def test_hsts_header_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
