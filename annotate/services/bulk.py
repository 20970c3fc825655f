"""Fast inserts of plain rows for the importer's hot path.

bulk_create builds a model instance per row and compiles parameters for each
field; at 70 spans an article that is most of an import's time. Here rows are
tuples and the database does the work: COPY on PostgreSQL, executemany on
SQLite. Validation has already happened (the interchange parser and the
importer's vocabulary checks), and the database constraints still apply.

Ids are allocated up front so that later rows (relations, stance evidence)
can point at spans inserted in the same batch without reading them back:
from the table's sequence on PostgreSQL, and from max(id) on SQLite, where the
importer's IMMEDIATE transaction holds the write lock so nobody else can take
the same ids meanwhile.
"""
from collections.abc import Callable, Sequence

import orjson
from django.db import connection, models


def _json(value) -> str:
    return orjson.dumps(value).decode()


def _adapter(field: models.Field) -> Callable | None:
    """How a Python value of this field becomes what the driver takes (None: as it is)."""
    if isinstance(field, models.JSONField):
        return _json
    if connection.vendor == "sqlite":
        if isinstance(field, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return connection.ops.adapt_datefield_value
    return None


def _adapted(rows: Sequence[tuple], adapters: list[Callable | None]):
    if not any(adapters):
        return rows
    return [
        tuple(value if adapt is None or value is None else adapt(value) for adapt, value in zip(adapters, row))
        for row in rows
    ]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT max(coalesce((SELECT max(id) FROM {quoted}), 0),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT `rows` (tuples in the order of `fields`, which name model fields or attnames)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = [field.column for field in model_fields]
    rows = _adapted(rows, [_adapter(field) for field in model_fields])
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", rows)
