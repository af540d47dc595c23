from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .location_cache import locations_invalidate
from .models import AuditEvent, Location, User
from .roles import ROLE_EXTRA_PERMISSIONS, ROLE_PERMISSIONS, Role
from .two_factor import RECOVERY_CODE_COUNT, RECOVERY_DEVICE_NAME, TOTP_DEVICE_NAME


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Give each role group exactly the admin permissions ROLE_PERMISSIONS (and
    ROLE_EXTRA_PERMISSIONS) name.

    Idempotent: run after every migrate (make run, the container's start) so new models'
    permissions reach the roles. Returns the number of permissions per role.
    """
    counts = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        condition = Q(pk__in=[])
        for app_label, scope in ROLE_PERMISSIONS.get(role, {}).items():
            app_q = Q(content_type__app_label=app_label)
            if scope != "*":
                app_q &= Q(codename__startswith=f"{scope}_")
            condition |= app_q
        for permission in ROLE_EXTRA_PERMISSIONS.get(role, ()):
            app_label, _dot, codename = permission.partition(".")
            condition |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(condition))
        group.permissions.set(permissions)
        counts[role.value] = len(permissions)
    return counts


# --- Audit trail --------------------------------------------------------------------------


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one row of the audit trail: `actor` did `action` to `obj`, changing `changes`.

    Call it explicitly from every service where staff change a customer, lead, order or
    finance decision (and on every view of a finance application, action "view"), inside
    the service's transaction so the trail and the change commit or roll back together.
    `changes` is {field: [before, after]} (see `audit_diff`) or any JSON-able detail;
    Decimals, dates and UUIDs are stored as text. `actor` None means the system.
    """
    event = AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None else "system",
        action=action,
        target_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        target_id=str(obj.pk),
        target_repr=str(obj)[:200],
        changes=changes or {},
    )
    # The foreign keys come from objects in hand: skip full_clean's existence queries for them.
    event.full_clean(exclude=["actor", "target_type"])
    event.save()
    return event


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs between two snapshots."""
    return {
        field: [before.get(field), after.get(field)]
        for field in sorted(before.keys() | after.keys())
        if before.get(field) != after.get(field)
    }


# --- Two-factor authentication -------------------------------------------------------------


@transaction.atomic
def two_factor_enrol(*, user: User, key: str, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Enrol the authenticator app holding `key` (hex) if `token` is its current code.

    Returns the confirmed device and ten fresh recovery codes, to show once; or None, with
    nothing changed, when the code is wrong. A previous authenticator and its recovery codes
    are replaced. Audited.
    """
    device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    try:
        code = int(token)
    except (TypeError, ValueError):
        return None
    if not totp.verify(code, device.tolerance):
        return None
    device.last_t = totp.t()
    TOTPDevice.objects.filter(user=user).delete()
    device.full_clean()
    device.save()
    codes = _recovery_codes_replace(user=user)
    audit_record(
        actor=user, action=AuditEvent.Action.SECURITY, obj=user, changes={"two_factor": "enrolled"}
    )
    return device, codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New single-use recovery codes for `user`; the old ones stop working at once."""
    codes = _recovery_codes_replace(user=user)
    audit_record(
        actor=user,
        action=AuditEvent.Action.SECURITY,
        obj=user,
        changes={"recovery_codes": "regenerated"},
    )
    return codes


@transaction.atomic
def two_factor_reset(*, actor: User, user: User) -> None:
    """Remove `user`'s authenticator and recovery codes (lost phone), audited against `actor`.

    A user whose role requires two-factor must enrol again at their next login.
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor, action=AuditEvent.Action.SECURITY, obj=user, changes={"two_factor": "reset"}
    )


def _recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def tax_rates_apply(*, now=None) -> int:
    """Give each location the rate of its latest change that applies today in its own time
    zone. Idempotent (a location already on that rate is left alone) and safe to stop
    halfway: each location moves in its own transaction, under its row lock. Returns how
    many locations moved."""
    now = now or timezone.now()
    moved = 0
    for location_id in (
        Location.objects.filter(tax_rate_changes__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            location = Location.objects.select_for_update().get(pk=location_id)
            today = location.localtime(now).date()
            change = (
                location.tax_rate_changes.filter(valid_from__lte=today)
                .order_by("-valid_from")
                .first()
            )
            if change is None or change.rate == location.sales_tax_rate:
                continue
            location.sales_tax_rate = change.rate
            location.save(update_fields=["sales_tax_rate"])
            change.applied_at = now
            change.save(update_fields=["applied_at"])
            transaction.on_commit(locations_invalidate)
            moved += 1
    return moved
