"""Django's flush, which also empties the append-only history on SQLite.

On PostgreSQL flush TRUNCATEs, which the history's row triggers do not see.
SQLite has no TRUNCATE: flush DELETEs every row, which the triggers refuse.
A flush is a deliberate reset of the whole database (the test suite's
transactional tests use it between tests), so here the triggers are lifted
for it and put back afterwards, whatever happens.
"""
from importlib import import_module

from django.core.management.commands import flush
from django.db import connections

guard = import_module("annotate.migrations.0005_history_append_only")


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite" or not _has_history(connection):
            return super().handle(**options)
        guard.remove_triggers(connection)
        try:
            return super().handle(**options)
        finally:
            guard.install_triggers(connection)


def _has_history(connection) -> bool:
    return "annotate_annotationevent" in connection.introspection.table_names()
