"""Counting the assignment and article counters (models/counters.py) again from scratch.

The triggers of migration 0007 keep the counters right whoever writes; this is the repair for what
writes around them: triggers dropped by a SQLite table rebuild, a partial restore, an article deleted
before its assignments in raw SQL. `manage.py rebuild_counters` runs it (`--check` only compares).
"""
from dataclasses import dataclass
from importlib import import_module

from django.db import connection, transaction

from ..models import AssignmentCount, AssignmentDayCount, DurationBucket, ProjectCount

# The counting SQL lives with its triggers, so the repair counts exactly what they count.
counting = import_module("annotate.migrations.0007_assignment_counts")

COUNTED_TABLES = ("annotate_article", "annotate_assignment", "annotate_annotation")


@dataclass(frozen=True)
class Drift:
    """One count that differed: `stored` in the counter, `counted` from the rows (0: no row)."""

    counter: str
    key: tuple
    stored: int
    counted: int


def stored_counts() -> dict[tuple, int]:
    """Every nonzero count, keyed by (counter, *key)."""
    counts = {}
    for model, key in ((AssignmentCount, ("project_id", "annotator_id", "status")),
                       (AssignmentDayCount, ("project_id", "day", "status")),
                       (DurationBucket, ("project_id", "annotator_id", "seconds"))):
        for *values, n in model.objects.exclude(n=0).values_list(*key, "n").order_by():
            counts[(model.__name__, *values)] = n
    for project_id, articles, gold in ProjectCount.objects.values_list("project_id", "articles", "gold"):
        counts.update({key: n for key, n in ((("articles", project_id), articles), (("gold", project_id), gold)) if n})
    return counts


@transaction.atomic
def rebuild_counters(*, dry_run: bool = False) -> list[Drift]:
    """Count everything again; return what differed from the stored counts. With `dry_run`, the stored
    counts stay as they were.

    The counted tables are locked against writes meanwhile (readers go on), so no write falls between
    the recount and the commit; on SQLite the transaction holds the write lock from its start.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(COUNTED_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
    before = stored_counts()
    counting.refill(connection)
    after = stored_counts()
    if dry_run:
        transaction.set_rollback(True)
    return [Drift(key[0], key[1:], before.get(key, 0), after.get(key, 0))
            for key in sorted(before.keys() | after.keys(), key=str) if before.get(key, 0) != after.get(key, 0)]
