"""Reading PostgreSQL query plans in tests: per-article and per-annotator paths must reach their rows by
index, whatever the tables hold. Sequential scans are discouraged while planning, so a query that can
only be answered by reading a whole table shows it however small the test's tables are."""
from django.db import connection

ANALYZE = "(ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"


def explain(sql: str, params=None, *, analyze: bool = False) -> list[str]:
    """The plan's lines; with `analyze`, as run (actual row counts: read them with rows_of)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {ANALYZE if analyze else ''} " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def explain_queryset(queryset, *, analyze: bool = False) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    return explain(sql, params, analyze=analyze)


def rows_of(line: str) -> int:
    """The actual rows of one EXPLAIN ANALYZE node line."""
    return int(line.split("actual rows=")[1].split()[0])
