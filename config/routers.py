"""Reads that can lag a little (exports, progress, agreement computed from layers) go to a read replica when
one is configured. The dashboards' kept totals are read on the primary, where they are kept.

Everything else — annotators' reads, which must see their own last write, and
every write — stays on the primary. Code opts in with `replica_reads()`; the
router sends that block's reads to the alias named by READ_REPLICA_ALIAS.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

_replica_reads = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads():
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        try:
            _replica_reads.reset(token)
        except ValueError:  # a streamed generator finished in another context: just switch it off
            _replica_reads.set(False)


@contextmanager
def primary_reads():
    """Reads inside go to the primary even within replica_reads(): for writers that read what they count."""
    token = _replica_reads.set(False)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = getattr(settings, "READ_REPLICA_ALIAS", None)
        if alias and _replica_reads.get():
            return alias
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: objects from either relate

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica follows the primary's schema by replication
