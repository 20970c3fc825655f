"""Django's flush, which also empties the append-only history on SQLite.

On PostgreSQL flush TRUNCATEs, which row triggers do not see.
SQLite has no TRUNCATE: flush DELETEs every row, which the history's triggers refuse
and the counters' and figures' triggers (migrations 0007, 0008) would answer by
counting the deletions and marking the deleted articles stale, leaving rows
behind in an empty database. A flush is a
deliberate reset of the whole database (the test suite's transactional tests use
it between tests), so here the triggers are lifted for it and put back
afterwards, whatever happens.
"""
from importlib import import_module

from django.core.management.commands import flush
from django.db import connections

# The migrations whose triggers a row-by-row flush must not fire: the history's, the assignment counters',
# the figures'.
guards = [import_module(f"annotate.migrations.{name}")
          for name in ("0005_history_append_only", "0007_assignment_counts", "0008_figures")]


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite" or not _has_history(connection):
            return super().handle(**options)
        for guard in guards:
            guard.remove_triggers(connection)
        try:
            return super().handle(**options)
        finally:
            for guard in guards:
                guard.install_triggers(connection)


def _has_history(connection) -> bool:
    return "annotate_annotationevent" in connection.introspection.table_names()
