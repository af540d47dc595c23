"""Reads that may lag go to the read replica: dashboards and CSV exports, nothing else.

A view opts in with ``with replica_reads():`` around the selector call; the router sends
that block's reads to the ``replica`` alias when DATABASE_REPLICA_URL configured one. Every
other read, and every write, stays on ``default``, so a page always sees its own writes.
"""

import contextlib
import contextvars

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_replica_reads = contextvars.ContextVar("replica_reads", default=False)


def replica_enabled() -> bool:
    return settings.DATABASE_REPLICA_ENABLED and REPLICA in connections


@contextlib.contextmanager
def replica_reads():
    """Within this block, ORM reads (and `read_alias()` cursors) use the replica."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_alias() -> str:
    """The alias a read made now should use (for raw cursors: `connections[read_alias()]`)."""
    return REPLICA if _replica_reads.get() and replica_enabled() else "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {"default", REPLICA}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
