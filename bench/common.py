"""Shared timing helpers. A benchmark prints figures and ratios to a floor measured in the
same run (the same work done the cheapest possible way); it never asserts a time."""

import datetime
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model


@dataclass
class Timing:
    name: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(name: str, fn: Callable[[], object], *, repeat: int = 20, warmup: int = 2) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)


def report(timing: Timing, floor: Timing | None = None) -> str:
    line = f"{timing.name:<48} p50 {timing.p50 * 1000:8.2f} ms   p95 {timing.p95 * 1000:8.2f} ms"
    if floor is not None:
        line += f"   ratio to floor {timing.p50 / floor.p50:5.2f}x (floor p50 {floor.p50 * 1000:.2f} ms)"
    print(line, flush=True)
    return line


def staff_client(user, host: str = "127.0.0.1"):
    """A test client logged in as `user` with the login finished, second factor included
    (managers and administrators must pass it before any staff page)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dealership.accounts.middleware import SESSION_KEY, two_factor_needed

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = two_factor_needed(user)
    if session[SESSION_KEY]:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="Bench", defaults={"confirmed": True}
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def insert_select(model: type[Model], count: int, values: dict[str, str], params=()) -> None:
    """INSERT … SELECT over generate_series(1, count) AS g; every column not given gets its
    empty value (Django defaults live in Python, not in the table)."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue  # generated columns are computed by PostgreSQL
        columns.append(f'"{field.column}"')
        if field.name in values:
            expressions.append(values[field.name])
        elif field.null:
            expressions.append("NULL")
        elif field.get_internal_type() == "BooleanField":
            expressions.append("false")
        elif field.get_internal_type() == "JSONField":
            expressions.append("'[]'::jsonb")
        elif field.has_default() and isinstance(field.default, int):
            expressions.append(str(field.default))
        elif field.has_default() and isinstance(field.default, datetime.timedelta):
            expressions.append(f"interval '{int(field.default.total_seconds())} seconds'")
        else:
            expressions.append("''")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM generate_series(1, %s) AS g"  # nosec B608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, count])
