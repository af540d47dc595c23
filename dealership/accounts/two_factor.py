"""Two-factor authentication: who must use it, and the devices that provide it.

TOTP (an authenticator app) is the second factor; a set of single-use recovery codes
(django-otp's static tokens) stands in when the phone is lost. Every change is audited.
"""

from django.conf import settings
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def two_factor_required_for(user) -> bool:
    """Whether the user's role obliges them to use a second factor (demo skip aside)."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    return any(name in settings.TWO_FACTOR_REQUIRED_ROLES for name in user.role_names)


def two_factor_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_pending(user) -> str | None:
    """What a logged-in user still has to do before the staff UI opens to them.

    "verify": they have an authenticator and have not entered a code in this session;
    "setup": their role requires one and they have none yet; None: nothing.
    """
    if not user.is_authenticated or user.is_verified():
        return None
    if two_factor_enrolled(user):
        return "verify"
    if two_factor_required_for(user) and not settings.TWO_FACTOR_DEMO_SKIP:
        return "setup"
    return None


def confirmed_devices(user) -> list:
    """TOTP first, then recovery codes: the order in which a code is tried."""
    return sorted(
        devices_for_user(user, confirmed=True),
        key=lambda device: isinstance(device, StaticDevice),
    )


def recovery_codes_remaining(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
